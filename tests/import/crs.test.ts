// Coordinate systems: a CGCS2000 Gauss-Krüger twin of real roads (made here with ST_Transform,
// declared in a GeoJSON crs member, in a shapefile's .prj, or not at all and guessed from the zone
// number in its eastings) lands within 1 m of the WGS84 original; a GCJ-02-shifted copy (gcoord)
// is detected against the existing layers, and converted on request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import gcoord from 'gcoord';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { runImport, type ImportOptions } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { guessCrs, parseCrs } from '../../src/lib/server/import/crs.ts';
import { REALDATA, readFc, tempDir, writeJson } from './fixture.ts';

const T = 240_000;
const dir = tempDir();
const imp = (db: TestDb, file: string, o: Omit<ImportOptions, 'scope'>) => runImport(db, file, { scope: SYSTEM, ...o });
const twinProfile = (prefix: string) => ({
	name: prefix,
	layer: 'roads' as const,
	sourcePrefix: prefix,
	fields: { source_id: 'id', class: 'class', name: 'name' }
});

describe('CRS guesses', () => {
	it('reads zone numbers, Web Mercator and degrees from the range', () => {
		expect(guessCrs([114.3, 30.4, 114.5, 30.6])[0].srid).toBe(4326);
		expect(guessCrs([38_530_000, 3_370_000, 38_560_000, 3_390_000]).map((g) => g.srid)).toEqual([4526]);
		expect(guessCrs([20_530_000, 3_370_000, 20_560_000, 3_390_000]).map((g) => g.srid)).toEqual([4498]);
		expect(guessCrs([12_735_000, 3_570_000, 12_736_000, 3_571_000]).map((g) => g.srid)).toEqual([3857]);
		expect(guessCrs([530_000, 3_370_000, 560_000, 3_390_000]).map((g) => g.srid)).toEqual([0]);
		expect(parseCrs('EPSG:4490')).toBe(4490);
		expect(parseCrs('urn:ogc:def:crs:EPSG::4526')).toBe(4526);
		expect(parseCrs('cgcs2000')).toBe(4490);
	});
});

describe.each(backends)('coordinate systems on the %s backend', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		const r = await imp(db, path.join(REALDATA, 'osm-wuhan-guanggu/roads.geojson'), { layer: 'roads', mapping: 'osm-roads' });
		expect(r.committed).toBe(true);
	}, T);
	afterAll(async () => {
		await db?.drop();
	});

	/** the worst distance in metres between each original road and its twin */
	async function worst(prefix: string): Promise<{ n: number; d: number }> {
		const { rows } = await sql<{
			n: number;
			d: number;
		}>`select count(*)::int as n, max(ST_HausdorffDistance(ST_Transform(a.geom, 4526), ST_Transform(b.geom, 4526))) as d
			from road a join road b on b.source_id = ${prefix} || a.source_id where a.source_id like 'osm:%'`.execute(db.kysely);
		return { n: Number(rows[0].n), d: Number(rows[0].d) };
	}

	async function twinFc(srid: number) {
		const { rows } = await sql<{
			id: string;
			class: string;
			g: string;
		}>`select source_id as id, class, ST_AsGeoJSON(ST_Transform(geom, ${srid}::int), 4) as g from road where source_id like 'osm:%' order by id`.execute(
			db.kysely
		);
		return rows.map((r) => ({ type: 'Feature', properties: { id: r.id, class: r.class }, geometry: JSON.parse(r.g) }));
	}

	it(
		'a Gauss-Krüger 3° zone 38 twin (EPSG:4526) declared in the GeoJSON lands within 1 m',
		async () => {
			const file = writeJson(dir, `gk-${backend}.geojson`, {
				type: 'FeatureCollection',
				crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4526' } },
				features: await twinFc(4526)
			});
			const r = await imp(db, file, { layer: 'roads', mapping: twinProfile('gk:') });
			expect(r).toMatchObject({ crs: 'EPSG:4526', crs_source: 'GeoJSON crs member', committed: true });
			const w = await worst('gk:');
			expect(w.n).toBeGreaterThan(100);
			expect(w.d).toBeLessThan(1);
		},
		T
	);

	it(
		'the same twin without any declaration: the zone number is read from the eastings',
		async () => {
			const file = writeJson(dir, `gk-bare-${backend}.geojson`, { type: 'FeatureCollection', features: await twinFc(4526) });
			const r = await imp(db, file, { layer: 'roads', mapping: twinProfile('gkb:') });
			expect(r.crs).toBe('EPSG:4526');
			expect(r.crs_source).toMatch(/guessed: eastings carry the 3° Gauss-Krüger zone number 38/);
			expect((await worst('gkb:')).d).toBeLessThan(1);
		},
		T
	);

	it(
		'a CGCS2000 Gauss-Krüger shapefile (its .prj written by GDAL) lands within 1 m',
		async () => {
			const src = writeJson(dir, `gk-src-${backend}.geojson`, { type: 'FeatureCollection', features: await twinFc(4526) });
			const shp = path.join(dir, `gk-${backend}.shp`);
			execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', shp, src, '-a_srs', 'EPSG:4526', '-lco', 'ENCODING=UTF-8']);
			const r = await imp(db, shp, { layer: 'roads', mapping: twinProfile('gks:') });
			expect(r.crs).toBe('EPSG:4526');
			expect(r.crs_source).toBe('.prj');
			expect((await worst('gks:')).d).toBeLessThan(1);
		},
		T
	);

	it(
		'a GCJ-02-shifted copy is detected against the roads already there, and converted on request',
		async () => {
			const fc = readFc(path.join(REALDATA, 'osm-wuhan-guanggu/roads.geojson'));
			const shifted = { ...fc, features: fc.features.map((f) => ({ ...f, geometry: gcoord.transform(f.geometry as never, gcoord.WGS84, gcoord.GCJ02) })) };
			const file = writeJson(dir, `gcj-${backend}.geojson`, shifted);
			const dry = await imp(db, file, {
				layer: 'roads',
				mapping: { ...twinProfile('gcj:'), fields: { source_id: 'id', class: 'kind_detail' }, values: { class: { '*': 'local' } } },
				dryRun: true
			});
			expect(dry.gcj02).toMatchObject({ suspect: true });
			expect(dry.gcj02!.asRead!).toBeGreaterThan(3 * dry.gcj02!.converted!);
			expect(dry.report.some((x) => x.action === 'warning' && /GCJ-02-shifted/.test(x.reason))).toBe(true);
			const fixed = await imp(db, file, {
				layer: 'roads',
				mapping: { ...twinProfile('gcj:'), fields: { source_id: 'id', class: 'kind_detail' }, values: { class: { '*': 'local' } } },
				fromGcj02: true
			});
			expect(fixed.gcj02).toBeNull();
			expect(fixed.committed).toBe(true);
			// gcoord's inverse is an approximation: within a few metres
			const { rows } = await sql<{
				d: number;
			}>`select percentile_cont(0.5) within group (order by ST_HausdorffDistance(ST_Transform(a.geom, 4526), ST_Transform(b.geom, 4526))) as d
			from road a join road b on b.source_id = 'gcj:' || a.source_id where a.source_id like 'osm:%'`.execute(db.kysely);
			expect(Number(rows[0].d)).toBeLessThan(5);
			// data already in WGS84 is not suspected
			const plain = await imp(db, path.join(REALDATA, 'osm-wuhan-guanggu/roads.geojson'), { layer: 'roads', mapping: 'osm-roads', dryRun: true });
			expect(plain.gcj02?.suspect).toBe(false);
		},
		T
	);
});
