-- Members living in each building, kept by the schema (issue 9: no tile over 500 ms at Chaoyang).
--
-- The buildings tile counted each building's members through its households, one index probe per
-- household: 120,000 probes for a district admin's tile at z13 at Chaoyang (320 ms of SQL). This
-- table holds the count, so the tile reads one row per building instead.
--
-- It cannot drift: only the triggers below write it (the app role may read it, nothing else), and
-- each recounts the buildings a statement touched from scratch (never adds or subtracts), so the
-- order in which cascades and triggers fire does not matter:
--   party_member  inserted, deleted, or moved to another household
--   household     moved to another building, or deleted (its members lose their household)
--   truncate of either: every count goes
-- A building moved to another grid carries its row's scope key along (composite foreign key, as
-- sql/009's), and a deleted building takes its row. Buildings with no member living in them have
-- no row (read as 0).
--
-- Row-level security as sql/009's: a range on the row's own grid code. The living members of a
-- building are exactly the members whose scope is that building's grid, so a scope sees the count
-- of a building exactly when it sees those members.

create table building_member_count (
  building_id bigint primary key,
  grid_code   text not null,
  living      integer not null check (living > 0),
  constraint building_member_count_building_fkey
    foreign key (building_id, grid_code) references building (id, grid_code) on update cascade on delete cascade
);
create index building_member_count_scope_idx on building_member_count (grid_code text_pattern_ops);

alter table building_member_count enable row level security;
create policy building_member_count_scope on building_member_count
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
alter table building_member_count force row level security;
revoke insert, update, delete, truncate on building_member_count from jiceng_app;

-- the count of each building named, from the members themselves; runs as the owner with the whole
-- scope (a writer's own scope must not leave another grid's count stale)
create function recount_building_members(ids bigint[]) returns void language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  if cardinality(ids) = 0 then return; end if;
  delete from building_member_count where building_id = any (ids);
  insert into building_member_count (building_id, grid_code, living)
  select h.building_id, h.grid_code, count(*)
  from household h join party_member m on m.household_id = h.id
  where h.building_id = any (ids)
  group by h.building_id, h.grid_code;
end $$;

create function party_member_building_count() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
declare households bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct household_id) into households from new_rows where household_id is not null;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct household_id) into households from old_rows where household_id is not null;
  else
    select array_agg(distinct x) into households
    from old_rows o join new_rows n on n.id = o.id
    cross join lateral (values (o.household_id), (n.household_id)) v (x)
    where o.household_id is distinct from n.household_id and x is not null;
  end if;
  perform recount_building_members(coalesce(array(select distinct building_id from household where id = any (households)), '{}'));
  return null;
end $$;
create trigger party_member_building_count_insert after insert on party_member
  referencing new table as new_rows for each statement execute function party_member_building_count();
create trigger party_member_building_count_update after update on party_member
  referencing old table as old_rows new table as new_rows for each statement execute function party_member_building_count();
create trigger party_member_building_count_delete after delete on party_member
  referencing old table as old_rows for each statement execute function party_member_building_count();

create function household_building_count() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
declare buildings bigint[];
begin
  if tg_op = 'DELETE' then
    select array_agg(distinct building_id) into buildings from old_rows;
  else
    select array_agg(distinct x) into buildings
    from old_rows o join new_rows n on n.id = o.id
    cross join lateral (values (o.building_id), (n.building_id)) v (x)
    where o.building_id is distinct from n.building_id;
  end if;
  perform recount_building_members(coalesce(buildings, '{}'));
  return null;
end $$;
create trigger household_building_count_update after update on household
  referencing old table as old_rows new table as new_rows for each statement execute function household_building_count();
create trigger household_building_count_delete after delete on household
  referencing old table as old_rows for each statement execute function household_building_count();

create function building_member_count_truncated() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  delete from building_member_count;
  return null;
end $$;
create trigger party_member_building_count_truncate after truncate on party_member
  for each statement execute function building_member_count_truncated();
create trigger household_building_count_truncate after truncate on household
  for each statement execute function building_member_count_truncated();

-- the counts of a populated database
select set_config('jiceng.scope', '*', true);
insert into building_member_count (building_id, grid_code, living)
select h.building_id, h.grid_code, count(*)
from household h join party_member m on m.household_id = h.id
group by h.building_id, h.grid_code;
analyze building_member_count;
