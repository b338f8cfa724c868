-- What was written since the coverage results served (issue 9 part 3: fresh figures within
-- seconds of a typical write): the incremental recompute (src/lib/server/coverage/incremental.ts)
-- reads this log to learn which objects the writes touched, and recomputes only those when every
-- write since is of a kind whose effect is local:
--   party_member    the organisation figures of the members' buildings (their household's
--                   building, their workplace building, before and after)
--   service_centre  walking distances near the centres (the network's roads and buildings are
--                   unchanged, so the distances are searched again in memory and only the rows
--                   that moved are written)
-- A write to any other input table of the results (sql/011's coverage_input) is logged without
-- ids and marked not local: the next recompute is a full one, as before.
--
-- Each row carries the data version of the statement that wrote it: the triggers are named to
-- fire after sql/004's *_bump_version (triggers of one event fire in name order), whose row lock
-- on data_version this transaction holds until it commits, so the version read is its own.
-- Rows the served results already reflect are deleted after each recompute.

create table coverage_change (
  version      bigint not null,
  tbl          text not null,
  -- false: a write whose effect this log cannot bound (the next recompute is a full one)
  local        boolean not null,
  household_id bigint,
  building_id  bigint
);
create index coverage_change_version_idx on coverage_change (version);

-- the data version from which the log is complete: results computed before it (or at it) cannot
-- be brought up to date from the log
create table coverage_change_state (
  id            smallint primary key default 1 check (id = 1),
  complete_from bigint not null
);
insert into coverage_change_state (id, complete_from) select 1, version from data_version where id = 1;

-- a statement that wrote rows to a table whose effect is not bounded here, or (local) to the
-- centres. Only when it wrote rows: a foreign key's action (a member deleted: the organisations'
-- secretary seats set null where they were theirs) runs a statement on each referencing table,
-- mostly writing nothing
create function log_coverage_change() returns trigger language plpgsql as $$
declare wrote boolean := tg_op = 'TRUNCATE';
begin
  -- apart: a trigger has only its event's transition tables
  if tg_op in ('INSERT', 'UPDATE') then
    wrote := exists (select 1 from new_rows);
  elsif tg_op = 'DELETE' then
    wrote := exists (select 1 from old_rows);
  end if;
  if wrote then
    insert into coverage_change (version, tbl, local)
    values ((select version from data_version where id = 1), tg_table_name, tg_op <> 'TRUNCATE' and tg_argv[0]::boolean);
  end if;
  return null;
end $$;

-- party_member: the households and workplace buildings of the rows before and after
create function log_member_change() returns trigger language plpgsql as $$
declare v bigint := (select version from data_version where id = 1);
begin
  if tg_op in ('INSERT', 'UPDATE') then
    insert into coverage_change (version, tbl, local, household_id, building_id)
    select distinct v, 'party_member', true, n.household_id, n.workplace_building_id from new_rows n;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    insert into coverage_change (version, tbl, local, household_id, building_id)
    select distinct v, 'party_member', true, o.household_id, o.workplace_building_id from old_rows o;
  end if;
  -- a statement that wrote no row still moved the version: one row says so
  insert into coverage_change (version, tbl, local) values (v, 'party_member', true);
  return null;
end $$;

create trigger party_member_coverage_log_ins after insert on party_member
  referencing new table as new_rows for each statement execute function log_member_change();
create trigger party_member_coverage_log_upd after update on party_member
  referencing old table as old_rows new table as new_rows for each statement execute function log_member_change();
create trigger party_member_coverage_log_del after delete on party_member
  referencing old table as old_rows for each statement execute function log_member_change();
create trigger party_member_coverage_log_trunc after truncate on party_member
  for each statement execute function log_coverage_change('false');

do $$
declare
  t text;
  local boolean;
begin
  foreach t in array array['service_centre', 'road', 'building', 'household', 'area', 'party_org', 'central_household',
                           'central_household_link', 'building_leader'] loop
    local := t = 'service_centre';
    execute format('create trigger %I after insert on %I referencing new table as new_rows
                    for each statement execute function log_coverage_change(%L)', t || '_coverage_log_ins', t, local);
    execute format('create trigger %I after update on %I referencing old table as old_rows new table as new_rows
                    for each statement execute function log_coverage_change(%L)', t || '_coverage_log_upd', t, local);
    execute format('create trigger %I after delete on %I referencing old table as old_rows
                    for each statement execute function log_coverage_change(%L)', t || '_coverage_log_del', t, local);
    execute format('create trigger %I after truncate on %I
                    for each statement execute function log_coverage_change(%L)', t || '_coverage_log_trunc', t, false);
  end loop;
end $$;

grant select, insert, delete on coverage_change to jiceng_app;
grant select on coverage_change_state to jiceng_app;
