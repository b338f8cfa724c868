// The residents' requests tile layer (issue 11 part 3) on both backends, against the hand-made
// district of fixture.ts: 西南 holds three open requests (one red, one amber, one on time) and one
// confirmed, 西北 and 东 one open each. A grid leader's tiles hold their grid's requests only; a
// viewer who sees no persons (a planner) gets per-grid counts at every zoom, small ones left out,
// and never a request's own point; the counts equal a direct count; a new request shows at once
// (the layer is never kept in the tile LRU: requests move without a data version).
import { sql } from 'kysely';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { everyOf } from '../helpers/every-of.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { placesHouseholds } from '../../src/lib/server/tiles/sources.ts';
import { FIXTURE_SQL, GRID_E, GRID_WN, GRID_WS, lonLat } from './fixture.ts';
import { decode, tilesCovering, type DecodedFeature } from './decode.ts';

const [WEST, SOUTH] = lonLat(-1000, -1000);
const [EAST, NORTH] = lonLat(1000, 1000);

describe('the requests layer declaration', () => {
	it('places requests (households’ places) from z14: refused there to viewers who see no persons, TileJSON stays counts', () => {
		expect([10, 13, 14, 17].map((z) => placesHouseholds('requests', z))).toEqual([false, false, true, true]);
		expect(placesHouseholds('requests', null)).toBe(false);
	});
});

describe.each(backends)('the requests tiles on the %s backend', (backend) => {
	let db: TestDb;
	let tiles: TileService;

	async function everywhere(z: number, scope: string, persons: boolean): Promise<DecodedFeature[]> {
		const out: DecodedFeature[] = [];
		for (const t of tilesCovering(WEST, SOUTH, EAST, NORTH, z)) out.push(...decode(await tiles.build('requests', t, scope, persons), 'requests'));
		return out;
	}

	beforeAll(async () => {
		db = await freshDb(backend);
		await db.runScript(FIXTURE_SQL);
		tiles = new TileService(db, { versionTtlMs: 0 });
	});
	afterAll(async () => {
		await db?.drop();
	});

	it("gives a grid leader their grid's open requests only: one point each from z14, one count below", async () => {
		for (const z of [14, 15, 17]) {
			const points = await everywhere(z, GRID_WS, true);
			expect(points.map((f) => f.id).sort(), `z${z}`).toEqual([1, 2, 3]);
			expect(everyOf(points, (f) => f.properties.kind === 'request' && f.properties.grid_code === GRID_WS)).toBe(true);
		}
		const byId = new Map((await everywhere(15, GRID_WS, true)).map((f) => [f.id, f.properties]));
		expect(byId.get(1)).toEqual({
			kind: 'request',
			id: 1,
			grid_code: GRID_WS,
			state: 'submitted',
			level: 'grid',
			category: 'environment',
			urgency: 'normal',
			overdue: 'red'
		});
		expect(byId.get(2)).toMatchObject({ state: 'accepted', level: 'community', overdue: 'amber' });
		expect(byId.get(3)).toMatchObject({ state: 'in_progress', overdue: 'none' });
		// never what was written, nor whose household
		for (const p of byId.values()) for (const k of ['description', 'household_id', 'photo', 'client_id']) expect(p).not.toHaveProperty(k);
		// below z14: the grid's counts, its own grid only
		for (const z of [10, 12, 13]) {
			expect(
				(await everywhere(z, GRID_WS, true)).map((f) => f.properties),
				`z${z}`
			).toEqual([{ kind: 'grid', grid_code: GRID_WS, open: 3, amber: 1, red: 1 }]);
		}
	});

	it('gives a planner (no persons) per-grid counts only, at every zoom, small counts left out', async () => {
		for (const z of [12, 13, 14, 16]) {
			const fs = await everywhere(z, '', false);
			expect(
				everyOf(fs, (f) => f.properties.kind === 'grid' && !('id' in f.properties) && !('state' in f.properties)),
				`z${z}`
			).toBe(true);
			const grids = new Map(fs.map((f) => [f.properties.grid_code, f.properties]));
			expect([...grids.keys()].sort(), `z${z}`).toEqual([GRID_WS, GRID_WN, GRID_E].sort());
			// 西南: three open shown, one amber and one red withheld; 西北 and 东: one open withheld, none overdue (0 is shown)
			expect(grids.get(GRID_WS)).toEqual({ kind: 'grid', grid_code: GRID_WS, open: 3 });
			expect(grids.get(GRID_WN)).toEqual({ kind: 'grid', grid_code: GRID_WN, amber: 0, red: 0 });
			expect(grids.get(GRID_E)).toEqual({ kind: 'grid', grid_code: GRID_E, amber: 0, red: 0 });
		}
	});

	it('counts every open request once per zoom, equal to a direct count', async () => {
		const { rows } = await sql<{ open: number }>`select count(*)::int as open from request where state <> 'confirmed'`.execute(db.kysely);
		for (const z of [10, 11, 12, 13]) {
			const total = (await everywhere(z, '', true)).reduce((n, f) => n + Number(f.properties.open), 0);
			expect({ z, total }).toEqual({ z, total: rows[0].open });
		}
		expect((await everywhere(15, '', true)).length).toBe(rows[0].open);
	});

	it('shows a new request at once: the layer is not kept in the tile cache (no data version moves)', async () => {
		const t = tileOf(...lonLat(-500, 500), 12);
		const open = async () => {
			const o = await tiles.tile('requests', t, '', true);
			expect(o.source).toBe('miss');
			const fs = o.tile.gzip ? decode(gunzipSync(o.tile.gzip), 'requests') : [];
			return fs.find((f) => f.properties.grid_code === GRID_WN)?.properties.open;
		};
		expect(await open()).toBe(1);
		await sql`insert into request (id, client_id, grid_code, geom, category, urgency, description) overriding system value
			values (100, 'fixture-req-new', ${GRID_WN}, ST_SetSRID(ST_MakePoint(${lonLat(-400, 400)[0]}, ${lonLat(-400, 400)[1]}), 4326), 'other', 'normal', 'x')`.execute(
			db.kysely
		);
		try {
			expect(await open()).toBe(2);
		} finally {
			await sql`delete from request where client_id = 'fixture-req-new'`.execute(db.kysely);
		}
	});
});
