// Small-cell suppression in the vector tiles (security issue 8, finding 5) and no-store for the
// layers that carry persons (finding 8), on both backends, against the hand-made district of
// fixture.ts, where buildings 2–4 hold one or two members and grid 西北网格 two.
//
// A viewer without person access (the display, a planner without the person grant) must find no
// count of persons between 0 and the threshold in any feature of any layer at any zoom, and no
// household or member id; a viewer who sees persons gets every count as it is.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { PERSON_TILE_CACHE_CONTROL, TILE_CACHE_CONTROL, serveTiles } from '../../src/lib/server/tiles/http.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES, type LayerName } from '../../src/lib/server/tiles/sources.ts';
import { SMALL_CELL_THRESHOLD } from '../../src/lib/small-cells.ts';
import { FIXTURE_SQL, GRID_E, GRID_WN, GRID_WS, lonLat } from './fixture.ts';
import { decode, tilesCovering, type DecodedFeature } from './decode.ts';
import { everyOf } from '../helpers/every-of.ts';

const [WEST, SOUTH] = lonLat(-1000, -1000);
const [EAST, NORTH] = lonLat(1000, 1000);
const GZIP = new Headers({ 'accept-encoding': 'gzip' });

/** attributes that count persons or households, in any layer */
const COUNT_KEYS = [
	'households',
	'members',
	'residents',
	'members_working',
	'central_households',
	'hh_5min',
	'hh_10min',
	'hh_15min',
	'hh_cared',
	'open',
	'amber',
	'red'
];
/** attributes that name a household or a member */
const ID_KEYS = ['household_id', 'central_household_id', 'member_id'];

/** what a viewer who sees no persons must not find in a feature */
function leaks(layer: string, z: number, f: DecodedFeature): string[] {
	const out: string[] = [];
	for (const [k, v] of Object.entries(f.properties)) {
		if (ID_KEYS.includes(k)) out.push(`${layer} z${z}: ${k} ${v}`);
		if (COUNT_KEYS.includes(k) && typeof v === 'number' && v > 0 && v < SMALL_CELL_THRESHOLD) out.push(`${layer} z${z} ${f.id}: ${k} = ${v}`);
	}
	if (f.properties.kind === 'household' || f.properties.kind === 'request') out.push(`${layer} z${z}: a ${f.properties.kind} point`);
	return out;
}

describe.each(backends)('small cells in the tiles on the %s backend', (backend) => {
	let db: TestDb;
	let tiles: TileService;

	async function everywhere(layer: LayerName, z: number, persons: boolean): Promise<DecodedFeature[]> {
		const out: DecodedFeature[] = [];
		for (const t of tilesCovering(WEST, SOUTH, EAST, NORTH, z)) out.push(...decode(await tiles.build(layer, t, '', persons), layer));
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

	it('gives a viewer who sees no persons no count below the threshold and no household, in any layer at any zoom', async () => {
		const problems: string[] = [];
		let features = 0;
		for (const layer of LAYER_NAMES) {
			for (let z = SOURCES[layer].minzoom; z <= SOURCES[layer].maxzoom; z++) {
				for (const f of await everywhere(layer, z, false)) {
					features++;
					problems.push(...leaks(layer, z, f));
				}
			}
		}
		expect(problems).toEqual([]);
		expect(features).toBeGreaterThan(100);
		// the same walk over a person viewer's tiles finds the small counts: the check is not vacuous
		const control: string[] = [];
		for (const layer of ['buildings', 'members', 'grids', 'communities', 'requests'] as const) {
			for (const f of await everywhere(layer, Math.max(SOURCES[layer].minzoom, 14), true)) control.push(...leaks(layer, 14, f));
		}
		expect(control.length).toBeGreaterThan(3);
	});

	it('leaves the withheld counts out and says which buildings have members enough for a party group', async () => {
		const byId = (fs: DecodedFeature[]) => new Map(fs.map((f) => [f.id, f.properties]));
		const counts = byId(await everywhere('buildings', 15, false));
		// 1: three living, one working (the one working would show as the difference): withheld
		expect(counts.get(1)).toMatchObject({ member_building: 1, covered: 1 });
		expect(counts.get(1)).not.toHaveProperty('members');
		for (const id of [2, 3, 4]) {
			expect(counts.get(id), `building ${id}`).not.toHaveProperty('members');
			expect(counts.get(id)).toMatchObject({ member_building: 0 });
		}
		// a viewer who sees persons: the counts as they are, and the same flag (the map colours by it
		// for everyone: the browser applies no threshold of its own)
		const persons = byId(await everywhere('buildings', 15, true));
		expect([1, 2, 3, 4].map((id) => persons.get(id)!.members)).toEqual([4, 1, 2, 1]);
		expect([1, 2, 3, 4].map((id) => persons.get(id)!.member_building)).toEqual([1, 0, 0, 0]);

		// grids: 西南 6 households and 3 members as they are; 西北 2 members and 东 1 withheld, with the density
		const grids = new Map((await everywhere('grids', 14, false)).map((f) => [f.properties.code, f.properties]));
		expect(grids.get(GRID_WS)).toMatchObject({ households: 6, members: 3 });
		expect(grids.get(GRID_WN)).toMatchObject({ households: 3 });
		for (const g of [GRID_WN, GRID_E]) {
			expect(grids.get(g), g).not.toHaveProperty('members');
			expect(grids.get(g), g).not.toHaveProperty('member_density');
		}
		const personGrids = new Map((await everywhere('grids', 14, true)).map((f) => [f.properties.code, f.properties]));
		expect([GRID_WS, GRID_WN, GRID_E].map((g) => personGrids.get(g)!.members)).toEqual([3, 2, 1]);
	});

	it('places no household and draws no link for a viewer who sees no persons', async () => {
		for (const z of [16, 17]) {
			const points = await everywhere('members', z, false);
			expect(points.length).toBeGreaterThan(0);
			expect(everyOf(points, (f) => f.properties.kind === 'building' && !('household_id' in f.properties))).toBe(true);
		}
		expect(await everywhere('central_links', 17, false)).toEqual([]);
		// building 1's three members are shown, its two member households withheld; buildings 3 and 4 hold
		// two and one
		const buildings = new Map((await everywhere('members', 15, false)).map((f) => [f.properties.building_id, f.properties]));
		expect(buildings.get(1)).toEqual({ kind: 'building', building_id: 1, members: 3 });
		expect(buildings.get(3)).toEqual({ kind: 'building', building_id: 3 });
		expect(buildings.get(4)).toEqual({ kind: 'building', building_id: 4 });
		// the person viewer's household points are still there
		expect((await everywhere('members', 16, true)).map((f) => f.properties.household_id).sort()).toEqual([1, 10, 2, 7, 8]);
		expect((await everywhere('central_links', 17, true)).length).toBeGreaterThan(0);
	});

	it('keeps the two audiences apart in the tile cache', async () => {
		const t = tileOf(...lonLat(500, 0), 15); // building 4: one member
		const fresh = new TileService(db, { versionTtlMs: 0 });
		const persons = await fresh.tile('buildings', t, '', true);
		const counts = await fresh.tile('buildings', t, '', false);
		expect(counts.source).toBe('miss');
		expect(counts.tile.etag).not.toBe(persons.tile.etag);
		const members = (o: typeof persons) => decode(gunzipSync(o.tile.gzip!), 'buildings').find((f) => f.id === 4)!.properties.members;
		expect(members(persons)).toBe(1);
		expect(members(counts)).toBeUndefined();
		// by default, the service and the endpoint answer as for a viewer who sees no persons
		expect(members(await fresh.tile('buildings', t))).toBeUndefined();
		const served = await serveTiles(fresh, `buildings/15/${t.x}/${t.y}.mvt`, GZIP);
		expect(decode(gunzipSync(served.body as Uint8Array), 'buildings').find((f) => f.id === 4)!.properties.members).toBeUndefined();
		const asPerson = await serveTiles(fresh, `buildings/15/${t.x}/${t.y}.mvt`, GZIP, { persons: true });
		expect(decode(gunzipSync(asPerson.body as Uint8Array), 'buildings').find((f) => f.id === 4)!.properties.members).toBe(1);
	});

	it('sends the tiles of layers that carry persons with no-store, derived from the layer declaration', async () => {
		expect(LAYER_NAMES.filter((l) => SOURCES[l].persons).sort()).toEqual(['central_links', 'members', 'requests']);
		expect(PERSON_TILE_CACHE_CONTROL).toMatch(/\bno-store\b/);
		const [lon, lat] = lonLat(-500, -500); // building 1, household 1 (a central household) and its links
		for (const persons of [true, false]) {
			for (const [layer, z] of [
				['members', 12],
				['members', 15],
				['members', 16],
				['central_links', 17],
				['central_links', 12]
			] as const) {
				const t = tileOf(lon, lat, z);
				const path = `${layer}/${z}/${t.x}/${t.y}.mvt`;
				const r = await serveTiles(tiles, path, GZIP, { persons });
				expect(r.headers['cache-control'], `${path} (persons ${persons}): ${r.status}`).toBe(PERSON_TILE_CACHE_CONTROL);
				if (r.status === 200 && r.headers.etag) {
					const again = await serveTiles(tiles, path, new Headers({ 'if-none-match': r.headers.etag }), { persons });
					expect(again.status).toBe(304);
					expect(again.headers['cache-control']).toBe(PERSON_TILE_CACHE_CONTROL);
				}
			}
			// a person viewer's household tile is answered (with household points), and never stored
			const h = tileOf(lon, lat, 16);
			if (persons) expect((await serveTiles(tiles, `members/16/${h.x}/${h.y}.mvt`, GZIP, { persons })).status).toBe(200);
		}
		// layers without persons may be kept a little, per signed-in user
		const t = tileOf(lon, lat, 15);
		const b = await serveTiles(tiles, `buildings/15/${t.x}/${t.y}.mvt`, GZIP);
		expect(b.headers['cache-control']).toBe(TILE_CACHE_CONTROL);
		expect(b.headers.vary).toMatch(/\bcookie\b/i);
	});
});
