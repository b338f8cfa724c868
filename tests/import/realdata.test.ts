// Every real file under ../shared/realdata imports (OpenStreetMap extracts cut at tile edges with
// duplicate ids, a shapefile without .prj, a GBK table without .cpg), importing it again changes
// nothing, the hierarchy checks pass, and the imported layers then serve tiles — on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { runImport, type ImportOptions } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { checkDatabase } from '../../src/lib/server/db/check.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { decode } from '../tiles/decode.ts';
import { bboxOf, hierarchyAround, readFc, REALDATA, tempDir, writeJson } from './fixture.ts';

const T = 240_000;
const real = (p: string) => path.join(REALDATA, p);
const imp = (db: TestDb, file: string, o: Omit<ImportOptions, 'scope'>) => runImport(db, file, { scope: SYSTEM, ...o });

describe.each(backends)('real data on the %s backend', (backend) => {
	let osm: TestDb;
	let boundaries: TestDb;
	const dir = tempDir();
	beforeAll(async () => {
		[osm, boundaries] = await Promise.all([freshDb(backend), freshDb(backend)]);
	}, T);
	afterAll(async () => {
		await osm?.drop();
		await boundaries?.drop();
	});

	for (const [place, district] of [
		['osm-shanghai-bund', '310199'],
		['osm-wuhan-guanggu', '420111']
	] as const) {
		it(
			`${place}: roads and buildings import into a hierarchy around them, again changes nothing, and tile`,
			async () => {
				const buildings = real(`${place}/buildings.geojson`);
				const areas = writeJson(dir, `${place}-areas.geojson`, hierarchyAround(bboxOf(readFc(buildings)), district));
				const a = await imp(osm, areas, { layer: 'areas' });
				expect(a).toMatchObject({ features: 4, accepted: 4, rejected: 0, committed: true, crs: 'EPSG:4326', encoding: 'UTF-8' });

				const roads = await imp(osm, real(`${place}/roads.geojson`), { layer: 'roads', mapping: 'osm-roads' });
				expect(roads.committed).toBe(true);
				expect(roads.accepted).toBeGreaterThan(roads.features / 2);
				// rail and piers are not walkable: rejected by name; pieces cut at tile edges merged
				expect(roads.report.some((r) => r.action === 'rejected' && /subway|is missing|pier/.test(r.reason))).toBe(true);
				expect(roads.report.some((r) => r.action === 'repaired' && /pieces sharing id/.test(r.reason))).toBe(true);

				const b = await imp(osm, buildings, { layer: 'buildings', mapping: 'osm-buildings' });
				expect(b.committed).toBe(true);
				expect(b.refused).toEqual([]);
				expect(b.accepted).toBeGreaterThan(100);
				expect(b.accepted + b.rejected).toBe(b.features);
				// address points in the buildings layer are the wrong type; pieces sharing an id merged
				expect(b.report.some((r) => /wrong geometry type: Point/.test(r.reason))).toBe(true);
				expect(b.report.some((r) => /pieces sharing id osm:/.test(r.reason))).toBe(true);
				for (const r of b.report.filter((x) => x.action === 'rejected' && x.feature > 0)) {
					expect(r.file).toBe('buildings.geojson');
					expect(r.reason.length).toBeGreaterThan(5);
				}

				// the same files again: nothing changes, not even the data version
				const version = async () => Number((await sql<{ v: number }>`select version as v from data_version`.execute(osm.kysely)).rows[0].v);
				const v0 = await version();
				for (const [file, layer, mapping] of [
					[buildings, 'buildings', 'osm-buildings'],
					[real(`${place}/roads.geojson`), 'roads', 'osm-roads']
				] as const) {
					const again = await imp(osm, file, { layer, mapping });
					expect(again.written).toMatchObject({ inserted: 0, updated: 0 });
					expect(again.committed).toBe(false);
				}
				expect(await version()).toBe(v0);

				// the hierarchy checks pass
				expect((await checkDatabase(osm)).filter((v) => v.rule !== 'gap')).toEqual([]);

				// and the layers tile: a building where one was imported
				const {
					rows: [p]
				} = await sql<{ x: number; y: number }>`select ST_X(ST_PointOnSurface(geom)) as x, ST_Y(ST_PointOnSurface(geom)) as y
				from building where source_id like 'osm:%' and grid_code = ${`${district}001001001`} order by id limit 1`.execute(osm.kysely);
				const tiles = new TileService(osm, { versionTtlMs: 0 });
				const t = tileOf(Number(p.x), Number(p.y), 16);
				expect(decode(await tiles.build('buildings', t, '', true), 'buildings').length).toBeGreaterThan(0);
				expect(decode(await tiles.build('roads', tileOf(Number(p.x), Number(p.y), 14), '', true), 'roads').length).toBeGreaterThan(0);
			},
			T
		);
	}

	it(
		'osm-shanghai-bund: POIs import as service centres (stations in the community), the other files report what they are',
		async () => {
			const pois = await imp(osm, real('osm-shanghai-bund/pois.geojson'), {
				layer: 'service_centres',
				set: { level: 'station' },
				mapping: { name: 'osm-pois', layer: 'service_centres', sourcePrefix: 'osm:', fields: { source_id: 'id', name: 'name' } }
			});
			expect(pois.committed).toBe(true);
			expect(pois.written.inserted).toBeGreaterThan(100);
			expect(pois.report.some((r) => r.reason === 'name is missing')).toBe(true);
			// boundary lines are no areas; landuse and water are not ours either: a dry run says why
			for (const f of ['osm-shanghai-bund/boundaries.geojson', 'osm-wuhan-guanggu/boundaries.geojson']) {
				const r = await imp(osm, real(f), { layer: 'areas', dryRun: true, set: { level: 'street' } });
				expect(r.accepted).toBe(0);
				expect(r.report.some((x) => /wrong geometry type: (Multi)?LineString/.test(x.reason))).toBe(true);
			}
			for (const f of ['osm-shanghai-bund/landuse.geojson', 'osm-shanghai-bund/water.geojson', 'osm-wuhan-guanggu/water.geojson']) {
				const r = await imp(osm, real(f), { layer: 'buildings', dryRun: true });
				expect(r.features).toBeGreaterThan(0);
				expect(r.committed).toBe(false);
			}
		},
		T
	);

	it(
		'shanghai-districts-gbk: a GBK table without .cpg, WGS84 .prj — districts by ADMINCODE with their Chinese names',
		async () => {
			const r = await imp(boundaries, real('shanghai-districts-gbk/区县界_area.shp'), { layer: 'areas', set: { level: 'district' } });
			expect(r).toMatchObject({ features: 17, accepted: 17, rejected: 0, crs: 'EPSG:4326', encoding: 'GBK', committed: true });
			const { rows } = await sql<{ name: string }>`select name from area where code = '310101'`.execute(boundaries.kysely);
			expect(rows[0].name).toBe('黄浦区');
			const again = await imp(boundaries, real('shanghai-districts-gbk/区县界_area.shp'), { layer: 'areas', set: { level: 'district' } });
			expect(again.written).toMatchObject({ inserted: 0, updated: 0, unchanged: 17 });
		},
		T
	);

	it(
		'shenzhen-districts: a shapefile without .prj (guessed WGS84, said so) imports as streets of a district around it, codes given in order; the GeoJSON twin keeps them',
		async () => {
			const [district] = hierarchyAround(bboxOf(readFc(real('shenzhen-districts/sz-districts.geojson'))), '440300', 0.01).features;
			const d = await imp(boundaries, writeJson(dir, 'sz-district.geojson', { type: 'FeatureCollection', features: [district] }), { layer: 'areas' });
			expect(d.committed).toBe(true);
			const r = await imp(boundaries, real('shenzhen-districts/sz.shp'), { layer: 'areas', set: { level: 'street' } });
			expect(r).toMatchObject({ features: 10, crs: 'EPSG:4326', encoding: 'UTF-8', committed: true });
			expect(r.crs_source).toMatch(/guessed/);
			expect(r.report.some((x) => x.field === 'crs' && x.action === 'warning')).toBe(true);
			const { rows } = await sql<{ code: string; name: string }>`select code, name from area where parent_code = '440300' order by code`.execute(
				boundaries.kysely
			);
			expect(rows.length).toBe(r.accepted);
			expect(rows[0].code).toBe('440300001');
			expect(rows.map((x) => x.name)).toContain('南山');
			// the same districts from the GeoJSON: matched by name under the same parent, no new codes
			const twin = await imp(boundaries, real('shenzhen-districts/sz-districts.geojson'), { layer: 'areas', set: { level: 'street' } });
			expect(twin.written.inserted).toBe(0);
			expect(twin.refused).toEqual([]);
			const tiles = new TileService(boundaries, { versionTtlMs: 0 });
			expect(decode(await tiles.build('streets', tileOf(114.06, 22.55, 10), '', true), 'streets').length).toBeGreaterThan(0);
		},
		T
	);
});
