// The tile endpoint as HTTP sees it (serveTiles is what the SvelteKit route wraps): status codes
// and reasons, gzip, ETag and 304, the LRU and its invalidation by a write, TileJSON.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { areaStats, ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { serveTiles, type TileResponse } from '../../src/lib/server/tiles/http.ts';
import { SOURCES } from '../../src/lib/server/tiles/sources.ts';
import { parseTilePath } from '../../src/lib/server/tiles/parse.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { FIXTURE_SQL, GRID_WS, lonLat } from './fixture.ts';
import { decode } from './decode.ts';

const GZIP = new Headers({ 'accept-encoding': 'gzip, deflate, br' });

describe('tile paths', () => {
	it.each([
		['buildings/23/0/0.mvt', 'zoom 23 is above 22'],
		['buildings/2/4/0.mvt', 'x 4 is outside 0..3 at zoom 2'],
		['buildings/2/0/4.mvt', 'y 4 is outside 0..3 at zoom 2'],
		['nope/1/0/0.mvt', 'unknown layer "nope"'],
		['nope.json', 'unknown layer "nope"'],
		['buildings/1/0.mvt', 'malformed tile path'],
		['buildings/1/0/0.pbf', 'malformed tile path'],
		['buildings/-1/0/0.mvt', 'malformed tile path'],
		['buildings/1/0/0x.mvt', 'malformed tile path'],
		['buildings/1.5/0/0.mvt', 'malformed tile path'],
		['buildings/1/0/99999999999.mvt', 'malformed tile path'],
		['', 'malformed tile path'],
		['buildings/1/0/0.mvt/extra', 'malformed tile path'],
		['buildings/1/0/\n0.mvt', 'malformed tile path']
	])('refuses %j: %s', (path, reason) => {
		const r = parseTilePath(path);
		expect(r.kind).toBe('bad');
		if (r.kind === 'bad') {
			expect(r.reason).toContain(reason);
			expect(r.reason).not.toMatch(/\n/);
		}
	});

	it('accepts the corners of the zoom range', () => {
		expect(parseTilePath('members/0/0/0.mvt')).toEqual({ kind: 'tile', layer: 'members', z: 0, x: 0, y: 0 });
		expect(parseTilePath('/roads/22/4194303/4194303.mvt')).toEqual({ kind: 'tile', layer: 'roads', z: 22, x: 4194303, y: 4194303 });
		expect(parseTilePath('grids.json')).toEqual({ kind: 'tilejson', layer: 'grids' });
	});
});

describe.each(backends)('the tile endpoint on the %s backend', (backend) => {
	let db: TestDb;
	let tiles: TileService;
	const [lon, lat] = lonLat(-500, -500); // building 1
	const t16 = tileOf(lon, lat, 16);
	const path = `buildings/16/${t16.x}/${t16.y}.mvt`;

	beforeAll(async () => {
		db = await freshDb(backend);
		await db.runScript(FIXTURE_SQL);
		tiles = new TileService(db, { versionTtlMs: 0 });
	});
	afterAll(async () => {
		await db?.drop();
	});

	const text = (r: TileResponse) => String(r.body);

	it('answers bad requests 400 with a one-line reason', async () => {
		for (const p of ['buildings/23/0/0.mvt', 'buildings/3/8/0.mvt', 'houses/3/0/0.mvt', 'buildings/3/0.mvt', 'x']) {
			const r = await serveTiles(tiles, p, GZIP);
			expect(r.status).toBe(400);
			expect(r.headers['content-type']).toMatch(/^text\/plain/);
			expect(text(r)).toMatch(/^[^\n]+\n$/);
		}
	});

	it('answers 204 below a layer’s minzoom and where there is nothing', async () => {
		expect((await serveTiles(tiles, 'buildings/12/0/0.mvt', GZIP)).status).toBe(204);
		expect((await serveTiles(tiles, 'central_links/16/0/0.mvt', GZIP)).status).toBe(204);
		const empty = await serveTiles(tiles, 'buildings/16/0/0.mvt', GZIP);
		expect(empty.status).toBe(204);
		expect(empty.body).toBeNull();
	});

	it('answers 204 without the database for areas above the viewer’s scope', async () => {
		// a grid leader's map asks for the street and community layers too: nothing of theirs is in it
		const t = tileOf(lon, lat, 14);
		for (const layer of ['streets', 'communities', 'coverage_street', 'coverage_community'] as const) {
			const r = await serveTiles(tiles, `${layer}/14/${t.x}/${t.y}.mvt`, GZIP, { scope: GRID_WS });
			expect([layer, r.status, r.headers['x-tile-cache'], r.headers['x-data-version']]).toEqual([layer, 204, 'none', undefined]);
			// and what the database holds agrees: no area of that level under the grid
			const level = layer.endsWith('streets') || layer === 'coverage_street' ? 'street' : 'community';
			const { rows } = await sql<{ n: number }>`select count(*)::int as n from area where level = ${level} and starts_with(code, ${GRID_WS}::text)`.execute(
				db.kysely
			);
			expect(rows[0].n).toBe(0);
		}
		// a scope that is no area code is the caller's mistake, never a query
		for (const scope of ['12345', '1101050', `${GRID_WS}0`, "110105' or 1=1"])
			await expect(serveTiles(tiles, `grids/14/${t.x}/${t.y}.mvt`, GZIP, { scope })).rejects.toThrow(/bad tile scope/);
		// its own grid is there; a community secretary still gets its community
		const grid = await serveTiles(tiles, `grids/14/${t.x}/${t.y}.mvt`, GZIP, { scope: GRID_WS });
		expect(grid.status).toBe(200);
		const community = await serveTiles(tiles, `communities/14/${t.x}/${t.y}.mvt`, GZIP, { scope: '420105001001' });
		expect([community.status, community.headers['x-tile-cache']]).toEqual([200, 'miss']);
	});

	it('sends gzip with an ETag and Cache-Control, then 304 for that ETag, and keeps the tile in the LRU', async () => {
		const first = await serveTiles(tiles, path, GZIP);
		expect(first.status).toBe(200);
		expect(first.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
		expect(first.headers['content-encoding']).toBe('gzip');
		expect(first.headers['cache-control']).toMatch(/max-age=\d+/);
		expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
		expect(first.headers['x-tile-cache']).toBe('miss');
		const raw = gunzipSync(first.body as Uint8Array);
		expect(decode(raw, 'buildings').map((f) => f.id)).toContain(1);

		const again = await serveTiles(tiles, path, GZIP);
		expect(again.headers['x-tile-cache']).toBe('hit');
		expect(again.headers.etag).toBe(first.headers.etag);

		const revalidate = await serveTiles(tiles, path, new Headers({ 'accept-encoding': 'gzip', 'if-none-match': `W/"x", ${first.headers.etag}` }));
		expect(revalidate.status).toBe(304);
		expect(revalidate.body).toBeNull();
		expect(revalidate.headers.etag).toBe(first.headers.etag);

		// a client without gzip gets the plain tile
		const plain = await serveTiles(tiles, path, new Headers());
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(Buffer.from(plain.body as Uint8Array).equals(raw)).toBe(true);
	});

	it('gzips small tiles on the event loop and large ones in the thread pool to the same bytes', async () => {
		const raw = await tiles.build('buildings', t16);
		expect(raw).not.toBeNull();
		// one service gzips every tile in the pool, one every tile on the event loop
		const pooled = new TileService(db, { versionTtlMs: 0, syncGzipBytes: 0 });
		const inline = new TileService(db, { versionTtlMs: 0, syncGzipBytes: Number.MAX_SAFE_INTEGER });
		for (const service of [pooled, inline]) {
			const r = await serveTiles(service, path, GZIP);
			expect(r.status).toBe(200);
			expect(Buffer.from(gunzipSync(r.body as Uint8Array))).toEqual(Buffer.from(raw!));
		}
	});

	it('forgets cached tiles when a write bumps the data version', async () => {
		const before = await serveTiles(tiles, path, GZIP);
		expect((await serveTiles(tiles, path, GZIP)).headers['x-tile-cache']).toBe('hit');
		const { rows } = await sql<{ version: number }>`select version from data_version`.execute(db.kysely);
		await sql`update building set floors = 19 where id = 1`.execute(db.kysely);
		const after = await serveTiles(tiles, path, GZIP);
		expect(after.headers['x-tile-cache']).toBe('miss');
		expect(after.headers.etag).not.toBe(before.headers.etag);
		const b1 = decode(gunzipSync(after.body as Uint8Array), 'buildings').find((f) => f.id === 1)!;
		expect(b1.properties.floors).toBe(19);
		// the old ETag no longer matches
		const stale = await serveTiles(tiles, path, new Headers({ 'if-none-match': before.headers.etag }));
		expect(stale.status).toBe(200);
		const { rows: now } = await sql<{ version: number }>`select version from data_version`.execute(db.kysely);
		expect(Number(now[0].version)).toBeGreaterThan(Number(rows[0].version));
	});

	it('serves area figures at once after a write, marked updating, and the new ones once the background refresh ends', async () => {
		const grid = tileOf(lon, lat, 14);
		const p = `grids/14/${grid.x}/${grid.y}.mvt`;
		const read = async () => {
			const r = await serveTiles(tiles, p, GZIP);
			const members = decode(gunzipSync(r.body as Uint8Array), 'grids').find((f) => f.properties.code === '420105001001001')!.properties.members;
			return { members, updating: r.headers['x-figures-updating'] };
		};
		await ensureAreaStats(db); // earlier tests wrote
		expect(await read()).toEqual({ members: 3, updating: '0' });
		await sql`insert into party_member (id, name, gender, birth_year, status, joined_on, org_id, household_id)
		          overriding system value values (100, '辛', 'female', 1999, 'formal', '2020-07-01', 1, 5)`.execute(db.kysely);
		// the request did not wait: it says the figures are behind and started their refresh
		expect((await read()).updating).toBe('1');
		await areaStats(db).running; // (null when it already ended)
		expect(await read()).toEqual({ members: 4, updating: '0' });
	});

	it('trusts a data version read for versionTtlMs, then reads it again', async () => {
		const lazy = new TileService(db, { versionTtlMs: 60_000 });
		const a = await lazy.tile('buildings', t16);
		await sql`update building set floors = 20 where id = 1`.execute(db.kysely);
		const b = await lazy.tile('buildings', t16);
		expect(b.source).toBe('hit'); // within the TTL: the previous version still serves
		expect(b.version).toBe(a.version);
		const eager = new TileService(db, { versionTtlMs: 0 });
		expect((await eager.tile('buildings', t16)).version).toBeGreaterThan(a.version);
	});

	it('builds a tile once for concurrent requests', async () => {
		const fresh = new TileService(db, { versionTtlMs: 0 });
		const t = tileOf(lon, lat, 15);
		const all = await Promise.all(Array.from({ length: 8 }, () => fresh.tile('buildings', t)));
		expect(all.filter((o) => o.source === 'miss')).toHaveLength(1);
		expect(new Set(all.map((o) => o.tile.etag)).size).toBe(1);
	});

	it('describes each layer in TileJSON', async () => {
		const r = await serveTiles(tiles, 'members.json', GZIP, { origin: 'http://example.test' });
		expect(r.status).toBe(200);
		const doc = JSON.parse(String(r.body));
		expect(doc).toMatchObject({
			tilejson: '3.0.0',
			tiles: ['http://example.test/tiles/members/{z}/{x}/{y}.mvt'],
			minzoom: 10,
			vector_layers: [{ id: 'members' }]
		});
		const [w, s] = lonLat(-1000, -1000);
		expect(doc.bounds[0]).toBeCloseTo(w, 4);
		expect(doc.bounds[1]).toBeCloseTo(s, 4);
		expect(Object.keys(doc.vector_layers[0].fields)).toEqual(expect.arrayContaining(['members', 'household_id', 'central']));
	});

	it('ends a layer that places households a zoom early for viewers who see no persons (the map overzooms, never asks for refused tiles)', async () => {
		for (const layer of Object.values(SOURCES)) {
			const seeing = JSON.parse(String((await serveTiles(tiles, `${layer.name}.json`, GZIP, { origin: 'http://x', persons: true })).body));
			const counting = JSON.parse(String((await serveTiles(tiles, `${layer.name}.json`, GZIP, { origin: 'http://x', persons: false })).body));
			expect(seeing.maxzoom, layer.name).toBe(layer.maxzoom);
			// the display and planners without the grant get no tile at householdsFrom and above (refused: 403)
			const last = layer.householdsFrom !== undefined && layer.householdsFrom > layer.minzoom ? layer.householdsFrom - 1 : layer.maxzoom;
			expect(counting.maxzoom, layer.name).toBe(last);
			expect(counting.vector_layers[0].maxzoom, layer.name).toBe(last);
		}
		expect(SOURCES.members.householdsFrom).toBeLessThanOrEqual(SOURCES.members.maxzoom);
	});
});
