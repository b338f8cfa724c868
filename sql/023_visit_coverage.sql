-- Visit coverage (走访覆盖, issue 11 part 2) joins the coverage index: the households of each area
-- visited in the last 30 and 90 days are stored with the generation's other figures, so the index,
-- the ranks, the panels, the tiles and the exports read one number (queries/coverage.ts).
--
-- The figures move three ways (coverage/visits.ts):
--   a visit written      its household's change of membership (in a window or not) is added to
--                        the areas above it, in the visit's own transaction, with the scores,
--                        the index and the ranks that move (a few rows: readers never wait)
--   a recompute          counts every area from the visits (coverage/ranking.ts)
--   a recount            counts every area again, in the background: on a new day (the windows
--                        moved) and after a visit's change went to a generation no longer served
--
-- A visit's change is logged in visit_delta with the generation it went to. A recompute counts
-- from its snapshot and may miss visits written while it ran: their changes went to the generation
-- it replaces, so a logged generation other than the one served asks for a recount. Nothing here
-- is written to coverage_run: the recompute's one REPEATABLE READ transaction updates that row at
-- its end, and a concurrent update of it would fail the recompute.
-- visits_on: the day the row's visit figures were counted for (the windows end on it).
-- Tile caches of the coverage layers key on visit_roll_seq (a visit does not bump data_version).

alter table area_coverage_gen
  add column hh_visited_30d integer not null default 0,
  add column hh_visited_90d integer not null default 0,
  add column visits_on      date;

create sequence visit_roll_seq;

create table visit_delta (
  roll bigint primary key default nextval('visit_roll_seq'),
  gen  integer not null
);

grant select, insert, delete on visit_delta to jiceng_app;
grant usage, select on sequence visit_roll_seq to jiceng_app;

create or replace view area_coverage as
  select code, level, households, hh_5min, hh_10min, hh_15min, hh_cared, grids, grids_with_branch,
         member_buildings, member_buildings_covered, key_buildings, key_buildings_covered, orgs,
         orgs_with_secretary, blind_spots, hh_in_blind_spots, service_score, organisation_score, work_score,
         coverage_index, rank, rank_of, rectify, hh_visited_30d, hh_visited_90d, visits_on
  from area_coverage_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer,
                              (select r.gen from coverage_run r where r.id = 1)));
