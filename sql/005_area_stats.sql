-- The figures of every area, in one table that the map's tiles, the side panel, the big screen
-- and exports all read: one query path, so they never disagree. Recomputed by
-- refresh_area_stats() whenever data_version has moved past the version it was computed from.

create table area_stats (
  code                      text primary key references area (code) on delete cascade,
  level                     text not null,
  area_km2                  real not null,
  streets                   integer not null,
  communities               integer not null,  -- urban 社区
  villages                  integer not null,  -- 村
  grids                     integer not null,
  grids_with_branch         integer not null,  -- grids with a grid party branch (网格党支部)
  buildings                 integer not null,
  households                integer not null,
  residents                 integer not null,
  members                   integer not null,  -- members living here
  members_working           integer not null,  -- members whose workplace building is here
  member_buildings          integer not null,  -- buildings where three or more members live or work
  member_buildings_covered  integer not null,  -- … of which a building-level organisation covers
  organisations             integer not null,
  service_centres           integer not null
);

create table area_stats_state (
  id           smallint primary key default 1 check (id = 1),
  data_version bigint not null,
  computed_at  timestamptz not null default now()
);

-- every area code with its ancestors' codes (the code itself included): codes are hierarchical
create function area_code_ancestors(code text) returns text[] language sql immutable as $$
  select array_agg(left(code, n) order by n)
  from unnest(array[6, 9, 12, 15]) as n where n <= length(code)
$$;

create function refresh_area_stats() returns bigint language plpgsql as $$
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
    where building_id is not null and kind in ('building_group', 'office_branch', 'liaison_station', 'park_branch')
  ),
  per_building as (
    select b.grid_code, b.households, b.residents,
           coalesce(l.n, 0) as members, coalesce(w.n, 0) as members_working,
           (coalesce(l.n, 0) + coalesce(w.n, 0) >= 3) as member_building,
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
