// Vector tiles on both backends, against a hand-made district whose every figure is known
// (fixture.ts): attributes and counts per layer and zoom, points in the right tile, scope.
// These are the tiles of a viewer who sees persons (counts as they are); what the others get is
// in small-cells.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { mercatorToLat, mercatorToLon, tileOf, type TileId } from '../../src/lib/server/tiles/bounds.ts';
import { householdPoint3857 } from '../../src/lib/server/tiles/tile-sql.ts';
import type { LayerName } from '../../src/lib/server/tiles/sources.ts';
import { BUILDINGS, FIXTURE_SQL, GRID_E, GRID_WN, GRID_WS, lonLat } from './fixture.ts';
import { decode, tilesCovering, type DecodedFeature } from './decode.ts';
import { MEMBER_BUILDING_THRESHOLD } from '../../src/lib/coverage-rules.ts';
import { everyOf } from '../helpers/every-of.ts';

// the fixture spans ±1000 m around its centre
const [WEST, SOUTH] = lonLat(-1000, -1000);
const [EAST, NORTH] = lonLat(1000, 1000);

describe.each(backends)('tiles on the %s backend', (backend) => {
	let db: TestDb;
	let tiles: TileService;

	/** all features of a layer over the whole fixture at zoom z, from every tile that covers it (as a viewer who sees persons) */
	async function everywhere(layer: LayerName, z: number, scope = ''): Promise<DecodedFeature[]> {
		const out: DecodedFeature[] = [];
		for (const t of tilesCovering(WEST, SOUTH, EAST, NORTH, z)) out.push(...decode(await tiles.build(layer, t, scope, true), layer));
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

	it('gives the buildings with kind, floors, height, members living or working there and coverage', async () => {
		for (const z of [13, 15, 16]) {
			const features = await everywhere('buildings', z);
			const byId = new Map(features.map((f) => [f.id, f]));
			expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4]);
			for (const [id, b] of Object.entries(BUILDINGS)) {
				const f = byId.get(Number(id))!;
				expect(f.type).toBe(3);
				expect(f.properties).toEqual({
					id: Number(id),
					kind: b.kind,
					floors: b.floors,
					height: b.height,
					members: b.members,
					covered: b.covered,
					grid_code: b.grid,
					member_building: b.members >= MEMBER_BUILDING_THRESHOLD ? 1 : 0
				});
			}
		}
		// below z13 the layer is absent
		expect(await tiles.build('buildings', tileOf(...lonLat(0, 0), 12))).toBeNull();
	});

	it('draws a building where it stands, with the MVT ring orientation', async () => {
		const [lon, lat] = lonLat(-500, -500); // building 1, 30 m square
		const t = tileOf(lon, lat, 17);
		const [f] = decode(await tiles.build('buildings', t), 'buildings').filter((x) => x.id === 1);
		const ring = f.geometry[0];
		const xs = ring.map((p) => p.x);
		const ys = ring.map((p) => p.y);
		expect((Math.min(...xs) + Math.max(...xs)) / 2).toBeCloseTo(t.px, -1);
		expect((Math.min(...ys) + Math.max(...ys)) / 2).toBeCloseTo(t.py, -1);
		// exterior ring: positive surveyor's area in tile coordinates (y down), as the spec asks
		let area = 0;
		for (let i = 0; i < ring.length; i++) {
			const a = ring[i];
			const b = ring[(i + 1) % ring.length];
			area += a.x * b.y - b.x * a.y;
		}
		expect(area).toBeGreaterThan(0);
	});

	it('gives streets, communities and grids their area_stats figures', async () => {
		const grids = await everywhere('grids', 14);
		const g = new Map<string, DecodedFeature['properties']>();
		for (const f of grids) g.set(String(f.properties.code), f.properties);
		expect([...g.keys()].sort()).toEqual([GRID_WS, GRID_WN, GRID_E]);
		// counted straight from the tables, not from area_stats
		const { rows } = await sql<{ code: string; households: number; members: number; buildings: number; km2: number }>`
			select a.code,
			       (select count(*) from household h join building b on b.id = h.building_id where b.grid_code = a.code)::int as households,
			       (select count(*) from party_member m join household h on h.id = m.household_id join building b on b.id = h.building_id where b.grid_code = a.code)::int as members,
			       (select count(*) from building b where b.grid_code = a.code)::int as buildings,
			       ST_Area(a.geom::geography) / 1e6 as km2
			from area a where a.level = 'grid'`.execute(db.kysely);
		for (const r of rows) {
			const p = g.get(r.code)!;
			expect(p.households).toBe(r.households);
			expect(p.members).toBe(r.members);
			expect(p.buildings).toBe(r.buildings);
			expect(p.member_density).toBe(Math.round(r.members / r.km2));
		}
		expect(g.get(GRID_WS)).toMatchObject({ has_branch: 1, org_coverage: 1, households: 6, members: 3, name: '西南网格' });
		expect(g.get(GRID_WN)).toMatchObject({ has_branch: 0, org_coverage: 0 });

		// 5 and 1 members on a little over 2 km² each
		const communities = await everywhere('communities', 10);
		expect(communities.map((f) => f.properties).sort((a, b) => String(a.code).localeCompare(String(b.code)))).toEqual([
			{ code: '420105001001', name: '西社区', kind: 'community', households: 9, members: 5, buildings: 3, member_density: 2, org_coverage: 0.5 },
			{ code: '420105002001', name: '东村', kind: 'village', households: 4, members: 1, buildings: 1, member_density: 0, org_coverage: 0 }
		]);
		const streets = await everywhere('streets', 8);
		expect(streets.map((f) => [f.id, f.properties.code, f.properties.org_coverage])).toEqual(
			expect.arrayContaining([
				[420105001, '420105001', 0.5],
				[420105002, '420105002', 0]
			])
		);
		expect(everyOf(streets, (f) => f.type === 3 && !('kind' in f.properties) && !('has_branch' in f.properties))).toBe(true);
	});

	it('counts members per grid to z13, per building to z15 and shows households from z16, with the same totals', async () => {
		const total = { households: 5, members: 6 }; // households 1, 2, 7, 8, 10; members living 1–5 and 7
		const sum = (fs: DecodedFeature[], k: string) => fs.reduce((s, f) => s + Number(f.properties[k]), 0);

		const grid = await everywhere('members', 12);
		expect(everyOf(grid, (f) => f.properties.kind === 'grid' && f.type === 1)).toBe(true);
		expect(grid.map((f) => f.properties.grid_code).sort()).toEqual([GRID_WS, GRID_WN, GRID_E]);
		expect(sum(grid, 'households')).toBe(total.households);
		expect(sum(grid, 'members')).toBe(total.members);

		const building = await everywhere('members', 14);
		expect(building.map((f) => [f.properties.building_id, f.properties.households, f.properties.members]).sort()).toEqual([
			[1, 2, 3],
			[3, 2, 2],
			[4, 1, 1]
		]);

		const household = await everywhere('members', 16);
		expect(household.map((f) => f.properties).sort((a, b) => Number(a.household_id) - Number(b.household_id))).toEqual([
			{ kind: 'household', household_id: 1, building_id: 1, members: 2, central: 1 },
			{ kind: 'household', household_id: 2, building_id: 1, members: 1, central: 0 },
			{ kind: 'household', household_id: 7, building_id: 3, members: 1, central: 0 },
			{ kind: 'household', household_id: 8, building_id: 3, members: 1, central: 0 },
			{ kind: 'household', household_id: 10, building_id: 4, members: 1, central: 0 }
		]);
		// nothing personal in the tiles
		for (const f of [...grid, ...building, ...household]) {
			expect(
				everyOf(Object.keys(f.properties), (k) => ['kind', 'grid_code', 'building_id', 'household_id', 'households', 'members', 'central'].includes(k))
			).toBe(true);
		}
	});

	it('puts a household point in the tile that holds its spot, at its place inside the tile', async () => {
		const { rows } = await sql<{ x: number; y: number }>`
			select ST_X(p) as x, ST_Y(p) as y from (
				select ${householdPoint3857(sql`ST_Transform(b.geom, 3857)`, sql`h.id`)} as p
				from household h join building b on b.id = h.building_id where h.id = 7) t`.execute(db.kysely);
		const lon = mercatorToLon(rows[0].x);
		const lat = mercatorToLat(rows[0].y);
		for (const z of [16, 18, 20]) {
			const t = tileOf(lon, lat, z);
			const f = decode(await tiles.build('members', t, '', true), 'members').find((x) => x.id === 7);
			expect(f, `household 7 at z${z}`).toBeDefined();
			expect(Math.abs(f!.geometry[0][0].x - t.px)).toBeLessThanOrEqual(1);
			expect(Math.abs(f!.geometry[0][0].y - t.py)).toBeLessThanOrEqual(1);
			// and in no neighbouring tile
			for (const [dx, dy] of [
				[-1, 0],
				[1, 0],
				[0, -1],
				[0, 1]
			]) {
				const n: TileId = { z, x: t.x + dx, y: t.y + dy };
				expect(decode(await tiles.build('members', n, '', true), 'members').some((x) => x.id === 7)).toBe(false);
			}
		}
		// the spot stays near its building (building 3: 40 × 12 m around (−500, 500))
		const [blon, blat] = lonLat(-500, 500);
		expect(Math.abs(lon - blon) * 95_850).toBeLessThan(25);
		expect(Math.abs(lat - blat) * 110_574).toBeLessThan(25);
	});

	it('links each central household to the households it looks after from z17', async () => {
		const links = await everywhere('central_links', 17);
		const pairs = new Set(links.map((f) => `${f.properties.central_household_id}>${f.properties.household_id}`));
		expect([...pairs].sort()).toEqual(['1>3', '1>4', '1>9']);
		expect(everyOf(links, (f) => f.type === 2)).toBe(true);
		expect(await everywhere('central_links', 16)).toEqual([]);
	});

	it('shows arterial roads from z10 and local ones from z14; service centres as points', async () => {
		const low = await everywhere('roads', 12);
		expect(low.map((f) => f.properties)).toEqual([{ class: 'arterial', name: '汉阳大道' }]);
		const high = await everywhere('roads', 14);
		expect(new Set(high.map((f) => f.properties.class))).toEqual(new Set(['arterial', 'local']));
		expect(new Set(high.map((f) => f.id))).toEqual(new Set([1, 2]));

		const centres = await everywhere('service_centres', 15);
		expect(centres.map((f) => f.properties).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
			{ id: 1, level: 'street', name: '西街道党群服务中心' },
			{ id: 2, level: 'station', name: '东村便民服务站' }
		]);
		const [lon, lat] = lonLat(600, 300);
		const t = tileOf(lon, lat, 16);
		const [f] = decode(await tiles.build('service_centres', t), 'service_centres');
		expect(f.id).toBe(2);
		expect(Math.abs(f.geometry[0][0].x - t.px)).toBeLessThanOrEqual(1);
	});

	it('keeps every layer inside its scope', async () => {
		const b = await everywhere('buildings', 15, GRID_E);
		expect(b.map((f) => f.id)).toEqual([4]);
		const m = await everywhere('members', 16, GRID_E);
		expect(m.map((f) => f.properties.household_id)).toEqual([10]);
		expect(await everywhere('grids', 12, GRID_E)).toHaveLength(1);
		expect(await everywhere('streets', 12, GRID_E)).toEqual([]);
		expect(await everywhere('central_links', 17, GRID_E)).toEqual([]);
		expect((await everywhere('service_centres', 14, '420105001')).map((f) => f.id)).toEqual([1]);
		// roads carry no code: they are kept where they touch the scope
		expect(new Set((await everywhere('roads', 14, GRID_E)).map((f) => f.id))).toEqual(new Set([1]));
	});

	it('answers an empty tile with nothing', async () => {
		expect(await tiles.build('buildings', { z: 16, x: 0, y: 0 })).toBeNull();
		expect(await tiles.build('grids', { z: 8, x: 0, y: 0 })).toBeNull();
	});
});
