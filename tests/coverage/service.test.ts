// Service coverage on the hand-built district: walking distances worked out by hand (a loop, a
// dead end, a disconnected part, a centre and a building on the same edge), circles and shares
// per area, stored results stamped with the data version, recomputed only after a change.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { areaCoverage, buildingCoverage, coverageRun, reachAreas } from '../../src/lib/server/db/queries/coverage.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { EXPECTED_ANY, G111, G112, G121, G211, C11, S1, S2, D, insertFixture, lon, lat } from './fixture.ts';

describe.each(backends)('service coverage on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the engine's handle as the web server opens it: on a server, the app role, row-level security on */
	let app: Db;
	let engine: CoverageEngine;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
		engine = new CoverageEngine(app);
		await engine.ensure();
	});
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});
	const version = async () => Number((await sql<{ v: number }>`select version as v from data_version`.execute(db.kysely)).rows[0].v);

	it('gives every building its walking distance to the nearest centre, as worked out by hand', async () => {
		for (const [id, metres] of Object.entries(EXPECTED_ANY)) {
			const b = await withScope(db, '*', (trx) => buildingCoverage(trx, Number(id), ''));
			if (metres === null) {
				expect(b!.levels.any.metres, `building ${id}`).toBeNull();
				expect(b!.circle).toBe(0);
			} else {
				expect(b!.levels.any.metres, `building ${id}`).toBeCloseTo(metres, 0);
				expect(Math.abs(b!.levels.any.metres! - metres)).toBeLessThan(0.11);
				expect(b!.levels.any.minutes).toBeCloseTo(metres / 80, 1);
			}
		}
	});

	it('keeps the nearest centre of each level apart: the dead-end building', async () => {
		const b = (await withScope(db, SYSTEM, (trx) => buildingCoverage(trx, 3, '')))!;
		expect(b.levels.any.centre_id).toBe(3);
		expect(b.levels.district.centre_id).toBe(3);
		expect(b.levels.district.metres).toBeCloseTo(990, 0);
		expect(b.levels.community.centre_id).toBe(1);
		expect(b.levels.community.metres).toBeCloseTo(1370 + 450 + 20, 0);
		expect(b.levels.station.centre_id).toBeNull();
		expect(b.circle).toBe(3);
	});

	it('counts households within each circle per grid, community, street and district', async () => {
		const fig = async (code: string) => {
			const r = (await withScope(db, SYSTEM, (trx) => areaCoverage(trx, code, '')))!;
			return [r.households, r.hh_5min, r.hh_10min, r.hh_15min];
		};
		expect(await fig(G111)).toEqual([33, 13, 13, 33]);
		expect(await fig(G112)).toEqual([4, 0, 0, 4]);
		expect(await fig(G121)).toEqual([5, 0, 0, 5]);
		expect(await fig(G211)).toEqual([7, 0, 0, 0]);
		expect(await fig(C11)).toEqual([37, 13, 13, 37]);
		expect(await fig(S1)).toEqual([42, 13, 13, 42]);
		expect(await fig(S2)).toEqual([7, 0, 0, 0]);
		expect(await fig(D)).toEqual([49, 13, 13, 42]);
		expect((await withScope(db, SYSTEM, (trx) => areaCoverage(trx, D, '')))!.share_15min).toBe(Math.round((42 / 49) * 1e4) / 1e4);
	});

	it('stores a reach area per centre and circle that covers the reached network only', async () => {
		const reach = await withScope(db, SYSTEM, (trx) => reachAreas(trx, 1, ''));
		expect(reach.map((r) => r.circle)).toEqual([1, 2, 3]);
		const inside = async (geojson: string, x: number, y: number) =>
			(
				await sql<{ ok: boolean }>`select ST_Intersects(ST_GeomFromGeoJSON(${geojson}), ST_SetSRID(ST_MakePoint(${lon(x)}, ${lat(y)}), 4326)) as ok`.execute(
					db.kysely
				)
			).rows[0].ok;
		// 300 m from C1 (130, 250): along R1 to x = 430 and up the loop to (400, 280), with a 30 m band
		expect(await inside(reach[0].geojson, 455, 250)).toBe(true);
		expect(await inside(reach[0].geojson, 470, 250)).toBe(false);
		expect(await inside(reach[0].geojson, 400, 305)).toBe(true);
		expect(await inside(reach[0].geojson, 400, 320)).toBe(false);
		expect(await inside(reach[0].geojson, 0, 250)).toBe(true); // behind it too
		expect(await inside(reach[2].geojson, 1100, 250)).toBe(true); // 970 m
		expect(await inside(reach[2].geojson, 1150, 250)).toBe(true);
		expect(await inside(reach[2].geojson, 1170, 250)).toBe(false);
		expect(await inside(reach[2].geojson, 2500, 500)).toBe(false);
	});

	it('stamps the results with the data version, writes no version of its own, and recomputes after a change only', async () => {
		const v = await version();
		const run = (await withScope(db, SYSTEM, (trx) => coverageRun(trx)))!;
		expect(run.data_version).toBe(v);
		expect(run.params.circles).toEqual([300, 500, 1000]);
		expect(await engine.ensure()).toBe(v);
		expect(await version()).toBe(v);
		expect((await withScope(db, SYSTEM, (trx) => coverageRun(trx)))!.computed_at).toEqual(run.computed_at);
		// a station beside the disconnected road: B4 (2500, 520) is now 20 + 50 + 20 away
		await sql`insert into service_centre (level, name, area_code, geom)
			values ('station', '新站', ${'420105002001'}, ST_SetSRID(ST_MakePoint(${lon(2450)}, ${lat(480)}), 4326))`.execute(db.kysely);
		const v2 = await version();
		expect(v2).toBeGreaterThan(v);
		expect(await engine.ensure()).toBe(v2);
		expect(await version()).toBe(v2);
		const b4 = (await withScope(db, SYSTEM, (trx) => buildingCoverage(trx, 4, '')))!;
		expect(b4.levels.station.metres).toBeCloseTo(90, 0);
		expect(b4.circle).toBe(1);
		expect((await withScope(db, SYSTEM, (trx) => areaCoverage(trx, S2, '')))!.hh_5min).toBe(7);
	});
});
