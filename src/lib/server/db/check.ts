// `db:check`: the geometry invariants of the area hierarchy and the buildings.
//   - every area and building polygon is valid, a MultiPolygon in SRID 4326; roads are valid;
//   - each area's parent is one level up; a child lies inside its parent; siblings don't overlap;
//   - each level tiles its parent without holes;
//   - buildings lie inside their grid, don't overlap each other and don't cross roads;
//   - service centres lie inside their area.
// Distances and areas are measured in metres (a local equirectangular frame around the district,
// far below a metre off at a district's size). Tolerance: 1 m — a sliver narrower than 1 m
// (or smaller than 1 m²) is not reported.
//
// The embedded PostGIS answers a GEOS error with no rows instead of raising, so invalid
// geometries are set aside before any overlay, and every overlay query carries a sentinel row:
// a query that comes back without it is reported as `check_failed`, never as "no violations".
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';
import type { Db } from './open.ts';
import { createTouching } from './touching.ts';

export interface Violation {
	rule: string;
	codes: string[];
	detail: string;
}

export interface CheckSummary {
	streets: number;
	communities: number;
	grids: number;
	buildings: number;
}

const TOL = 1; // metres
// Overlays run on a 1 mm precision grid: the embedded GEOS (3.14) silently fails plain
// floating-point ST_Difference on about a quarter of the parent/children pairs of a seeded
// district (no rows, no error), while the snapped overlay succeeds on both backends.
const GRID = 0.001;
const G = sql.raw(String(GRID));
const PARENT_LEVEL: Record<string, string> = { street: 'district', community: 'street', grid: 'community' };
const NOUN: Record<string, string> = { district: 'district', street: 'streets', community: 'communities', grid: 'grids' };

export async function summarise(db: Db): Promise<CheckSummary> {
	const { rows } = await sql<{ level: string; n: number }>`select level, count(*)::int as n from area group by level`.execute(db.kysely);
	const by = Object.fromEntries(rows.map((r) => [r.level, Number(r.n)]));
	const b = await sql<{ n: number }>`select count(*)::int as n from building`.execute(db.kysely);
	return { streets: by.street ?? 0, communities: by.community ?? 0, grids: by.grid ?? 0, buildings: Number(b.rows[0].n) };
}

export async function checkDatabase(db: Db): Promise<Violation[]> {
	return db.kysely.connection().execute(async (conn) => {
		try {
			return await runChecks(conn);
		} finally {
			await sql`drop table if exists pg_temp.chk_area, pg_temp.chk_building, pg_temp.chk_road, pg_temp.chk_touching`.execute(conn);
		}
	});
}

/**
 * What an import of buildings, roads or service centres can break: the rules about that layer, for
 * the rows it writes (`ids`, a query of their ids) and what they touch (the buildings and roads
 * over them, their grid or area). The area rules, which such rows cannot change, are left out, and
 * so are validity and type, which the tables' constraints hold for every row written. Checked
 * before and after the write, the difference is the same as that of the whole checks (a violation
 * among untouched rows is in both), at the cost of the rows written instead of the whole database.
 */
export interface CheckFocus {
	layer: 'buildings' | 'roads' | 'service_centres';
	ids: RawBuilder<unknown>;
}

/**
 * The same checks inside a transaction the caller holds (an import checks what it is about to
 * commit, and rolls back on a violation it brought), all of them or those of a focus. Its work
 * tables go when it ends.
 */
export async function checkWithin(conn: Kysely<Database>, focus?: CheckFocus): Promise<Violation[]> {
	try {
		if (focus) {
			await sql`create temp table chk_focus as select id::bigint as id from (${focus.ids}) f(id)`.execute(conn);
			await sql`create unique index on chk_focus (id)`.execute(conn);
			await sql`analyze chk_focus`.execute(conn);
			const { rows } = await sql<{ n: number }>`select count(*)::int as n from chk_focus`.execute(conn);
			if (Number(rows[0].n) === 0) return [];
		}
		return await runChecks(conn, focus?.layer ?? null);
	} finally {
		await sql`drop table if exists pg_temp.chk_area, pg_temp.chk_building, pg_temp.chk_road, pg_temp.chk_focus, pg_temp.chk_touching`.execute(conn);
	}
}

async function runChecks(c: Kysely<Database>, focus: CheckFocus['layer'] | null = null): Promise<Violation[]> {
	const out: Violation[] = [];
	// which rules run: all of them, or those about the focus layer (its rows listed in chk_focus)
	const whole = focus === null;
	const areas = whole;
	const buildings = whole || focus === 'buildings';
	const crossings = whole || focus === 'roads' || focus === 'buildings';
	const centres = whole || focus === 'service_centres';
	const focused = (layer: CheckFocus['layer'], col: string) => sql.raw(focus === layer ? `${col} in (select id from chk_focus)` : 'true');
	const rows = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(c)).rows as T[];

	// 1. validity and type, on the stored lon/lat geometries. Only in the whole check: the tables'
	// constraints (sql/001, sql/002: ST_IsValid, geometry(MultiPolygon, 4326)) already hold every row
	// an import writes to them, and the whole check is the one to find rows loaded past a constraint
	// dropped by hand. (Chaoyang's 153,722 buildings: 0.2 s for the rule, 0.2 s more for the copies below.)
	if (whole) {
		const validity = sql`select 'area' as t, code, ST_IsValidReason(geom) as reason from area where not ST_IsValid(geom)
			union all select 'building', grid_code || ' building:' || id, ST_IsValidReason(geom) from building where not ST_IsValid(geom)
			union all select 'road', 'road:' || id, ST_IsValidReason(geom) from road where not ST_IsValid(geom) or ST_NPoints(geom) < 2`;
		for (const r of await rows<{ t: string; code: string; reason: string }>(sql`${validity} order by 1, 2`)) {
			out.push({ rule: 'invalid_geometry', codes: r.code.split(' '), detail: `${r.t} geometry is invalid: ${r.reason}` });
		}
		const types = sql`select code, GeometryType(geom) as t, ST_SRID(geom) as srid from area where GeometryType(geom) <> 'MULTIPOLYGON' or ST_SRID(geom) <> 4326
			union all select 'building:' || id, GeometryType(geom), ST_SRID(geom) from building where GeometryType(geom) <> 'MULTIPOLYGON' or ST_SRID(geom) <> 4326`;
		for (const r of await rows<{ code: string; t: string; srid: number }>(sql`${types} order by 1`)) {
			out.push({ rule: 'wrong_geometry_type', codes: [r.code], detail: `${r.t} in SRID ${r.srid}, expected MULTIPOLYGON in SRID 4326` });
		}
	}
	for (const r of areas
		? await rows<{ code: string; level: string; parent_code: string | null; plevel: string | null }>(sql`
		select a.code, a.level, a.parent_code, p.level as plevel from area a left join area p on p.code = a.parent_code
		where a.level <> 'district' order by a.code`)
		: []) {
		if (r.plevel !== PARENT_LEVEL[r.level]) {
			out.push({
				rule: 'wrong_parent',
				codes: [r.code, ...(r.parent_code ? [r.parent_code] : [])],
				detail: `a ${r.level} whose parent is ${r.plevel ? `a ${r.plevel}` : 'missing'}`
			});
		}
	}

	// 2. metric copies of the valid geometries
	const centre = (
		await rows<{ lon: number; lat: number }>(sql`
		select ST_X(ST_Centroid(e)) as lon, ST_Y(ST_Centroid(e)) as lat from (select ST_Envelope(ST_Collect(ST_Envelope(geom))) as e from area) s`)
	)[0];
	if (centre?.lon == null) return out; // no areas at all: nothing more to check
	const kx = 111_320 * Math.cos((Number(centre.lat) * Math.PI) / 180);
	const ky = 110_574;
	const m = (col: string) => sql.raw(`ST_SetSRID(ST_Affine(${col}, ${kx}, 0, 0, ${ky}, ${-kx * Number(centre.lon)}, ${-ky * Number(centre.lat)}), 0)`);
	// with a focus: its rows (f) and those near them, the areas they name
	const inFocus = sql.raw('id in (select id from chk_focus)');
	const near = (table: string) => sql.raw(`exists (select 1 from ${table} x join chk_focus k on k.id = x.id where x.geom && t.geom)`);
	const areaWhere = {
		all: sql`true`,
		buildings: sql`code in (select grid_code from building where ${inFocus})`,
		roads: sql`false`,
		service_centres: sql`code in (select area_code from service_centre where ${inFocus})`
	}[focus ?? 'all'];
	const buildingWhere = { all: sql`true`, buildings: sql`(${inFocus} or ${near('building')})`, roads: near('road'), service_centres: sql`false` }[
		focus ?? 'all'
	];
	const roadWhere = { all: sql`true`, buildings: near('building'), roads: inFocus, service_centres: sql`false` }[focus ?? 'all'];
	// (invalid geometries set aside before any overlay; those of a focus are valid by constraint)
	const valid = whole ? sql`and ST_IsValid(geom)` : sql``;
	const f = (layer: CheckFocus['layer']) => (whole ? sql`true` : focus === layer ? inFocus : sql`false`);
	await sql`create temp table chk_area as select code, level, parent_code, ${m('geom')} as m from area t where ${areaWhere} ${valid}`.execute(c);
	await sql`create temp table chk_building as select id, grid_code, ${m('geom')} as m, ${f('buildings')} as f from building t where ${buildingWhere} ${valid}`.execute(
		c
	);
	await sql`create temp table chk_road as select id, ${m('(ST_DumpSegments(geom)).geom')} as m, ${f('roads')} as f from road t where ${roadWhere} ${valid}`.execute(
		c
	);
	// (with a focus the areas are only joined by code, to the few its rows name: no index, and no
	// statistics — the embedded PostGIS estimates the selectivity of ST_Covers against the
	// statistics of one grid as 2e8 and refuses the query)
	for (const t of focus ? ['chk_building', 'chk_road'] : ['chk_area', 'chk_building', 'chk_road']) {
		await sql.raw(`create index on ${t} using gist (m)`).execute(c);
		await sql.raw(`analyze ${t}`).execute(c);
	}

	// a region of more than TOL² and wider than TOL somewhere
	const big = (g: string) => sql.raw(`(ST_Area(${g}) > ${TOL * TOL} and not ST_IsEmpty(ST_Buffer(${g}, ${-TOL / 2})))`);
	const guarded = async <T extends { k: string }>(name: string, q: ReturnType<typeof sql<T>>): Promise<T[]> => {
		const got = await rows<T>(q);
		if (!got.some((r) => r.k === 'sentinel')) {
			out.push({ rule: 'check_failed', codes: [], detail: `the ${name} check returned nothing (a geometry error swallowed by the database?)` });
		}
		return got.filter((r) => r.k !== 'sentinel');
	};

	// 3. child inside parent
	if (areas)
		for (const r of await guarded<{ k: string; code: string; parent: string; level: string; a: number }>(
			'inside-parent',
			sql`
		select 'v' as k, c.code, p.code as parent, c.level, ST_Area(ST_Difference(c.m, p.m, ${G})) as a
		from chk_area c join chk_area p on p.code = c.parent_code
		where not ST_Covers(p.m, c.m) and ${big(`ST_Difference(c.m, p.m, ${GRID})`)}
		union all select 'sentinel', '', '', '', 0 order by 1, 2`
		)) {
			out.push({ rule: 'outside_parent', codes: [r.code, r.parent], detail: `${r.level} ${r.code} extends ${fmt(r.a)} m² outside its parent ${r.parent}` });
		}
	// 4. siblings (any two areas of a level) don't overlap
	if (areas)
		for (const r of await guarded<{ k: string; a: string; b: string; level: string; area: number }>(
			'overlap',
			sql`
		select 'v' as k, x.code as a, y.code as b, x.level, ST_Area(ST_Intersection(x.m, y.m, ${G})) as area
		from chk_area x join chk_area y on x.level = y.level and x.code < y.code and x.m && y.m
		where ST_Relate(x.m, y.m, '2********') and ${big(`ST_Intersection(x.m, y.m, ${GRID})`)}
		union all select 'sentinel', '', '', '', 0 order by 1, 2, 3`
		)) {
			out.push({ rule: 'overlap', codes: [r.a, r.b], detail: `${r.level}s ${r.a} and ${r.b} overlap by ${fmt(r.area)} m²` });
		}
	// 5. each level tiles its parent: no holes, no parent without children
	if (areas)
		for (const r of await guarded<{ k: string; code: string; level: string; n: number; a: number }>(
			'tiling',
			sql`
		select 'v' as k, p.code, p.level, count(c.code)::int as n,
			coalesce(ST_Area(ST_Difference(p.m, ST_Union(c.m), ${G})), ST_Area(p.m)) as a
		from chk_area p left join chk_area c on c.parent_code = p.code
		where p.level <> 'grid'
		group by p.code, p.level, p.m
		having count(c.code) = 0 or ${big(`ST_Difference(p.m, ST_Union(c.m), ${GRID})`)}
		union all select 'sentinel', '', '', 0, 0 order by 1, 2`
		)) {
			const child = { district: 'street', street: 'community', community: 'grid' }[r.level] ?? 'child';
			out.push({
				rule: 'gap',
				codes: [r.code],
				detail: Number(r.n) === 0 ? `${r.level} ${r.code} has no ${NOUN[child]}` : `${NOUN[child]} leave ${fmt(r.a)} m² of ${r.level} ${r.code} uncovered`
			});
		}
	// 6. buildings inside their grid
	if (buildings)
		for (const r of await guarded<{ k: string; id: number; grid: string; level: string | null; a: number }>(
			'building-in-grid',
			sql`
		select 'v' as k, b.id, b.grid_code as grid, g.level, coalesce(ST_Area(ST_Difference(b.m, g.m, ${G})), 0) as a
		from chk_building b left join chk_area g on g.code = b.grid_code
		where b.f and (g.code is null or g.level <> 'grid' or (not ST_Covers(g.m, b.m) and ${big(`ST_Difference(b.m, g.m, ${GRID})`)}))
		union all select 'sentinel', 0, '', '', 0 order by 1, 2`
		)) {
			out.push({
				rule: 'building_outside_grid',
				codes: [r.grid, `building:${r.id}`],
				detail:
					r.level === 'grid'
						? `building ${r.id} extends ${fmt(r.a)} m² outside grid ${r.grid}`
						: `building ${r.id} names ${r.grid}, which is not a grid with a valid geometry`
			});
		}
	// 7. buildings don't overlap: pairs among those that touch another (all of them when that
	// cannot be told)
	const touching =
		buildings && (await createTouching(c, 'chk_touching', sql`select id, m from chk_building`, 'metres'))
			? sql`x.id in (select id from chk_touching) and y.id in (select id from chk_touching) and`
			: sql``;
	if (buildings)
		for (const r of await guarded<{ k: string; a: number; b: number; ga: string; gb: string; area: number }>(
			'building-overlap',
			sql`
		select 'v' as k, x.id as a, y.id as b, x.grid_code as ga, y.grid_code as gb, ST_Area(ST_Intersection(x.m, y.m, ${G})) as area
		from chk_building x join chk_building y on x.id < y.id and x.m && y.m
		where ${touching} (x.f or y.f) and ST_Relate(x.m, y.m, '2********') and ST_Area(ST_Intersection(x.m, y.m, ${G})) > ${TOL * TOL}
		union all select 'sentinel', 0, 0, '', '', 0 order by 1, 2, 3`
		)) {
			out.push({
				rule: 'building_overlap',
				codes: [...new Set([r.ga, r.gb])].concat(`building:${r.a}`, `building:${r.b}`),
				detail: `buildings ${r.a} and ${r.b} overlap by ${fmt(r.area)} m²`
			});
		}
	// 8. buildings don't cross roads
	if (crossings)
		for (const r of await guarded<{ k: string; id: number; grid: string; road: number }>(
			'building-road',
			sql`
		select distinct 'v' as k, b.id, b.grid_code as grid, r.id as road
		from chk_building b join chk_road r on b.m && r.m
		where (b.f or r.f) and ST_Relate(b.m, r.m, 'T********') and ST_Length(ST_Intersection(b.m, r.m, ${G})) > ${TOL}
		union all select 'sentinel', 0, '', 0 order by 1, 2, 4`
		)) {
			out.push({
				rule: 'building_crosses_road',
				codes: [r.grid, `building:${r.id}`, `road:${r.road}`],
				detail: `road ${r.road} runs through building ${r.id}`
			});
		}
	// 9. service centres inside their area
	if (centres)
		for (const r of await rows<{ id: number; area: string; d: number }>(sql`
		select s.id, s.area_code as area, ST_Distance(a.m, ${m('s.geom')}) as d
		from service_centre s join chk_area a on a.code = s.area_code
		where ${focused('service_centres', 's.id')} and ST_Distance(a.m, ${m('s.geom')}) > ${TOL} order by 1`)) {
			out.push({
				rule: 'service_centre_outside_area',
				codes: [r.area, `service_centre:${r.id}`],
				detail: `service centre ${r.id} lies ${fmt(r.d)} m outside its area ${r.area}`
			});
		}
	return out;
}

function fmt(n: number): string {
	return Math.round(Number(n)).toLocaleString('en-US');
}
