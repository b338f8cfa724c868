// Areas of the hierarchy: outlines for the map and the one summary every panel, screen and
// report reads its figures from.
// Every function takes a scoped transaction (db/scoped.ts): nothing outside its scope is read.
import { sql } from 'kysely';
import type { AreaStats } from '../schema.ts';
import { scopeLike, scopePrefix, type Scoped } from '../scoped.ts';
import { AREA_CODE_LENGTH } from '../../../api/inputs.ts';
import { AREA_LEVELS, type AreaChild, type AreaFigures, type AreaLevel, type AreaRef, type AreaSummary, type BreadcrumbStep } from '../../../api/areas.ts';

export { AREA_LEVELS, type AreaChild, type AreaFigures, type AreaLevel, type AreaRef, type AreaSummary, type BreadcrumbStep };

export function isAreaLevel(value: string): value is AreaLevel {
	return (AREA_LEVELS as readonly string[]).includes(value);
}

/** All areas of one level as a GeoJSON FeatureCollection, built by PostGIS as text. */
export async function areaOutlinesGeoJson(trx: Scoped, level: AreaLevel): Promise<string> {
	const { rows } = await sql<{ fc: string }>`
		select json_build_object(
			'type', 'FeatureCollection',
			'features', coalesce(json_agg(json_build_object(
				'type', 'Feature',
				'id', a.code,
				'properties', json_build_object('code', a.code, 'name', a.name, 'level', a.level,
					'kind', a.kind, 'parent_code', a.parent_code),
				'geometry', ST_AsGeoJSON(a.geom, 6)::json
			) order by a.code), '[]'::json)
		)::text as fc
		from area a where a.level = ${level} and a.code like ${scopeLike(trx)}`.execute(trx);
	return rows[0].fc;
}

// the contract's AreaFigures is area_stats (sql/005) as it is, without its key: checked here
// against the generated table type, both ways, so a new column cannot be left out of either
type StoredFigures = Omit<AreaStats, 'code' | 'level'>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const figuresMatchTable: Same<AreaFigures, StoredFigures> = true;
void figuresMatchTable;

/**
 * The figures of one area and its children, all read from area_stats (sql/005; the caller keeps
 * it fresh with ensureAreaStats). Undefined when the area is not in the caller's scope.
 */
export async function areaSummary(trx: Scoped, code: string): Promise<AreaSummary | undefined> {
	if (!code.startsWith(scopePrefix(trx))) return undefined;
	const area = await trx
		.selectFrom('area as a')
		.innerJoin('area_stats as s', 's.code', 'a.code')
		.select([
			'a.code',
			'a.name',
			'a.level',
			'a.kind',
			sql<number>`ST_XMin(a.geom)`.as('xmin'),
			sql<number>`ST_YMin(a.geom)`.as('ymin'),
			sql<number>`ST_XMax(a.geom)`.as('xmax'),
			sql<number>`ST_YMax(a.geom)`.as('ymax')
		])
		.select(FIGURE_COLUMNS.map((c) => `s.${c}` as const))
		.where('a.code', '=', code)
		.executeTakeFirst();
	if (!area) return undefined;

	const breadcrumb = await breadcrumbOf(trx, code);

	const children = await trx
		.selectFrom('area as a')
		.innerJoin('area_stats as s', 's.code', 'a.code')
		.select(['a.code', 'a.name', 'a.level', 'a.kind', 's.households', 's.members', 's.grids', 's.grids_with_branch'])
		.where('a.parent_code', '=', code)
		.orderBy('a.code')
		.execute();

	const figures = Object.fromEntries(FIGURE_COLUMNS.map((c) => [c, Number(area[c])])) as unknown as AreaFigures;
	return {
		code: area.code,
		name: area.name,
		level: area.level,
		kind: area.kind,
		breadcrumb,
		figures,
		bbox: [Number(area.xmin), Number(area.ymin), Number(area.xmax), Number(area.ymax)],
		children
	};
}

/** The ancestors of an area code (itself included), top down. */
export async function breadcrumbOf(trx: Scoped, code: string): Promise<BreadcrumbStep[]> {
	const scope = scopePrefix(trx);
	// an area's code has one length per level (sql/001), so its ancestors are its prefixes of those
	// lengths: looked up by key (`code like …` of every row read the whole table, ~1 ms a request at Chaoyang)
	const prefixes = Object.values(AREA_CODE_LENGTH)
		.filter((n) => n <= code.length)
		.map((n) => code.slice(0, n));
	if (!prefixes.length) return [];
	const rows = await trx
		.selectFrom('area')
		.select(['code', 'name', 'level', 'kind'])
		.where('code', 'in', prefixes)
		.orderBy(sql`length(code)`)
		.execute();
	return rows.map((r) => ({ ...r, in_scope: r.code.startsWith(scope) }));
}

const FIGURE_COLUMNS = [
	'area_km2',
	'streets',
	'communities',
	'villages',
	'grids',
	'grids_with_branch',
	'buildings',
	'households',
	'residents',
	'members',
	'members_working',
	'member_buildings',
	'member_buildings_covered',
	'organisations',
	'service_centres'
] as const satisfies readonly (keyof AreaFigures)[];

/** The top of the caller's subtree, if it exists (an account may outlive a re-seeded area). */
export async function scopeRoot(trx: Scoped): Promise<AreaRef | undefined> {
	const scope = scopePrefix(trx);
	const root = trx.selectFrom('area').select(['code', 'name', 'level', 'kind']);
	// the system's own work has the whole database: its root is the district
	return (scope ? root.where('code', '=', scope) : root.where('level', '=', 'district')).executeTakeFirst();
}
