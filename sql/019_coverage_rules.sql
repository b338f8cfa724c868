-- The coverage rules are written once, in src/lib/coverage-rules.ts: the refresh of area_stats
-- takes them as arguments (which organisation kinds cover a building, how many members make a
-- member building) instead of spelling them out a second time in SQL, as 005 did.

drop function refresh_area_stats();

create function refresh_area_stats(member_threshold integer, covering_kinds text[]) returns bigint language plpgsql as $$
declare v bigint;
begin
  select version into v from data_version where id = 1;
  delete from area_stats;
  with
  hh as (
    select building_id, count(*) as households, sum(residents) as residents from household group by building_id
  ),
  b as (
    select b.id, b.grid_code, coalesce(hh.households, 0) as households, coalesce(hh.residents, 0) as residents
    from building b left join hh on hh.building_id = b.id
  ),
  living as (
    select h.building_id, count(*) as n from party_member m join household h on h.id = m.household_id group by 1
  ),
  working as (
    select workplace_building_id as building_id, count(*) as n from party_member
    where workplace_building_id is not null group by 1
  ),
  covered as (
    select distinct building_id from party_org
    where building_id is not null and kind = any (covering_kinds)
  ),
  per_building as (
    select b.grid_code, b.households, b.residents,
           coalesce(l.n, 0) as members, coalesce(w.n, 0) as members_working,
           (coalesce(l.n, 0) + coalesce(w.n, 0) >= member_threshold) as member_building,
           (c.building_id is not null) as is_covered
    from b left join living l on l.building_id = b.id
           left join working w on w.building_id = b.id
           left join covered c on c.building_id = b.id
  ),
  per_grid as (
    select grid_code as code, count(*) as buildings, sum(households) as households, sum(residents) as residents,
           sum(members) as members, sum(members_working) as members_working,
           count(*) filter (where member_building) as member_buildings,
           count(*) filter (where member_building and is_covered) as member_buildings_covered
    from per_building group by grid_code
  ),
  rolled as (
    select a as code, sum(buildings) as buildings, sum(households) as households, sum(residents) as residents,
           sum(members) as members, sum(members_working) as members_working,
           sum(member_buildings) as member_buildings, sum(member_buildings_covered) as member_buildings_covered
    from per_grid, unnest(area_code_ancestors(code)) as a group by a
  ),
  descendants as (
    select a as code,
           count(*) filter (where d.level = 'street') as streets,
           count(*) filter (where d.level = 'community' and d.kind = 'community') as communities,
           count(*) filter (where d.level = 'community' and d.kind = 'village') as villages,
           count(*) filter (where d.level = 'grid') as grids,
           count(*) filter (where d.level = 'grid' and exists (
             select 1 from party_org o where o.kind = 'grid_branch' and o.area_code = d.code)) as grids_with_branch
    from area d, unnest(area_code_ancestors(d.code)) as a group by a
  ),
  org_place as (
    select coalesce(o.area_code, bb.grid_code) as code
    from party_org o left join building bb on bb.id = o.building_id
  ),
  orgs as (
    select a as code, count(*) as n from org_place, unnest(area_code_ancestors(code)) as a group by a
  ),
  centres as (
    select a as code, count(*) as n from service_centre, unnest(area_code_ancestors(area_code)) as a group by a
  )
  insert into area_stats
  select ar.code, ar.level, (ST_Area(ar.geom::geography) / 1e6)::real,
         coalesce(d.streets, 0), coalesce(d.communities, 0), coalesce(d.villages, 0),
         coalesce(d.grids, 0), coalesce(d.grids_with_branch, 0),
         coalesce(r.buildings, 0), coalesce(r.households, 0), coalesce(r.residents, 0),
         coalesce(r.members, 0), coalesce(r.members_working, 0),
         coalesce(r.member_buildings, 0), coalesce(r.member_buildings_covered, 0),
         coalesce(o.n, 0), coalesce(c.n, 0)
  from area ar
  left join descendants d on d.code = ar.code
  left join rolled r on r.code = ar.code
  left join orgs o on o.code = ar.code
  left join centres c on c.code = ar.code;

  insert into area_stats_state (id, data_version, computed_at) values (1, v, now())
  on conflict (id) do update set data_version = excluded.data_version, computed_at = excluded.computed_at;
  return v;
end $$;
