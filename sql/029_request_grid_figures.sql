-- Residents' requests (诉求) per grid, kept by the database (issue 14: figures under load).
--
-- The coverage panels, rankings, exports and screens show each area's request figures (how many,
-- how many open and overdue, the average hours to a first answer and to resolution), all through
-- areaRequestJoin (src/lib/server/db/queries/requests.ts). It counted every request of the area at
-- every read: a district admin's panel read every request the district had ever had, more each
-- day. Now the count and the sums behind the two averages are kept per grid here, by triggers on
-- request (a request written, answered, resolved, moved with its household, deleted); an area adds
-- up its grids. Open and overdue requests move with the clock and are still counted at the read,
-- over the open requests only (request_open_idx): a confirmed request is neither.

create table request_grid_figures (
  grid_code        text primary key,
  requests         bigint not null default 0,
  -- requests with a first answer, and the seconds from submission to it, summed
  responded        bigint not null default 0,
  response_secs    numeric not null default 0,
  -- requests resolved, and the seconds from submission to resolution, summed
  resolved         bigint not null default 0,
  resolution_secs  numeric not null default 0
);

-- an area's grids are a prefix range of codes (~>=~ … ~<~ …, as the policy's own): this index answers it
create index request_grid_figures_scope_idx on request_grid_figures (grid_code text_pattern_ops);

-- counts per grid, no person: row-level security as the requests' own (sql/016)
alter table request_grid_figures enable row level security;
create policy request_grid_figures_scope on request_grid_figures
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
alter table request_grid_figures force row level security;
grant select on request_grid_figures to jiceng_app;

-- one request's part of its grid's figures, added (sign 1) or taken away (sign -1)
create function request_grid_figures_add(grid text, sign integer, created timestamptz, accepted timestamptz, resolved_on timestamptz)
  returns void language sql security definer set search_path = public, pg_temp set jiceng.scope = '*' as $$
  insert into request_grid_figures as f (grid_code, requests, responded, response_secs, resolved, resolution_secs)
  values (grid, sign, sign * (accepted is not null)::int, sign * coalesce(extract(epoch from accepted - created), 0),
          sign * (resolved_on is not null)::int, sign * coalesce(extract(epoch from resolved_on - created), 0))
  on conflict (grid_code) do update set
    requests = f.requests + excluded.requests,
    responded = f.responded + excluded.responded,
    response_secs = f.response_secs + excluded.response_secs,
    resolved = f.resolved + excluded.resolved,
    resolution_secs = f.resolution_secs + excluded.resolution_secs
$$;

create function request_grid_figures_write() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform request_grid_figures_add(old.grid_code, -1, old.created_at, old.accepted_at, old.resolved_at);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform request_grid_figures_add(new.grid_code, 1, new.created_at, new.accepted_at, new.resolved_at);
  end if;
  return null;
end $$;

create trigger request_grid_figures_insert_delete after insert or delete on request
  for each row execute function request_grid_figures_write();
create trigger request_grid_figures_update after update of grid_code, created_at, accepted_at, resolved_at on request
  for each row when ((old.grid_code, old.created_at, old.accepted_at, old.resolved_at) is distinct from
                     (new.grid_code, new.created_at, new.accepted_at, new.resolved_at))
  execute function request_grid_figures_write();
-- the requests gone at once: their figures too
create function request_grid_figures_truncated() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  delete from request_grid_figures;
  return null;
end $$;
create trigger request_grid_figures_truncate after truncate on request
  for each statement execute function request_grid_figures_truncated();

-- what the reads still count themselves: the open requests of an area
create index request_open_idx on request (grid_code text_pattern_ops) where state <> 'confirmed';

-- the figures of a populated database
select set_config('jiceng.scope', '*', true);
insert into request_grid_figures (grid_code, requests, responded, response_secs, resolved, resolution_secs)
select grid_code, count(*), count(accepted_at), coalesce(sum(extract(epoch from accepted_at - created_at)), 0),
       count(resolved_at), coalesce(sum(extract(epoch from resolved_at - created_at)), 0)
from request group by grid_code;
analyze request_grid_figures;
