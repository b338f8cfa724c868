// Every row that row-level security protects, with its identity and the scope key derived from its
// parents by joins (never read from the key columns of sql/009): what the tests compare the
// stored keys and the rows each scope sees against.
export interface DerivedKeyRow {
	t: string;
	id: string;
	stored: string | null;
	derived: string | null;
}

export const PROTECTED_TABLES = [
	'household',
	'party_member',
	'central_household',
	'central_household_link',
	'building_leader',
	'request',
	'visit',
	'need',
	'project',
	'building_member_count'
] as const;

/** how each table's rows are named in DERIVED_KEYS' `id` */
export const ROW_ID: Record<(typeof PROTECTED_TABLES)[number], string> = {
	household: 'id::text',
	party_member: 'id::text',
	central_household: 'household_id::text',
	central_household_link: `central_household_id || '>' || household_id`,
	building_leader: 'id::text',
	request: 'id::text',
	visit: 'id::text',
	need: 'id::text',
	project: 'id::text',
	building_member_count: 'building_id::text'
};

export const DERIVED_KEYS = `
select 'household' as t, h.id::text as id, h.grid_code as stored, b.grid_code as derived
  from household h join building b on b.id = h.building_id
union all
select 'party_member', m.id::text, m.scope_code,
       case when m.household_id is null then coalesce(o.area_code, ob.grid_code) else hb.grid_code end
  from party_member m join party_org o on o.id = m.org_id left join building ob on ob.id = o.building_id
  left join household h on h.id = m.household_id left join building hb on hb.id = h.building_id
union all
select 'central_household', c.household_id::text, c.grid_code, b.grid_code
  from central_household c join household h on h.id = c.household_id join building b on b.id = h.building_id
union all
select 'central_household_link', l.central_household_id || '>' || l.household_id, l.grid_code, b.grid_code
  from central_household_link l join household h on h.id = l.household_id join building b on b.id = h.building_id
union all
select 'building_leader', l.id::text, l.grid_code, b.grid_code
  from building_leader l join building b on b.id = l.building_id
union all
select 'request', r.id::text, r.grid_code,
       coalesce(hb.grid_code, (select a.code from area a where a.level = 'grid' and ST_Intersects(a.geom, r.geom) order by a.code limit 1))
  from request r left join household h on h.id = r.household_id left join building hb on hb.id = h.building_id
union all
select 'visit', v.id::text, v.grid_code, b.grid_code
  from visit v join household h on h.id = v.household_id join building b on b.id = h.building_id
union all
select 'need', n.id::text, n.grid_code,
       coalesce(r.grid_code, (select a.code from area a where a.level = 'grid' and ST_Intersects(a.geom, n.geom) order by a.code limit 1))
  from need n left join request r on r.id = n.request_id
union all
select 'project', p.id::text, p.grid_code,
       coalesce(r.grid_code, (select a.code from area a where a.level = 'grid' and ST_Intersects(a.geom, n.geom) order by a.code limit 1))
  from project p join need n on n.id = p.need_id left join request r on r.id = n.request_id
union all
select 'building_member_count', c.building_id::text, c.grid_code, b.grid_code
  from building_member_count c join building b on b.id = c.building_id`;

/**
 * Members living in each building and their households, counted from the members themselves, beside
 * the counts the schema keeps (sql/025, sql/032), as 'members/households': a building appears when
 * either says it has any.
 */
export const DERIVED_MEMBER_COUNTS = `
select coalesce(c.building_id, d.building_id)::text as building,
       c.living || '/' || c.households as stored, d.living || '/' || d.households as derived
from building_member_count c
full join (select h.building_id, count(*)::int as living, count(distinct h.id)::int as households
           from party_member m join household h on h.id = m.household_id
           group by h.building_id) d on d.building_id = c.building_id
order by 1`;
