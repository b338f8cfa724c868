// The search box: areas by name, buildings by address or name, organisations by name.
// People are not searchable here (they come with access control).
import { sql } from 'kysely';
import { scopeLike, type Scoped } from '../scoped.ts';
import type { SearchHit } from '../../../api/search.ts';

export const SEARCH_LIMIT = 20;

/** Hits inside the caller's scope only. */
export async function search(trx: Scoped, query: string, limit = SEARCH_LIMIT): Promise<SearchHit[]> {
	const inScope = scopeLike(trx);
	// PostgreSQL text cannot hold NUL: a query with one would be a 500, not a miss
	const q = query
		.replace(/\u0000/g, '')
		.trim()
		.slice(0, 50);
	if (!q) return [];
	// escape LIKE's own wildcards: the user's % and _ are literal
	const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
	const { rows } = await sql<SearchHit & { rank: number }>`
		(select 'area' as type, a.code as target, a.name as label, a.level as detail,
		        case when a.name like ${`${q}%`} then 0 else 1 end as rank
		 from area a where a.name ilike ${pattern} and a.code like ${inScope} order by rank, length(a.code), a.code limit ${limit})
		union all
		(select 'building', 'b:' || b.id, coalesce(b.name, b.address), b.address,
		        case when b.address like ${`${q}%`} or b.name like ${`${q}%`} then 2 else 3 end
		 from building b where (b.address ilike ${pattern} or b.name ilike ${pattern}) and b.grid_code like ${inScope} order by 5, b.id limit ${limit})
		union all
		(select 'organisation', coalesce(o.area_code, 'b:' || o.building_id), o.name, o.kind,
		        case when o.name like ${`${q}%`} then 1 else 2 end
		 from party_org o left join building ob on ob.id = o.building_id
		 where o.name ilike ${pattern} and coalesce(o.area_code, ob.grid_code) like ${inScope} order by 5, o.id limit ${limit})
		order by rank limit ${limit}`.execute(trx);
	return rows.map(({ rank: _rank, ...hit }) => hit);
}
