// Buildings that overlap: among a file's own (kept greedily in file order), against those already
// stored, and in db:check — found from the buildings that touch another (src/lib/server/db/touching.ts),
// while buildings that only share an edge or a corner are accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { runImport } from '../../src/lib/server/import/run.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';
import { checkDatabase } from '../../src/lib/server/db/check.ts';
import { createTouching } from '../../src/lib/server/db/touching.ts';
import { hierarchyAround, tempDir, writeJson, square as sq, featureCollection as fc } from './fixture.ts';

const T = 180_000;
const dir = tempDir();
const building = (x: number, y: number, d?: number) => ({
	type: 'Feature',
	properties: { kind: 'residential', floors: 3 },
	geometry: { type: 'Polygon', coordinates: sq(x, y, d) }
});

describe.each(backends)('overlapping buildings on the %s backend', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		const hier = writeJson(dir, `hier-${backend}.geojson`, hierarchyAround([114.4, 30.5, 114.42, 30.52], '420111', 0));
		expect((await runImport(db, hier, { layer: 'areas', scope: SYSTEM })).committed).toBe(true);
	}, T);
	afterAll(async () => {
		await db?.drop();
	});

	it(
		'finds the rows that touch or overlap another, in degrees and in metres, and no others',
		async () => {
			const rows = sql`select * from (values
				(1, ${'POLYGON((0 0,1 0,1 1,0 1,0 0))'}::text), (2, ${'POLYGON((1 0,2 0,2 1,1 1,1 0))'}), (3, ${'POLYGON((5 5,6 5,6 6,5 6,5 5))'}),
				(4, ${'POLYGON((0.2 0.2,0.4 0.2,0.4 0.4,0.2 0.2))'}), (5, ${'POLYGON((8 8,9 8,9 9,8 9,8 8))'}), (6, ${'POLYGON((9 9,10 9,10 10,9 10,9 9))'}),
				(7, ${'POLYGON((20 20,21 20,21 21,20 21,20 20))'}),
				(8, ${'POLYGON((995 0,1005 0,1005 10,995 10,995 0))'}), (9, ${'POLYGON((1001 1,1003 1,1003 3,1001 3,1001 1))'}),
				(10, ${'POLYGON((0.0095 30,0.0105 30,0.0105 30.001,0.0095 30.001,0.0095 30))'}),
				(11, ${'POLYGON((0.0101 30.0002,0.0102 30.0002,0.0102 30.0003,0.0101 30.0003,0.0101 30.0002))'})) v(id, wkt)`;
			for (const [srid, units] of [
				[4326, 'degrees'],
				[0, 'metres']
			] as const) {
				const got = await db.kysely.transaction().execute(async (trx) => {
					const trusted = await createTouching(trx, 'touch_test', sql`select id, ST_GeomFromText(wkt, ${srid}::int) from (${rows}) r`, units);
					expect(trusted).toBe(true);
					const { rows: ids } = await sql<{ id: string }>`select id from touch_test order by id`.execute(trx);
					await sql`drop table touch_test`.execute(trx);
					return ids.map((r) => Number(r.id));
				});
				// 1 and 2 share an edge, 4 lies inside 1, 5 and 6 meet at a corner; 3 and 7 touch nothing;
				// 9 lies inside 8 and 11 inside 10, each over the edge of a cell (1 km, 0.01°)
				expect(got, `SRID ${srid}`).toEqual([1, 2, 4, 5, 6, 8, 9, 10, 11]);
			}
		},
		T
	);

	it('takes a huge geometry among small ones without spreading it over millions of cells', async () => {
		// 60° wide: at 0.01° cells, 36 million copies of it
		const rows = sql`select * from (values
				(1, ${'POLYGON((0 0,60 0,60 60,0 60,0 0))'}::text), (2, ${'POLYGON((10 10,10.001 10,10.001 10.001,10 10.001,10 10))'}),
				(3, ${'POLYGON((100 70,100.001 70,100.001 70.001,100 70.001,100 70))'})) v(id, wkt)`;
		const got = await db.kysely.transaction().execute(async (trx) => {
			expect(await createTouching(trx, 'touch_huge', sql`select id, ST_GeomFromText(wkt, 4326) from (${rows}) r`, 'degrees')).toBe(true);
			const { rows: ids } = await sql<{ id: string }>`select id from touch_huge order by id`.execute(trx);
			await sql`drop table touch_huge`.execute(trx);
			return ids.map((r) => Number(r.id));
		});
		expect(got).toEqual([1, 2]);
	}, 60_000);

	it(
		'refuses the buildings of a file that overlap one kept before them or one stored, and keeps those that only touch',
		async () => {
			const file = writeJson(
				dir,
				`buildings-${backend}.geojson`,
				fc([
					building(114.405, 30.505), // 1: kept
					building(114.4051, 30.5051), // 2: overlaps 1
					building(114.4053, 30.5053), // 3: overlaps 2 (refused) and meets 1 at a corner: kept
					building(114.4047, 30.505), // 4: shares 1's west edge: kept
					building(114.41, 30.51), // 5: kept
					building(114.4101, 30.5101, 0.0001), // 6: inside 5
					building(114.415, 30.515), // 7: kept
					building(114.415, 30.515) // 8: the same as 7
				])
			);
			const r = await runImport(db, file, { layer: 'buildings', scope: SYSTEM });
			const reason = (n: number) => r.report.find((x) => x.feature === n && x.action === 'rejected')?.reason ?? '';
			expect(r.committed, JSON.stringify(r.report)).toBe(true);
			expect([r.accepted, r.rejected]).toEqual([5, 3]);
			expect(reason(2)).toBe('overlaps feature 1');
			expect(reason(6)).toBe('overlaps feature 5');
			expect(reason(8)).toBe('overlaps feature 7');
			for (const kept of [1, 3, 4, 5, 7]) expect(reason(kept), `feature ${kept}`).toBe('');

			// a second file: one building over a stored one, one beside it
			const second = writeJson(dir, `more-${backend}.geojson`, fc([building(114.4052, 30.5051), building(114.418, 30.518)]));
			const again = await runImport(db, second, { layer: 'buildings', scope: SYSTEM });
			expect(again.committed).toBe(true);
			expect(again.accepted).toBe(1);
			expect(again.report.find((x) => x.feature === 1)?.reason).toMatch(/^overlaps building \d+$/);
			expect(await checkDatabase(db)).toEqual([]);
		},
		T
	);

	it(
		'db:check names two stored buildings that overlap, and not two that share an edge',
		async () => {
			await withScope(db, SYSTEM, async (trx) => {
				const insert = (x: number, y: number) =>
					sql`insert into building (grid_code, kind, address, floors, height, geom) values ('420111001001001', 'residential', '测试路1号', 2, 6,
						ST_Multi(ST_MakeEnvelope(${x}, ${y}, ${x + 0.0002}, ${y + 0.0002}, 4326)))`.execute(trx);
				await insert(114.401, 30.501);
				await insert(114.4011, 30.5011); // overlaps the one before
				await insert(114.4013, 30.5013); // meets the one before at a corner
				await insert(114.4008, 30.501); // shares the first one's west edge
			});
			const vs = (await checkDatabase(db)).filter((v) => v.rule === 'building_overlap');
			expect(vs).toHaveLength(1);
			expect(vs[0].detail).toMatch(/^buildings \d+ and \d+ overlap by \d+ m²$/);
		},
		T
	);
});
