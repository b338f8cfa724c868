-- Visit changes queued for the served figures (issue 14: visits under load).
--
-- A visit that moves its household into or out of a visit window (30 or 90 days) changes the
-- served visit figures of every area above its grid, the district's among them. Each writer used to
-- apply its change itself, in its own transaction, under one district-wide lock held until it
-- committed: at 9 a.m. every visit of the district waited for the one before it, and held a
-- connection while it waited (bench:load: a minute of connection time a minute).
--
-- Now the writer only queues its change here, in its own transaction (the row commits with the visit
-- or not at all), and one pass applies every change queued so far under that lock, in one
-- transaction, summed per area (coverage/visit-changes.ts). A writer waits for that pass after its
-- commit, holding no connection.
--
-- A count (a recompute's, a recount's) reads the visits themselves, so a queued change may already be
-- in the figures it counted: visit_count_snapshot keeps, per generation, the snapshot its visits were
-- counted in, and a pass skips a change whose writer's transaction (xid) that snapshot already saw.

create table visit_window_change (
  id        bigserial primary key,
  -- the writer's transaction: visible in a count's snapshot = its visit was counted
  xid       xid8 not null default pg_current_xact_id(),
  grid_code text not null,
  -- +1 entered, -1 left, 0 neither: one per window, in VISIT_WINDOWS_DAYS' order (30, 90)
  deltas    smallint[] not null check (cardinality(deltas) = 2)
);

-- counts per grid, no person: row-level security as the visits' own (sql/015), for reading and writing
alter table visit_window_change enable row level security;
create policy visit_window_change_scope on visit_window_change
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi())
  with check (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
alter table visit_window_change force row level security;
grant select, insert, delete on visit_window_change to jiceng_app;
grant usage on sequence visit_window_change_id_seq to jiceng_app;

-- whether any change waits (the coverage status asks, whatever the caller's scope)
create function visit_changes_pending() returns boolean language sql stable security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
  select exists (select 1 from visit_window_change)
$$;
grant execute on function visit_changes_pending() to jiceng_app;

create table visit_count_snapshot (
  gen  integer primary key,
  snap pg_snapshot not null
);
grant select, insert, update, delete on visit_count_snapshot to jiceng_app;

-- the generation served now was counted before any change could be queued: nothing queued from now
-- on is visible in this snapshot
insert into visit_count_snapshot (gen, snap)
  select gen, pg_current_snapshot() from coverage_run where id = 1 and gen is not null;
