// The search box: areas by name, buildings by address or name, organisations by name, each
// checked only where its index of name pieces says the text can be (candidates(), sql/028).
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
	const only = await candidates(trx, q);
	const { rows } = await sql<SearchHit & { rank: number }>`
		(select 'area' as type, a.code as target, a.name as label, a.level as detail,
		        case when a.name like ${`${q}%`} then 0 else 1 end as rank
		 from area a where ${only.area} a.name ilike ${pattern} and a.code like ${inScope} order by rank, length(a.code), a.code limit ${limit})
		union all
		(select 'building', 'b:' || b.id, coalesce(b.name, b.address), b.address,
		        case when b.address like ${`${q}%`} or b.name like ${`${q}%`} then 2 else 3 end
		 from building b where ${only.building} (b.address ilike ${pattern} or b.name ilike ${pattern}) and b.grid_code like ${inScope}
		 order by 5, b.id limit ${limit})
		union all
		(select 'organisation', coalesce(o.area_code, 'b:' || o.building_id), o.name, o.kind,
		        case when o.name like ${`${q}%`} then 1 else 2 end
		 from party_org o left join building ob on ob.id = o.building_id
		 where ${only.organisation} o.name ilike ${pattern} and coalesce(o.area_code, ob.grid_code) like ${inScope} order by 5, o.id limit ${limit})
		order by rank limit ${limit}`.execute(trx);
	return rows.map(({ rank: _rank, ...hit }) => hit);
}

/** a piece held by more rows than this is no help: the check reads them all anyway */
const PIECE_MAX_ROWS = 5000;

/** each kind's text as its index (sql/028) holds its pieces: the expressions must be the index's own */
const PIECES = {
	building: sql`search_pieces(building_search_text(b.address, b.name))`,
	area: sql`search_pieces(lower(a.name))`,
	organisation: sql`search_pieces(lower(o.name))`
};

interface Candidates {
	building: RawBuilder<unknown>;
	area: RawBuilder<unknown>;
	organisation: RawBuilder<unknown>;
}

/**
 * Rows that can match `q`, as a condition before the check itself, per kind: the buildings, areas
 * and organisations holding every two-character piece of its lowercased text, found by their GIN
 * indexes (sql/028). No condition for a kind when even its rarest piece is common there (朝阳 at
 * Chaoyang: 150,000 buildings, where reading the index costs more than reading the rows) or `q`
 * has one character: then every row is a candidate.
 */
async function candidates(trx: Scoped, q: string): Promise<Candidates> {
	const none = { building: sql``, area: sql``, organisation: sql`` };
	if ([...q].length < 2) return none;
	// each piece counted up to the cap only: a common one costs no more than a rare one
	const capped = (table: RawBuilder<unknown>, pieces: RawBuilder<unknown>) =>
		sql`(select count(*) from (select 1 from ${table} where ${pieces} @> array[g.gram] limit ${PIECE_MAX_ROWS + 1}) x)::int4`;
	const { rows } = await sql<{ gram: string; buildings: number; areas: number; orgs: number }>`
		select g.gram, ${capped(sql`building b`, PIECES.building)} as buildings, ${capped(sql`area a`, PIECES.area)} as areas,
		       ${capped(sql`party_org o`, PIECES.organisation)} as orgs
		from unnest(search_pieces(lower(${q}))) g (gram)`.execute(trx);
	const pieces = rows.map((r) => r.gram);
	const useful = (count: (r: (typeof rows)[number]) => number) => rows.some((r) => count(r) <= PIECE_MAX_ROWS);
	const holding = (kind: keyof typeof PIECES) => sql`${PIECES[kind]} @> ${pieces}::text[] and`;
	return {
		building: useful((r) => r.buildings) ? holding('building') : sql``,
		area: useful((r) => r.areas) ? holding('area') : sql``,
		organisation: useful((r) => r.orgs) ? holding('organisation') : sql``
	};
}
