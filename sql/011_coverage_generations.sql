-- Coverage results in generations (issue 9 part 3): no request waits for a recompute.
--
-- Each result table of sql/007 becomes a table of generations, `<name>_gen`, keyed by `gen`, and a
-- view under the old name that shows one generation: the one coverage_run points to or — inside a
-- recompute's own transactions — the one it is writing (the transaction-local settings
-- jiceng.gen_building, jiceng.gen_reach, jiceng.gen_result; rows inserted through a view take
-- their `gen` from the same setting). A recompute writes a new generation in as many short
-- transactions as it likes — the embedded database has one connection, and a long transaction
-- would hold every reader behind it — then moves coverage_run's pointers in one short
-- transaction: a reader sees the old generation or the new one, never a mix. Older generations
-- are deleted afterwards (a reader's snapshot still holds them on a server).
--
-- Three parts, each with its own pointer, so a recompute rewrites only what its inputs touched:
--   building  building_coverage (walking distances per building)
--   reach     reach_area (each centre's reach; rows whose lines did not move are copied)
--   result    coverage_gap, blind_spot, area_coverage, org_coverage
--
-- coverage_input: the data version of the last write to each kind of input, kept by statement
-- triggers beside sql/004's (named *_coverage_input, so they fire after *_bump_version):
--   network  road, building, household, service_centre: distances and households per building
--   org      area, party_org, party_member, central_household, central_household_link,
--            building_leader: gaps, blind spots, the index
-- A write to any other table (visits, requests) changes no figure here: the stored results are
-- only restamped with the new data version.
--
-- The coverage index is stored as numeric(5,1), the precision it is shown with: JSON, CSV and
-- tiles print 89.7, not the float 89.7699966430664 of a real column.
--
-- Derived data: the sql/007 tables are dropped and everything is recomputed at the next start.

drop table building_coverage, area_coverage, org_coverage, reach_area, coverage_gap, blind_spot;
delete from coverage_run;

alter table coverage_run
  add column gen            integer,   -- generation of the `result` part served
  add column building_gen   integer,
  add column reach_gen      integer,
  -- the data version the distances (building part) were computed from; data_version is the
  -- version every stored figure reflects (all writes up to it)
  add column network_version bigint;

create sequence coverage_gen_seq;

create table building_coverage_gen (
  gen                 integer not null default nullif(current_setting('jiceng.gen_building', true), '')::integer,
  building_id         bigint not null,
  grid_code           text not null,
  households          integer not null,
  access_m            real,
  any_centre_id       bigint,
  any_m               real,
  district_centre_id  bigint,
  district_m          real,
  street_centre_id    bigint,
  street_m            real,
  community_centre_id bigint,
  community_m         real,
  station_centre_id   bigint,
  station_m           real,
  circle              smallint not null,
  primary key (gen, building_id)
);
create index building_coverage_gen_grid_idx on building_coverage_gen (gen, grid_code text_pattern_ops);

create table area_coverage_gen (
  gen                      integer not null default nullif(current_setting('jiceng.gen_result', true), '')::integer,
  code                     text not null,
  level                    text not null,
  households               integer not null,
  hh_5min                  integer not null,
  hh_10min                 integer not null,
  hh_15min                 integer not null,
  hh_cared                 integer not null,
  grids                    integer not null,
  grids_with_branch        integer not null,
  member_buildings         integer not null,
  member_buildings_covered integer not null,
  key_buildings            integer not null,
  key_buildings_covered    integer not null,
  orgs                     integer not null,
  orgs_with_secretary      integer not null,
  blind_spots              integer not null,
  hh_in_blind_spots        integer not null,
  service_score            real,
  organisation_score       real,
  work_score               real,
  coverage_index           numeric(5, 1),
  rank                     integer,
  rank_of                  integer,
  rectify                  boolean not null default false,
  primary key (gen, code)
);
create index area_coverage_gen_level_idx on area_coverage_gen (gen, level, rank);
create index area_coverage_gen_code_idx on area_coverage_gen (gen, code text_pattern_ops);

create table org_coverage_gen (
  gen                integer not null default nullif(current_setting('jiceng.gen_result', true), '')::integer,
  org_id             bigint not null,
  kind               text not null,
  area_code          text not null,
  service_score      real,
  organisation_score real,
  work_score         real,
  coverage_index     numeric(5, 1),
  rank               integer,
  rank_of            integer,
  rectify            boolean not null default false,
  primary key (gen, org_id)
);
create index org_coverage_gen_area_idx on org_coverage_gen (gen, area_code text_pattern_ops);
create index org_coverage_gen_kind_idx on org_coverage_gen (gen, kind, rank);

create table reach_area_gen (
  gen         integer not null default nullif(current_setting('jiceng.gen_reach', true), '')::integer,
  centre_id   bigint not null,
  circle      smallint not null,
  threshold_m real not null,
  level       text not null,
  area_code   text not null,
  -- what the polygon was drawn from (the reached lines, the band, the frame): a later
  -- recompute copies the polygon when it is unchanged instead of buffering it again
  hash        text not null,
  geom        geometry(MultiPolygon, 4326) not null,
  primary key (gen, centre_id, circle)
);
create index reach_area_gen_geom_idx on reach_area_gen using gist (geom);
create index reach_area_gen_area_idx on reach_area_gen (gen, area_code text_pattern_ops);

create table coverage_gap_gen (
  gen         integer not null default nullif(current_setting('jiceng.gen_result', true), '')::integer,
  rule        text not null,
  object_id   text not null,
  area_code   text not null,
  households  integer not null,
  detail      jsonb not null default '{}',
  primary key (gen, rule, object_id)
);
create index coverage_gap_gen_area_idx on coverage_gap_gen (gen, area_code text_pattern_ops);

create table blind_spot_gen (
  gen            integer not null default nullif(current_setting('jiceng.gen_result', true), '')::integer,
  id             integer not null,
  grid_code      text not null,
  households     integer not null,
  buildings      integer not null,
  gap_kinds      text[] not null,
  gap_rules      text[] not null,
  building_ids   bigint[] not null,
  geom           geometry(MultiPolygon, 4326) not null,
  primary key (gen, id)
);
create index blind_spot_gen_grid_idx on blind_spot_gen (gen, grid_code text_pattern_ops);
create index blind_spot_gen_geom_idx on blind_spot_gen using gist (geom);

-- the views under sql/007's names: every reader (tiles, panels, exports) reads these, unchanged;
-- they are automatically updatable, so the recompute writes through them too. The generation is
-- one scalar subquery (an InitPlan): the planner cannot see its value, and estimates the rows of
-- a generation it has no statistics of yet — the one being written — from the generations it
-- has (a constant it could see would be estimated at one row, and the recompute's joins planned
-- as nested loops over 20,000 buildings)
create view building_coverage as
  select building_id, grid_code, households, access_m, any_centre_id, any_m, district_centre_id, district_m,
         street_centre_id, street_m, community_centre_id, community_m, station_centre_id, station_m, circle
  from building_coverage_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_building', true), '')::integer,
                              (select r.building_gen from coverage_run r where r.id = 1)));

create view area_coverage as
  select code, level, households, hh_5min, hh_10min, hh_15min, hh_cared, grids, grids_with_branch,
         member_buildings, member_buildings_covered, key_buildings, key_buildings_covered, orgs,
         orgs_with_secretary, blind_spots, hh_in_blind_spots, service_score, organisation_score, work_score,
         coverage_index, rank, rank_of, rectify
  from area_coverage_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer,
                              (select r.gen from coverage_run r where r.id = 1)));

create view org_coverage as
  select org_id, kind, area_code, service_score, organisation_score, work_score, coverage_index, rank, rank_of, rectify
  from org_coverage_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer,
                              (select r.gen from coverage_run r where r.id = 1)));

create view reach_area as
  select centre_id, circle, threshold_m, level, area_code, hash, geom
  from reach_area_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_reach', true), '')::integer,
                              (select r.reach_gen from coverage_run r where r.id = 1)));

create view coverage_gap as
  select rule, object_id, area_code, households, detail
  from coverage_gap_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer,
                              (select r.gen from coverage_run r where r.id = 1)));

create view blind_spot as
  select id, grid_code, households, buildings, gap_kinds, gap_rules, building_ids, geom
  from blind_spot_gen
  where gen = (select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer,
                              (select r.gen from coverage_run r where r.id = 1)));

-- the last write to each kind of input
create table coverage_input (
  part    text primary key check (part in ('network', 'org')),
  version bigint not null
);
insert into coverage_input (part, version) select p, version from data_version, unnest(array['network', 'org']) p where id = 1;

create function note_coverage_input() returns trigger language plpgsql as $$
begin
  update coverage_input set version = (select version from data_version where id = 1) where part = tg_argv[0];
  return null;
end $$;

do $$
declare t text;
begin
  foreach t in array array['road', 'building', 'household', 'service_centre'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I
                    for each statement execute function note_coverage_input(''network'')', t || '_coverage_input', t);
  end loop;
  foreach t in array array['area', 'party_org', 'party_member', 'central_household', 'central_household_link', 'building_leader'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I
                    for each statement execute function note_coverage_input(''org'')', t || '_coverage_input', t);
  end loop;
end $$;

grant select, insert, update, delete on building_coverage_gen, area_coverage_gen, org_coverage_gen, reach_area_gen,
  coverage_gap_gen, blind_spot_gen, building_coverage, area_coverage, org_coverage, reach_area, coverage_gap, blind_spot,
  coverage_input to jiceng_app;
grant usage, select on sequence coverage_gen_seq to jiceng_app;
