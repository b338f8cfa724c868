// The geometry step of an import reads and transforms every staged feature in one statement, and
// only when that statement raises (one feature PostGIS cannot read) goes through the features one
// by one. Both ways give each bad feature its own report row and keep the good ones, on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { runImport, type ImportOptions } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { hierarchyAround, tempDir, writeJson } from './fixture.ts';

const T = 120_000;
const dir = tempDir();
const imp = (db: TestDb, file: string, o: Omit<ImportOptions, 'scope'>) => runImport(db, file, { scope: SYSTEM, ...o });
const HIER = hierarchyAround([114.4, 30.5, 114.42, 30.52], '420111', 0);
const square = (x: number, y: number, d = 0.0003) => `"POLYGON((${x} ${y}, ${x + d} ${y}, ${x + d} ${y + d}, ${x} ${y + d}, ${x} ${y}))"`;
const csv = (name: string, rows: [string, string][]) => {
	const file = path.join(dir, name);
	writeFileSync(file, ['id,wkt', ...rows.map(([id, wkt]) => `${id},${wkt}`)].join('\n') + '\n');
	return file;
};

describe.each(backends)('the geometry step on the %s backend', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		const r = await imp(db, writeJson(dir, 'hier.geojson', HIER), { layer: 'areas' });
		expect(r.committed).toBe(true);
	}, T);
	afterAll(async () => {
		await db?.drop();
	});
	const stored = async () =>
		(await sql<{ source_id: string }>`select source_id from building order by source_id`.execute(db.kysely)).rows.map((r) => r.source_id);

	it(
		'all in one statement: a longitude out of range is its feature’s reason, the others are written',
		async () => {
			const file = csv('range.csv', [
				['r1', square(114.405, 30.505)],
				['r2', '"POLYGON((200 30.5, 201 30.5, 201 31, 200 30.5))"'],
				['r3', square(114.408, 30.508)]
			]);
			const r = await imp(db, file, { layer: 'buildings', srid: 4326 });
			expect(r).toMatchObject({ features: 3, accepted: 2, rejected: 1, committed: true });
			const rejected = r.report.filter((x) => x.action === 'rejected');
			expect(rejected).toHaveLength(1);
			expect(rejected[0]).toMatchObject({ field: 'geometry', reason: 'cannot be read or transformed: coordinates out of range for longitude/latitude' });
			expect(await stored()).toEqual(['r1', 'r3']);
		},
		T
	);

	it(
		'one WKT PostGIS cannot parse: feature by feature, that one rejected with PostGIS’s reason, the rest (a range error too) as before',
		async () => {
			const file = csv('parse.csv', [
				['p1', square(114.411, 30.511)],
				['p2', '"POLYGON((114.412 30.512, 114.4123 30.512, 114.4123 30.5123, 114.412 30.512"'],
				['p3', '"POLYGON((200 30.5, 201 30.5, 201 31, 200 30.5))"'],
				['p4', square(114.414, 30.514)]
			]);
			const r = await imp(db, file, { layer: 'buildings', srid: 4326 });
			expect(r).toMatchObject({ features: 4, accepted: 2, rejected: 2, committed: true });
			const rejected = r.report.filter((x) => x.action === 'rejected').map((x) => x.reason);
			expect(rejected).toHaveLength(2);
			expect(rejected).toContain('cannot be read or transformed: coordinates out of range for longitude/latitude');
			expect(rejected.filter((x) => /^cannot be read or transformed: /.test(x) && !/out of range/.test(x))).toHaveLength(1);
			expect(await stored()).toEqual(['p1', 'p4', 'r1', 'r3']);
		},
		T
	);

	it(
		'a GeoJSON geometry goes in as WKB and is stored exactly as PostGIS reads the GeoJSON itself (every digit, z dropped, a Polygon made Multi)',
		async () => {
			const ring = (x: number, y: number, d: number) => [
				[x, y, 12.5],
				[x + d, y + 1e-13, 12.5],
				[x + d, y + d],
				[x + 1 / 3e4, y + d],
				[x, y, 12.5]
			];
			const geometries = [
				{ type: 'Polygon', coordinates: [ring(114.4151234567891, 30.51512345678912, 0.0004)] },
				{ type: 'MultiPolygon', coordinates: [[ring(114.416, 30.516, 0.0004), ring(114.4161, 30.5161, 0.0001).reverse()], [ring(114.417, 30.517, 0.0003)]] }
			];
			const file = writeJson(dir, 'exact.geojson', {
				type: 'FeatureCollection',
				features: geometries.map((geometry, i) => ({ type: 'Feature', properties: { id: `x${i}` }, geometry }))
			});
			const r = await imp(db, file, { layer: 'buildings', srid: 4326 });
			expect(r).toMatchObject({ features: 2, accepted: 2, committed: true });
			for (const [i, g] of geometries.entries()) {
				const { rows } = await sql<{ same: boolean; type: string }>`
					select ST_AsBinary(geom) = ST_AsBinary(ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(g)}), 4326)))) as same,
					GeometryType(geom) as type from building where source_id = ${`x${i}`}`.execute(db.kysely);
				expect(rows[0]).toEqual({ same: true, type: 'MULTIPOLYGON' });
			}
		},
		T
	);
});
