-- A local refresh of area_stats (issue 9 part 3: figures fresh within seconds of a typical write):
-- when every write since the figures were computed is to party members or service centres (the
-- writes sql/021's log bounds), only what those writes move is computed again —
--   members     the member figures of the grids of the buildings the log names (each member's
--               household's building and workplace building, before and after): each such grid's
--               figures computed afresh, and the change from its stored row added to every area
--               above it (the full refresh's roll-up is a sum over grids: the same numbers)
--   centres     the service-centre counts of every area (one small count)
-- A touched grid without a row of its own (a building whose grid has no area), or with areas below
-- it, cannot give its change alone: the caller refreshes everything instead (false).
-- The log's rows are kept until area_stats and the coverage results both reflect them
-- (coverage/store.ts), so the rows after the figures' version are all there.

create function refresh_area_stats_local(member_threshold integer, covering_kinds text[], grid_codes text[], centres boolean)
returns boolean language plpgsql as $$
declare v bigint;
begin
  select version into v from data_version where id = 1;
  -- each code must be a leaf with its own row: its row is then its buildings' sum alone
  if exists (select 1 from unnest(grid_codes) g
             where not exists (select 1 from area_stats s where s.code = g)
                or exists (select 1 from area d where d.code like g || '_%')) then
    return false;
  end if;
  if cardinality(grid_codes) > 0 then
    with
    b as (select id, grid_code from building where grid_code = any (grid_codes)),
    living as (
      select h.building_id, count(*) as n from party_member m join household h on h.id = m.household_id
      where h.building_id in (select id from b) group by 1
    ),
    working as (
      select workplace_building_id as building_id, count(*) as n from party_member
      where workplace_building_id in (select id from b) group by 1
    ),
    covered as (
      select distinct building_id from party_org
      where building_id in (select id from b) and kind = any (covering_kinds)
    ),
    per_building as (
      select b.grid_code, coalesce(l.n, 0) as members, coalesce(w.n, 0) as members_working,
             (coalesce(l.n, 0) + coalesce(w.n, 0) >= member_threshold) as member_building,
             (c.building_id is not null) as is_covered
      from b left join living l on l.building_id = b.id
             left join working w on w.building_id = b.id
             left join covered c on c.building_id = b.id
    ),
    per_grid as (
      select g as code,
             coalesce(sum(p.members), 0) as members, coalesce(sum(p.members_working), 0) as members_working,
             count(*) filter (where p.member_building) as member_buildings,
             count(*) filter (where p.member_building and p.is_covered) as member_buildings_covered
      from unnest(grid_codes) g left join per_building p on p.grid_code = g group by g
    ),
    delta as (
      select n.code, n.members - s.members as members, n.members_working - s.members_working as members_working,
             n.member_buildings - s.member_buildings as member_buildings,
             n.member_buildings_covered - s.member_buildings_covered as member_buildings_covered
      from per_grid n join area_stats s on s.code = n.code
    ),
    rolled as (
      select a as code, sum(members) as members, sum(members_working) as members_working,
             sum(member_buildings) as member_buildings, sum(member_buildings_covered) as member_buildings_covered
      from delta, unnest(area_code_ancestors(code)) as a group by a
    )
    update area_stats s set members = s.members + r.members, members_working = s.members_working + r.members_working,
           member_buildings = s.member_buildings + r.member_buildings,
           member_buildings_covered = s.member_buildings_covered + r.member_buildings_covered
    from rolled r where r.code = s.code
      and (r.members, r.members_working, r.member_buildings, r.member_buildings_covered) <> (0, 0, 0, 0);
  end if;
  if centres then
    update area_stats s set service_centres = coalesce(c.n, 0)
    from area_stats s2 left join (
      select a as code, count(*) as n from service_centre, unnest(area_code_ancestors(area_code)) as a group by a
    ) c on c.code = s2.code
    where s2.code = s.code and s.service_centres is distinct from coalesce(c.n, 0);
  end if;
  update area_stats_state set data_version = v, computed_at = now() where id = 1;
  return true;
end $$;
