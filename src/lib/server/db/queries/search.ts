// The search box: areas by name, buildings by address or name, organisations by name.
// People are not searchable here (they come with access control).
import { sql, type RawBuilder } from 'kysely';
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
	const candidates = await buildingCandidates(trx, q);
	const { rows } = await sql<SearchHit & { rank: number }>`
		(select 'area' as type, a.code as target, a.name as label, a.level as detail,
		        case when a.name like ${`${q}%`} then 0 else 1 end as rank
		 from area a where a.name ilike ${pattern} and a.code like ${inScope} order by rank, length(a.code), a.code limit ${limit})
		union all
		(select 'building', 'b:' || b.id, coalesce(b.name, b.address), b.address,
		        case when b.address like ${`${q}%`} or b.name like ${`${q}%`} then 2 else 3 end
		 from building b where ${candidates} (b.address ilike ${pattern} or b.name ilike ${pattern}) and b.grid_code like ${inScope}
		 order by 5, b.id limit ${limit})
		union all
		(select 'organisation', coalesce(o.area_code, 'b:' || o.building_id), o.name, o.kind,
		        case when o.name like ${`${q}%`} then 1 else 2 end
		 from party_org o left join building ob on ob.id = o.building_id
		 where o.name ilike ${pattern} and coalesce(o.area_code, ob.grid_code) like ${inScope} order by 5, o.id limit ${limit})
		order by rank limit ${limit}`.execute(trx);
	return rows.map(({ rank: _rank, ...hit }) => hit);
}

/** a piece held by more buildings than this is no help: the check reads them all anyway */
const PIECE_MAX_BUILDINGS = 5000;

/**
 * Buildings that can match `q`, as a condition before the check itself: those holding the rarest
 * two-character piece of its lowercased text in building_search (sql/026), found by index. None
 * when every piece is common (朝阳 at Chaoyang: 150,000 buildings, where reading the pieces costs
 * more than reading the buildings) or `q` has one character: then every building is a candidate.
 */
async function buildingCandidates(trx: Scoped, q: string): Promise<RawBuilder<unknown>> {
	if ([...q].length < 2) return sql``;
	// each piece counted up to the cap only: a common one costs no more than a rare one
	const { rows } = await sql<{ gram: string }>`
		select g.gram from unnest(array(select search_bigrams(lower(${q})))) g (gram)
		cross join lateral (select count(*) as n from (select 1 from building_search s where s.gram = g.gram limit ${PIECE_MAX_BUILDINGS + 1}) x) c
		where c.n <= ${PIECE_MAX_BUILDINGS} order by c.n, g.gram limit 1`.execute(trx);
	if (!rows[0]) return sql``;
	return sql`b.id in (select s.building_id from building_search s where s.gram = ${rows[0].gram}) and`;
}
