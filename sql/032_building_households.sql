-- Households with members in each building, beside sql/025's members living there (issue 14: a
-- district admin's first minutes at 9 a.m., when every tile is cold).
--
-- The members tile counted them per building by probing every household of the tile's buildings
-- for its members (a district admin's z14 tile at chaoyang: ~30,000 probes, 30–50 ms of SQL), and
-- per grid at z12–13 by a distinct count over the grid's members. The same triggers that keep
-- `living` recount this column with it, from scratch, for the buildings a statement touched
-- (sql/025 says why that cannot drift); a building with no member living in it still has no row.

alter table building_member_count add column households integer;

-- the counts of a populated database (the owner runs migrations: the whole scope)
select set_config('jiceng.scope', '*', true);
update building_member_count c set households = d.households
from (select h.building_id, count(distinct h.id)::int as households
      from household h join party_member m on m.household_id = h.id group by h.building_id) d
where d.building_id = c.building_id;

alter table building_member_count alter column households set not null,
  add constraint building_member_count_households_check check (households > 0 and households <= living);

create or replace function recount_building_members(ids bigint[]) returns void language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  if cardinality(ids) = 0 then return; end if;
  delete from building_member_count where building_id = any (ids);
  insert into building_member_count (building_id, grid_code, living, households)
  select h.building_id, h.grid_code, count(*), count(distinct h.id)
  from household h join party_member m on m.household_id = h.id
  where h.building_id = any (ids)
  group by h.building_id, h.grid_code;
end $$;

analyze building_member_count;
