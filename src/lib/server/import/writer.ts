// The writer: everything inside the one transaction of an import (run.ts opens it).
//   1. stage: the prepared features go into a temp table (COPY on the server, batches of JSON embedded)
//   2. in PostGIS: parse, range-check and ST_Transform to 4326 (a geometry that fails is that
//      feature's error, not the import's), ST_IsValid (ST_MakeValid only when asked), pieces that
//      share an id merged or duplicates refused, then per layer: parent by code or containment,
//      codes, inside the parent, overlapping siblings, buildings in a grid and off the roads,
//      within the caller's scope and the district
//   3. upsert the accepted rows by code or source id (nothing at all when nothing changes)
//   4. db:check's checks in the same transaction: a violation the import brought refuses it
// Metres and square metres are measured on the geography (1 m tolerance, as db:check).
import { sql, type RawBuilder } from 'kysely';
import { checkWithin, type CheckFocus, type Violation } from '../db/check.ts';
import { scopePrefix, type Scoped } from '../db/scoped.ts';
import type { OpenCopy } from '../db/copy-rows.ts';
import { createTouching } from '../db/touching.ts';
import { isGeographic } from './crs.ts';
import type { Prepared } from './validate.ts';
import type { ImportLayer, ReportRow } from './types.ts';
import { AREA_CODE_LENGTH } from '../../api/inputs.ts';

const LEVELS = ['district', 'street', 'community', 'grid'] as const;
const CODE_LENGTH: Record<string, number> = AREA_CODE_LENGTH;
const PARENT: Record<string, string> = { street: 'district', community: 'street', grid: 'community' };

// JICENG_IMPORT_TRACE=1 prints each statement's time on stderr (to see where an import spends it)
const TRACE = process.env.JICENG_IMPORT_TRACE === '1';
const exec = async (trx: Scoped, q: RawBuilder<unknown>) => {
	const t0 = performance.now();
	const r = await q.execute(trx);
	if (TRACE)
		process.stderr.write(
			`[import trace] @${(performance.now() / 1000).toFixed(1)} ${(performance.now() - t0).toFixed(0)} ms ${q.compile(trx).sql.replace(/\s+/g, ' ').slice(0, 110)}\n`
		);
	return r;
};

export async function createStage(trx: Scoped): Promise<void> {
	await exec(
		trx,
		sql`create temp table import_stage (
		n int primary key, file text not null, key text, attrs jsonb not null, gtext text, gkind text,
		g geometry, reject text, field text, repaired text
	) on commit drop`
	);
	// parse and transform one feature; an error is returned as text instead of ending the transaction
	await exec(
		trx,
		sql`create or replace function pg_temp.import_geom(t text, kind text, srid int, out g geometry, out err text) language plpgsql as $$
	begin
		g := case kind when 'wkt' then ST_GeomFromText(t) when 'wkb' then ST_GeomFromWKB(decode(t, 'base64')) else ST_GeomFromGeoJSON(t) end;
		g := ST_SetSRID(ST_Force2D(g), srid);
		if srid in (4326, 4490) and (ST_XMin(g) < -180 or ST_XMax(g) > 180 or ST_YMin(g) < -90 or ST_YMax(g) > 90) then
			g := null; err := 'coordinates out of range for longitude/latitude'; return;
		end if;
		if srid <> 4326 then g := ST_Transform(g, 4326); end if;
		if not (ST_XMin(g) between -180 and 180 and ST_YMin(g) between -90 and 90 and ST_XMax(g) between -180 and 180 and ST_YMax(g) between -90 and 90) then
			g := null; err := 'coordinates out of range after the transformation to WGS84'; return;
		end if;
	exception when others then
		g := null; err := sqlerrm;
	end $$`
	);
}

/** Takes the prepared features into import_stage as they are read. */
export interface Stager {
	add(row: Prepared): Promise<void>;
	/** all rows are in */
	finish(): Promise<void>;
	/** the reading failed: leave the connection ready for the rollback */
	abort(reason: Error): Promise<void>;
}

const STAGE_COLUMNS = 'n, file, key, attrs, gtext, gkind, reject, field';

/**
 * Server: one COPY for the whole file, parsed by the server while this process reads on. Embedded
 * (no COPY from a client): batches of JSON, one in the database while the next is read.
 */
export function openStage(trx: Scoped, openCopy: OpenCopy | null): Stager {
	if (openCopy) {
		const t0 = performance.now();
		const sink = openCopy(`copy import_stage (${STAGE_COLUMNS}) from stdin`);
		return {
			add: (r) => sink.write([r.n, r.file, r.key, JSON.stringify(r.attrs), r.gtext, r.gkind, r.reject, r.field]),
			async finish() {
				const n = await sink.end();
				if (TRACE)
					process.stderr.write(
						`[import trace] @${(performance.now() / 1000).toFixed(1)} ${(performance.now() - t0).toFixed(0)} ms copy import_stage: ${n} rows\n`
					);
			},
			abort: (reason) => sink.abort(reason)
		};
	}
	let batch: Prepared[] = [];
	let pending: Promise<void> = Promise.resolve();
	const flush = async () => {
		await pending;
		pending = stageBatch(trx, batch);
		// a failed batch throws at the next await of it
		pending.catch(() => undefined);
		batch = [];
	};
	return {
		async add(r) {
			batch.push(r);
			if (batch.length >= 2000) await flush();
		},
		async finish() {
			await flush();
			await pending;
		},
		abort: async () => {
			await pending.catch(() => undefined);
		}
	};
}

async function stageBatch(trx: Scoped, rows: Prepared[]): Promise<void> {
	if (!rows.length) return;
	const json = JSON.stringify(
		rows.map((r) => ({ n: r.n, file: r.file, key: r.key, attrs: r.attrs, gtext: r.gtext, gkind: r.gkind, reject: r.reject, field: r.field }))
	);
	await exec(
		trx,
		sql`insert into import_stage (${sql.raw(STAGE_COLUMNS)})
		select ${sql.raw(STAGE_COLUMNS)} from json_populate_recordset(null::import_stage, ${json}::json)`
	);
}

export interface WriteOptions {
	layer: ImportLayer;
	srid: number;
	repair: boolean;
	mergeDuplicates: boolean;
	dryRun: boolean;
}

export interface WriteOutcome {
	features: number;
	accepted: number;
	rejected: number;
	report: ReportRow[];
	/** rows inserted / updated / unchanged */
	written: { inserted: number; updated: number; unchanged: number };
	/** db:check violations the import brought (then nothing is written) */
	violations: Violation[];
	/** db:check gaps left (a level not yet tiling its parent: expected while importing level by level) */
	gaps: Violation[];
	/** the first accepted features as they will be stored (WGS84), for a look on the map before committing */
	preview: { type: 'FeatureCollection'; features: { type: 'Feature'; properties: Record<string, unknown>; geometry: unknown }[] };
}

async function rows<T>(trx: Scoped, q: RawBuilder<T>): Promise<T[]> {
	return (await exec(trx, q as RawBuilder<unknown>)).rows as T[];
}

/**
 * Validates the staged features, writes the accepted ones and checks the result (`check`: the
 * hierarchy checks before and after the write, which then refuse a violation the write brought).
 */
export async function validateAndWrite(trx: Scoped, o: WriteOptions, check: boolean): Promise<WriteOutcome> {
	const scope = scopePrefix(trx);
	const polygonal = o.layer === 'areas' || o.layer === 'buildings';
	// 1. geometry: parse, transform, validity. First all rows in one statement, the same steps as
	// import_geom inline; when one feature's geometry raises (PostGIS cannot read or transform it),
	// that statement is undone and the rows left without a geometry go through import_geom one by
	// one (its exception block, a subtransaction per row, costs 4 s on 150,000 buildings). Each
	// "offset 0" keeps a subquery from being folded into the next, which would parse and transform
	// each geometry once per use; each box is computed once (ST_XMin of a geometry computes its box).
	// The staged rows are copied with their geometries into a new table that takes the stage's
	// name: an UPDATE of every row wrote each twice and left the old versions for every later scan
	// (Chaoyang's buildings: 1.33 s, 0.87 s so)
	const srid = o.srid;
	await exec(trx, sql`savepoint import_geom`);
	try {
		await exec(
			trx,
			sql`create temp table import_parsed on commit drop as
			select n, file, key, attrs, gtext, gkind, case when err is null then g end as g, coalesce(reject, 'cannot be read or transformed: ' || err) as reject,
				case when reject is not null then field when err is not null then 'geometry' end as field, repaired
			from (select *, case when lonlat then 'coordinates out of range for longitude/latitude'
					when not (ST_XMin(bx) between -180 and 180 and ST_YMin(bx) between -90 and 90 and ST_XMax(bx) between -180 and 180 and ST_YMax(bx) between -90 and 90)
					then 'coordinates out of range after the transformation to WGS84' end as err
				from (select *, case when transformed then Box2D(g) else b0 end as bx
					from (select *, case when lonlat or ${srid}::int = 4326 then g0 else ST_Transform(g0, 4326) end as g, not (lonlat or ${srid}::int = 4326) as transformed
						from (select *, ${srid}::int in (4326, 4490) and (ST_XMin(b0) < -180 or ST_XMax(b0) > 180 or ST_YMin(b0) < -90 or ST_YMax(b0) > 90) as lonlat
							from (select *, Box2D(g0) as b0
								from (select n, file, key, attrs, gtext, gkind, reject, field, repaired,
										case when reject is null then ST_SetSRID(ST_Force2D(case gkind when 'wkt' then ST_GeomFromText(gtext) when 'wkb' then ST_GeomFromWKB(decode(gtext, 'base64')) else ST_GeomFromGeoJSON(gtext) end), ${srid}::int) end as g0
									from import_stage offset 0) a offset 0) b offset 0) c offset 0) d) e) x`
		);
		// every staged row, or the statement failed in a way the embedded PostGIS did not raise
		const [{ staged, parsed }] = await rows(
			trx,
			sql<{ staged: number; parsed: number }>`select (select count(*)::int from import_stage) as staged, (select count(*)::int from import_parsed) as parsed`
		);
		if (Number(staged) !== Number(parsed)) throw new Error('the geometries came back short');
		await exec(trx, sql`drop table import_stage`);
		await exec(trx, sql`alter table import_parsed rename to import_stage`);
		await exec(trx, sql`release savepoint import_geom`);
	} catch {
		await exec(trx, sql`rollback to savepoint import_geom`);
	}
	// (the embedded PostGIS may also answer an error with no rows: those rows are still without one)
	await exec(
		trx,
		sql`update import_stage s set g = r.g, reject = case when r.g is null then 'cannot be read or transformed: ' || r.err end,
		field = case when r.g is null then 'geometry' end
		from (select n, (pg_temp.import_geom(gtext, gkind, ${srid})).* from import_stage where reject is null and g is null) r where r.n = s.n`
	);
	if (polygonal) await exec(trx, sql`update import_stage set g = ST_Multi(g) where reject is null and GeometryType(g) <> 'MULTIPOLYGON'`);
	if (o.layer === 'service_centres') await exec(trx, sql`update import_stage set g = ST_PointOnSurface(g) where reject is null and GeometryType(g) <> 'POINT'`);
	const dim = polygonal ? 3 : o.layer === 'roads' ? 2 : 1;
	if (o.repair) {
		await exec(
			trx,
			sql`update import_stage set repaired = 'invalid geometry repaired with ST_MakeValid: ' || ST_IsValidReason(g),
			g = ST_CollectionExtract(ST_MakeValid(g), ${dim}) where reject is null and not ST_IsValid(g)`
		);
		if (polygonal) await exec(trx, sql`update import_stage set g = ST_Multi(g) where reject is null and repaired is not null`);
		await exec(
			trx,
			sql`update import_stage set reject = 'invalid geometry, nothing left after ST_MakeValid', field = 'geometry'
			where reject is null and repaired is not null and (g is null or ST_IsEmpty(g) or not ST_IsValid(g))`
		);
	} else {
		await exec(
			trx,
			sql`update import_stage set reject = 'invalid geometry: ' || ST_IsValidReason(g) || ' (import with repair to fix it with ST_MakeValid)', field = 'geometry'
			where reject is null and not ST_IsValid(g)`
		);
	}
	if (polygonal) {
		// measured on the spheroid only when small in degrees² too: between ±89° latitude a square
		// metre is less than 5e-9 deg², so a polygon of 1e-8 deg² or more (about 100 m² here) has more
		await exec(
			trx,
			sql`update import_stage set reject = 'degenerate polygon (area below 1 m²)', field = 'geometry'
			where reject is null and case when ST_Area(g) < 1e-8 or ST_YMin(g) < -89 or ST_YMax(g) > 89 then ST_Area(g::geography) < 1 else false end`
		);
	}

	// 2. rows: pieces sharing an id merged, or duplicates refused
	await exec(
		trx,
		sql`create temp table import_rows (
		key text, ns int[] not null, n int not null, file text not null, attrs jsonb not null, g geometry, reject text, field text
	) on commit drop`
	);
	const notes: ReportRow[] = [];
	if (o.layer !== 'areas' && o.mergeDuplicates) {
		const merge = polygonal
			? sql`ST_Multi(ST_CollectionExtract(ST_Union(g), 3))`
			: o.layer === 'roads'
				? sql`ST_LineMerge(ST_Collect(g))`
				: sql`(array_agg(g order by n))[1]`;
		await exec(
			trx,
			sql`insert into import_rows (key, ns, n, file, attrs, g)
			select key, array_agg(n order by n), min(n), (array_agg(file order by n))[1], (array_agg(attrs order by n))[1], ${merge}
			from import_stage where reject is null group by key`
		);
		for (const r of await rows(
			trx,
			sql<{ file: string; n: number; k: number; key: string }>`
			select file, n, cardinality(ns) as k, key from import_rows where cardinality(ns) > 1 order by n`
		)) {
			notes.push({ file: r.file, feature: r.n, field: 'id', reason: `${r.k} pieces sharing id ${r.key} merged into one`, action: 'repaired' });
		}
		if (polygonal)
			await exec(
				trx,
				sql`update import_rows set reject = 'invalid geometry after merging its pieces', field = 'geometry' where not ST_IsValid(g) or ST_IsEmpty(g)`
			);
	} else {
		await exec(trx, sql`insert into import_rows (key, ns, n, file, attrs, g) select key, array[n], n, file, attrs, g from import_stage where reject is null`);
		if (o.layer !== 'areas') {
			await exec(
				trx,
				sql`update import_rows r set reject = 'duplicate id ' || r.key || ' (first at feature ' || f.n || ')', field = 'id'
				from (select key, min(n) as n from import_rows group by key having count(*) > 1) f where f.key = r.key and r.n > f.n`
			);
		}
	}
	if (o.layer === 'roads') {
		// one row per line: a MultiLineString's parts keyed key#1, key#2…
		await exec(
			trx,
			sql`create temp table import_parts on commit drop as
			select case when count(*) over (partition by r.key) > 1 then r.key || '#' || d.path[1] else r.key end as key, r.ns, r.n, r.file, r.attrs, d.geom as g, r.reject, r.field
			from import_rows r cross join lateral ST_Dump(coalesce(r.g, 'LINESTRING EMPTY'::geometry)) d`
		);
		await exec(trx, sql`truncate import_rows`);
		await exec(trx, sql`insert into import_rows select key, ns, n, file, attrs, g, reject, field from import_parts where g is not null and ST_NPoints(g) >= 2`);
	}

	if (o.layer === 'buildings') {
		// a building's grid by its code, before the indexes below, into a copy of the rows that takes
		// their table's name (an UPDATE of every row wrote each twice, and every later scan and index
		// build read the old versions too)
		await exec(
			trx,
			sql`create temp table import_rows_grid on commit drop as
			select r.*, a.code as grid from import_rows r left join area a on r.reject is null and a.code = r.attrs->>'grid_code' and a.level = 'grid'`
		);
		await exec(trx, sql`drop table import_rows`);
		await exec(trx, sql`alter table import_rows_grid rename to import_rows`);
	}

	// the overlap and containment checks below join the rows to themselves and to the stored layers.
	// "an earlier feature" is written y.n - r.n < 0, not y.n < r.n: the latter lets the planner AND
	// the GiST probe with a range scan of the (n) index, half the table per row (O(n²): 19,623
	// buildings took 3.5 s where the GiST probe alone takes 0.2 s)
	await exec(trx, sql`create index on import_rows using gist (g)`);
	await exec(trx, sql`create index on import_rows (n)`);
	await exec(trx, sql`analyze import_rows`);

	// 3. per layer: parents, codes, containment, overlaps
	const reject = async (where: RawBuilder<unknown>, reason: RawBuilder<unknown>, field: string) =>
		exec(trx, sql`update import_rows r set reject = ${reason}, field = ${field} where r.reject is null and ${where}`);
	const districts = Number((await rows(trx, sql<{ n: number }>`select count(*)::int as n from area where level = 'district'`))[0].n);

	if (o.layer === 'areas') {
		await exec(trx, sql`alter table import_rows add column code text, add column parent text`);
		await exec(trx, sql`update import_rows set code = attrs->>'code', parent = attrs->>'parent_code'`);
		await reject(sql`(r.attrs->>'level') not in ('district','street','community','grid')`, sql`'unknown level ' || (r.attrs->>'level')`, 'level');
		for (const level of LEVELS) {
			const L = sql.lit(level);
			if (level === 'district') {
				await reject(sql`r.attrs->>'level' = ${L} and r.code is null`, sql`'code is missing (a district needs its 6-digit code)'`, 'code');
			} else {
				const P = sql.lit(PARENT[level]);
				// a named parent must be an area one level up (existing, or accepted in this file)
				await reject(
					sql`r.attrs->>'level' = ${L} and r.parent is not null and not exists (select 1 from area a where a.code = r.parent and a.level = ${P})
						and not exists (select 1 from import_rows p where p.reject is null and p.code = r.parent and p.attrs->>'level' = ${P})`,
					sql`'missing parent: ' || r.parent || ' is not a ' || ${P}`,
					'parent_code'
				);
				// else by containment of a point inside it
				await exec(
					trx,
					sql`update import_rows r set parent = (
						select c.code from (select code, geom from area where level = ${P} union all select code, g from import_rows where reject is null and attrs->>'level' = ${P} and code is not null) c
						where ST_Intersects(c.geom, ST_PointOnSurface(r.g)) order by c.code limit 1)
					where r.reject is null and r.attrs->>'level' = ${L} and r.parent is null`
				);
				await reject(sql`r.attrs->>'level' = ${L} and r.parent is null`, sql`'missing parent: lies in no ' || ${P}`, 'parent_code');
				// a missing code: the parent's child of the same name keeps its code, else the next free number
				await exec(
					trx,
					sql`update import_rows r set code = a.code from area a
					where r.reject is null and r.attrs->>'level' = ${L} and r.code is null and a.parent_code = r.parent and a.level = ${L} and a.name = r.attrs->>'name'`
				);
				await exec(
					trx,
					sql`update import_rows r set code = r.parent || lpad((coalesce(m.mx, 0) + x.k)::text, 3, '0')
					from (select n, row_number() over (partition by parent order by n) as k from import_rows where reject is null and attrs->>'level' = ${L} and code is null) x
					left join lateral (select max(right(c, 3)::int) as mx from (
						select code as c from area where parent_code = (select parent from import_rows where n = x.n)
						union all select code from import_rows where parent = (select parent from import_rows where n = x.n) and code is not null) cc) m on true
					where r.n = x.n and r.reject is null`
				);
				await reject(
					sql`r.attrs->>'level' = ${L} and left(r.code, length(r.parent)) <> r.parent`,
					sql`'code ' || r.code || ' does not start with its parent''s code ' || r.parent`,
					'code'
				);
			}
			await reject(
				sql`r.attrs->>'level' = ${L} and length(r.code) <> ${CODE_LENGTH[level]}`,
				sql`'code ' || r.code || ' has ' || length(r.code) || ' digits, a ' || ${L} || ' has ' || ${CODE_LENGTH[level]}`,
				'code'
			);
			await reject(
				sql`r.attrs->>'level' = ${L} and exists (select 1 from area a where a.code = r.code and a.level <> ${L})`,
				sql`'code ' || r.code || ' belongs to an area of another level'`,
				'code'
			);
			await reject(
				sql`r.attrs->>'level' = ${L} and exists (select 1 from import_rows d where d.code = r.code and d.n < r.n and d.reject is null)`,
				sql`'duplicate code ' || r.code || ' (first at feature ' || (select min(d.n) from import_rows d where d.code = r.code) || ')'`,
				'code'
			);
		}
		if (scope)
			await reject(
				sql`not (left(r.code, ${scope.length}) = ${scope} and length(r.code) > ${scope.length})`,
				sql`'outside your area: ' || r.code || ' is not under ' || ${scope}`,
				'code'
			);
		// inside the parent (1 m² tolerance)
		await exec(
			trx,
			sql`create temp table import_parent on commit drop as
			select r.n, coalesce(a.geom, p.g) as pg from import_rows r left join area a on a.code = r.parent left join import_rows p on p.code = r.parent and p.reject is null
			where r.reject is null and r.parent is not null`
		);
		await reject(
			sql`exists (select 1 from import_parent x where x.n = r.n and not ST_Covers(x.pg, r.g) and ST_Area(ST_Difference(r.g, x.pg)::geography) > 1)`,
			sql`'extends ' || round((select ST_Area(ST_Difference(r.g, x.pg)::geography) from import_parent x where x.n = r.n)::numeric) || ' m² outside its parent ' || r.parent`,
			'geometry'
		);
		// overlapping siblings: existing areas of the level (other than the one this row replaces) and earlier rows
		await reject(
			sql`exists (select 1 from area a where a.level = r.attrs->>'level' and a.code <> r.code and a.geom && r.g
				and ST_Relate(a.geom, r.g, '2********') and ST_Area(ST_Intersection(a.geom, r.g)::geography) > 1)`,
			sql`'overlaps ' || (r.attrs->>'level') || ' ' || (select a.code from area a where a.level = r.attrs->>'level' and a.code <> r.code and a.geom && r.g and ST_Relate(a.geom, r.g, '2********') and ST_Area(ST_Intersection(a.geom, r.g)::geography) > 1 order by a.code limit 1)`,
			'geometry'
		);
		await reject(
			sql`exists (select 1 from import_rows y where y.reject is null and y.n - r.n < 0 and y.attrs->>'level' = r.attrs->>'level' and y.g && r.g
				and ST_Relate(y.g, r.g, '2********') and ST_Area(ST_Intersection(y.g, r.g)::geography) > 1)`,
			sql`'overlaps feature ' || (select min(y.n) from import_rows y where y.reject is null and y.n - r.n < 0 and y.attrs->>'level' = r.attrs->>'level' and y.g && r.g and ST_Relate(y.g, r.g, '2********') and ST_Area(ST_Intersection(y.g, r.g)::geography) > 1)`,
			'geometry'
		);
	}
	if (o.layer === 'buildings') {
		await reject(
			sql`r.attrs->>'grid_code' is not null and r.grid is null`,
			sql`'missing parent: ' || (r.attrs->>'grid_code') || ' is not a grid'`,
			'grid_code'
		);
		await exec(
			trx,
			sql`update import_rows r set grid = (select a.code from area a where a.level = 'grid' and ST_Intersects(a.geom, ST_PointOnSurface(r.g)) order by a.code limit 1)
			where r.reject is null and r.grid is null`
		);
		await reject(
			sql`r.grid is null`,
			districts ? sql`'missing parent: the building lies in no grid'` : sql`'missing parent: the building lies in no grid (import the areas first)'`,
			'grid_code'
		);
		if (scope) await reject(sql`left(r.grid, ${scope.length}) <> ${scope}`, sql`'outside your area: grid ' || r.grid`, 'grid_code');
		await reject(
			sql`exists (select 1 from area a where a.code = r.grid and not ST_Covers(a.geom, r.g) and ST_Area(ST_Difference(r.g, a.geom)::geography) > 1)`,
			sql`'extends outside its grid ' || r.grid`,
			'geometry'
		);
		await reject(
			sql`exists (select 1 from building b where b.geom && r.g and b.source_id is distinct from r.key and ST_Relate(b.geom, r.g, '2********') and ST_Area(ST_Intersection(b.geom, r.g)::geography) > 1)`,
			sql`'overlaps building ' || (select min(b.id) from building b where b.geom && r.g and b.source_id is distinct from r.key and ST_Relate(b.geom, r.g, '2********') and ST_Area(ST_Intersection(b.geom, r.g)::geography) > 1)`,
			'geometry'
		);
		await reject(
			sql`exists (select 1 from road x where x.geom && r.g and ST_Relate(r.g, x.geom, 'T********') and ST_Length(ST_Intersection(r.g, x.geom)::geography) > 1)`,
			sql`'a road runs through it (road ' || (select min(x.id) from road x where x.geom && r.g and ST_Relate(r.g, x.geom, 'T********') and ST_Length(ST_Intersection(r.g, x.geom)::geography) > 1) || ')'`,
			'geometry'
		);

		// overlaps among the file's own buildings last, so that one refused for another reason blocks
		// none; greedily in file order (a building is kept unless it overlaps one kept before it), so
		// that importing the same file again keeps the same ones
		// (only among the buildings that touch another, when that can be told: src/lib/server/db/touching.ts)
		const touching = await createTouching(trx, 'import_touching', sql`select n, g from import_rows where reject is null`, 'degrees');
		const pairs = await rows(
			trx,
			sql<{ a: number; b: number }>`select y.n as a, r.n as b from import_rows r join import_rows y
			on y.g && r.g and y.n - r.n < 0 and ST_Relate(y.g, r.g, '2********') and ST_Area(ST_Intersection(y.g, r.g)::geography) > 1
			where r.reject is null and y.reject is null
				${touching ? sql`and r.n in (select id from import_touching) and y.n in (select id from import_touching)` : sql``}
			order by r.n, y.n`
		);
		if (touching) await exec(trx, sql`drop table import_touching`);
		const kept = new Set<number>();
		const first = new Map<number, number>();
		const before = new Map<number, number[]>();
		for (const p of pairs) before.set(Number(p.b), [...(before.get(Number(p.b)) ?? []), Number(p.a)]);
		for (const n of [...new Set(pairs.flatMap((p) => [Number(p.a), Number(p.b)]))].sort((x, y) => x - y)) {
			const hit = (before.get(n) ?? []).find((a) => kept.has(a));
			if (hit === undefined) kept.add(n);
			else first.set(n, hit);
		}
		if (first.size) {
			await exec(
				trx,
				sql`update import_rows r set reject = 'overlaps feature ' || (v->>1), field = 'geometry'
				from json_array_elements(${JSON.stringify([...first])}::json) v where r.n = (v->>0)::int and r.reject is null`
			);
		}
	}
	if (o.layer === 'roads') {
		if (districts)
			await reject(
				sql`not exists (select 1 from area a where a.level = 'district' and a.geom && r.g and ST_Intersects(a.geom, r.g))`,
				sql`'outside the district'`,
				'geometry'
			);
		if (scope)
			await reject(sql`not exists (select 1 from area a where a.code = ${scope} and ST_Intersects(a.geom, r.g))`, sql`'outside your area'`, 'geometry');
		await reject(
			sql`exists (select 1 from building b where b.geom && r.g and ST_Relate(b.geom, r.g, 'T********') and ST_Length(ST_Intersection(b.geom, r.g)::geography) > 1)`,
			sql`'runs through building ' || (select min(b.id) from building b where b.geom && r.g and ST_Relate(b.geom, r.g, 'T********') and ST_Length(ST_Intersection(b.geom, r.g)::geography) > 1)`,
			'geometry'
		);
	}
	if (o.layer === 'service_centres') {
		await exec(trx, sql`alter table import_rows add column area text`);
		const areaLevel = sql`(case r.attrs->>'level' when 'station' then 'community' else r.attrs->>'level' end)`;
		await exec(
			trx,
			sql`update import_rows r set area = a.code from area a where r.reject is null and a.code = r.attrs->>'area_code' and a.level = ${areaLevel}`
		);
		await reject(
			sql`r.attrs->>'area_code' is not null and r.area is null`,
			sql`'missing parent: ' || (r.attrs->>'area_code') || ' is not a ' || ${areaLevel}`,
			'area_code'
		);
		await exec(
			trx,
			sql`update import_rows r set area = (select a.code from area a where a.level = ${areaLevel} and ST_Intersects(a.geom, r.g) order by a.code limit 1)
			where r.reject is null and r.area is null`
		);
		await reject(sql`r.area is null`, sql`'missing parent: lies in no ' || ${areaLevel}`, 'area_code');
		if (scope) await reject(sql`left(r.area, ${scope.length}) <> ${scope}`, sql`'outside your area: ' || r.area`, 'area_code');
	}

	// 4. the report so far, and the counts
	const report: ReportRow[] = [];
	for (const r of await rows(
		trx,
		sql<{ file: string; n: number; field: string | null; reason: string }>`
		select file, n, coalesce(field, '') as field, reject as reason from import_stage where reject is not null
		union all select r.file, x.n, coalesce(r.field, ''), r.reject from import_rows r cross join unnest(r.ns) x(n) where r.reject is not null
		order by 2`
	)) {
		report.push({ file: r.file, feature: Number(r.n), field: r.field ?? '', reason: r.reason, action: 'rejected' });
	}
	for (const r of await rows(
		trx,
		sql<{ file: string; n: number; repaired: string }>`select file, n, repaired from import_stage where repaired is not null and reject is null order by n`
	)) {
		report.push({ file: r.file, feature: Number(r.n), field: 'geometry', reason: r.repaired, action: 'repaired' });
	}
	report.push(...notes);
	const counts = (
		await rows(
			trx,
			sql<{ features: number; rejected: number }>`
		select (select count(*)::int from import_stage) as features,
			(select count(*)::int from (select n from import_stage where reject is not null union select x.n from import_rows r cross join unnest(r.ns) x(n) where r.reject is not null) z) as rejected`
		)
	)[0];
	const features = Number(counts.features);
	const rejected = Number(counts.rejected);

	const preview = {
		type: 'FeatureCollection' as const,
		features: (
			await rows(
				trx,
				sql<{ n: number; attrs: Record<string, unknown>; g: string }>`
			select n, attrs, ST_AsGeoJSON(g, 7) as g from import_rows where reject is null order by n limit 200`
			)
		).map((r) => ({
			type: 'Feature' as const,
			properties: { feature: Number(r.n), ...r.attrs },
			geometry: JSON.parse(r.g) as unknown
		}))
	};

	// 5. upsert, when it changes anything, between two runs of the hierarchy checks in this
	// transaction: a violation found after and not before is the import's. For a layer other than
	// the areas only the rules about that layer, for the rows of the file and what they touch (the
	// others cannot change: CheckFocus)
	const focus = checkFocus(o.layer);
	const timed = async (what: string) => {
		const t0 = performance.now();
		const v = await checkWithin(trx, focus);
		if (TRACE) process.stderr.write(`[import trace] ${what} check ${(performance.now() - t0).toFixed(0)} ms\n`);
		return v;
	};
	let baseline: Violation[] | null = null;
	const written = await upsert(trx, o.layer, async () => {
		if (check) baseline = await timed('baseline');
	});
	// 6. the hierarchy checks after the write
	let violations: Violation[] = [];
	let gaps: Violation[] = [];
	if (written.inserted + written.updated > 0 && baseline) {
		const seen = new Set((baseline as Violation[]).map(violationKey));
		const after = await timed('after');
		const fresh = after.filter((v) => !seen.has(violationKey(v)));
		gaps = fresh.filter((v) => v.rule === 'gap');
		violations = fresh.filter((v) => v.rule !== 'gap');
	}
	return { features, accepted: features - rejected, rejected, report, written, violations, gaps, preview };
}

export function violationKey(v: Violation): string {
	return `${v.rule}|${v.codes.join(',')}`;
}

/** The rows of a layer the file writes (and those it replaces, before the write), for the hierarchy checks. */
function checkFocus(layer: ImportLayer): CheckFocus | undefined {
	if (layer === 'areas') return undefined;
	const table = sql.raw({ buildings: 'building', roads: 'road', service_centres: 'service_centre' }[layer]);
	return { layer, ids: sql`select x.id from ${table} x join import_rows r on x.source_id = r.key where r.reject is null` };
}

/** Writes the accepted rows; `before` runs first when anything is to change. */
async function upsert(trx: Scoped, layer: ImportLayer, before: () => Promise<void>): Promise<WriteOutcome['written']> {
	const count = async (q: RawBuilder<{ n: number }>) => Number((await rows(trx, q))[0].n);
	let target: { inserted: number; updated: number; unchanged: number };
	if (layer === 'areas') {
		const src = sql`select code, attrs->>'level' as level, attrs->>'kind' as kind, attrs->>'name' as name, case when attrs->>'level' = 'district' then null else parent end as parent_code, g as geom from import_rows where reject is null`;
		const inserted = await count(sql`select count(*)::int as n from (${src}) s where not exists (select 1 from area a where a.code = s.code)`);
		const updated = await count(sql`select count(*)::int as n from (${src}) s join area a on a.code = s.code
			where (a.level, a.kind, a.name, a.parent_code) is distinct from (s.level, s.kind, s.name, s.parent_code) or not ST_Equals(a.geom, s.geom) or ST_AsBinary(a.geom) <> ST_AsBinary(s.geom)`);
		target = { inserted, updated, unchanged: (await count(sql`select count(*)::int as n from (${src}) s`)) - inserted - updated };
		if (inserted + updated) {
			await before();
			await exec(
				trx,
				sql`insert into area (code, level, kind, name, parent_code, geom) ${src} order by length(code), code
				on conflict (code) do update set level = excluded.level, kind = excluded.kind, name = excluded.name, parent_code = excluded.parent_code, geom = excluded.geom
				where (area.level, area.kind, area.name, area.parent_code) is distinct from (excluded.level, excluded.kind, excluded.name, excluded.parent_code) or ST_AsBinary(area.geom) <> ST_AsBinary(excluded.geom)`
			);
		}
		return target;
	}
	const table = { buildings: 'building', roads: 'road', service_centres: 'service_centre' }[layer];
	const src = {
		buildings: sql`select key as source_id, grid as grid_code, attrs->>'kind' as kind, attrs->>'name' as name, attrs->>'address' as address,
			(attrs->>'floors')::smallint as floors, (attrs->>'height')::real as height, (attrs->>'units')::smallint as units, g as geom from import_rows where reject is null`,
		roads: sql`select key as source_id, attrs->>'class' as class, attrs->>'name' as name, g as geom from import_rows where reject is null`,
		service_centres: sql`select key as source_id, attrs->>'level' as level, attrs->>'name' as name, area as area_code,
			array(select jsonb_array_elements_text((attrs->>'services')::jsonb)) as services, attrs->>'opening_hours' as opening_hours, g as geom from import_rows where reject is null`
	}[layer];
	const cols = {
		buildings: ['grid_code', 'kind', 'name', 'address', 'floors', 'height', 'units'],
		roads: ['class', 'name'],
		service_centres: ['level', 'name', 'area_code', 'services', 'opening_hours']
	}[layer];
	const t = sql.raw(table);
	const list = (p: string) => sql.raw(cols.map((c) => `${p}${c}`).join(', '));
	const inserted = await count(sql`select count(*)::int as n from (${src}) s where not exists (select 1 from ${t} x where x.source_id = s.source_id)`);
	const updated = await count(sql`select count(*)::int as n from (${src}) s join ${t} x on x.source_id = s.source_id
		where (${list('x.')}) is distinct from (${list('s.')}) or ST_AsBinary(x.geom) <> ST_AsBinary(s.geom)`);
	const total = await count(sql`select count(*)::int as n from (${src}) s`);
	if (inserted + updated) {
		await before();
		await exec(
			trx,
			sql`insert into ${t} (source_id, ${list('')}, geom) ${src}
			on conflict (source_id) where source_id is not null do update set ${sql.raw(cols.map((c) => `${c} = excluded.${c}`).join(', '))}, geom = excluded.geom
			where (${list(`${table}.`)}) is distinct from (${list('excluded.')}) or ST_AsBinary(${t}.geom) <> ST_AsBinary(excluded.geom)`
		);
	}
	return { inserted, updated, unchanged: total - inserted - updated };
}

/** The first coordinates' system is geographic: the GCJ-02 test applies. */
export function gcjApplies(srid: number): boolean {
	return isGeographic(srid);
}
