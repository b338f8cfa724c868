// Road fragments (issue 13): pieces whose ends lie within the snap distance of another piece are
// joined by a walking link when the network is built; buildings whose piece of the network holds
// no centre are reported as a data gap (building_unreachable), not as a long walk; the demo
// generator connects its village roads.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { buildGraph, roadSnapMetres, type RoadGraph } from '../../src/lib/server/coverage/graph.ts';
import { loadNetwork, computeService } from '../../src/lib/server/coverage/service.ts';
import { buildingCoverage, coverageRun, gapList, roadLinks } from '../../src/lib/server/db/queries/coverage.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { ROAD_SNAP_M } from '../../src/lib/coverage-rules.ts';
import { G211, insertFixture, lon, lat } from './fixture.ts';

const pt = (x: number, y: number) => `${lon(x)} ${lat(y)}`;

/** the connected pieces of a graph: for each, the road ids in it (links excluded) */
function pieces(g: RoadGraph): number[][] {
	const parent = Int32Array.from({ length: g.nodeCount }, (_, k) => k);
	const find = (a: number): number => (parent[a] === a ? a : (parent[a] = find(parent[a])));
	for (let e = 0; e < g.edgeCount; e++) parent[find(g.edgeFrom[e])] = find(g.edgeTo[e]);
	const out = new Map<number, Set<number>>();
	for (let e = 0; e < g.edgeCount; e++) {
		if (g.edgeRoad[e] < 0) continue;
		const c = find(g.edgeFrom[e]);
		if (!out.has(c)) out.set(c, new Set());
		out.get(c)!.add(g.edgeRoad[e]);
	}
	return [...out.values()].map((s) => [...s].sort((a, b) => a - b)).sort((a, b) => b.length - a.length);
}

describe('joining road fragments in memory', () => {
	const line = (id: number, xy: [number, number][]) => ({ id, coords: xy.map(([x, y]) => [lon(x), lat(y)] as const) });

	it('links an end to the nearest point of another piece within the distance, splitting its line', () => {
		// a T whose stem stops 5 m short of the bar's middle, and an end 8 m from the bar's end
		const roads = [
			line(1, [
				[0, 0],
				[200, 0]
			]),
			line(2, [
				[100, 5],
				[100, 200]
			]),
			line(3, [
				[208, 0],
				[400, 0]
			])
		];
		expect(pieces(buildGraph(roads))).toHaveLength(3);
		const g = buildGraph(roads, 15);
		expect(pieces(g)).toHaveLength(1);
		// ends by road id: the bar's end reaches the third piece's end first, then the stem the bar
		expect(g.links.map((l) => [l.fromRoad, l.toRoad, Math.round(l.metres * 100) / 100])).toEqual([
			[1, 3, 8],
			[2, 1, 5]
		]);
		// the bar is cut at x = 100: a walk from the stem's end to (0, 0) is 5 + 100 m, not 5 + 200
		const stemEnd = [...g.nodeX.keys()].find((n) => Math.abs(g.nodeX[n] - g.nodeX[0] - 100) < 0.01 && Math.abs(g.nodeY[n] - g.nodeY[0] - 5) < 0.01)!;
		const split = [...g.nodeX.keys()].find((n) => Math.abs(g.nodeX[n] - g.nodeX[0] - 100) < 0.01 && Math.abs(g.nodeY[n] - g.nodeY[0]) < 0.01)!;
		expect(split).toBeGreaterThanOrEqual(0);
		const edgesAt = (n: number) => [...g.adjEdge.slice(g.adjStart[n], g.adjStart[n + 1])];
		expect(
			edgesAt(split)
				.map((e) => Math.round(g.edgeLen[e] * 100) / 100)
				.sort((a, b) => a - b)
		).toEqual([5, 100, 100]);
		expect(edgesAt(stemEnd).some((e) => g.edgeRoad[e] === -1)).toBe(true);
		// 50 m apart: no link
		expect(
			buildGraph(
				[
					roads[0],
					line(4, [
						[250, 0],
						[400, 0]
					])
				],
				15
			).links
		).toEqual([]);
	});

	it('reads the distance from JICENG_ROAD_SNAP_M, with the rule as the default', () => {
		expect(roadSnapMetres(undefined)).toBe(ROAD_SNAP_M);
		expect(roadSnapMetres('40')).toBe(40);
		expect(roadSnapMetres('0')).toBe(0);
		expect(() => roadSnapMetres('-3')).toThrow(/JICENG_ROAD_SNAP_M/);
		expect(() => roadSnapMetres('far')).toThrow(/JICENG_ROAD_SNAP_M/);
	});
});

describe.each(backends)('road fragments on %s PostGIS', (backend) => {
	// the hand-built district plus R5, a piece east of R1's end (2000, 250) `gap` metres away, and
	// B13 beside it: joined, B13 walks to the district centre (beyond 15 minutes); not joined, it
	// reaches none and is a data gap
	for (const [gap, joined] of [
		[5, true],
		[50, false]
	] as const) {
		describe(`a piece ${gap} m from the network`, () => {
			let db: TestDb;
			beforeAll(async () => {
				db = await freshDb(backend);
				await insertFixture(db);
				await withScope(db, '*', async (trx) => {
					await sql`insert into road (class, name, geom) values ('local', '断路', ${`SRID=4326;LINESTRING(${pt(2000 + gap, 250)},${pt(2400, 250)})`}::geometry)`.execute(
						trx
					);
					await sql`insert into building (id, grid_code, kind, name, address, floors, height, units, geom) overriding system value
						values (13, ${G211}, 'residential', '楼13', '地址13', 3, 9, 1, ${`SRID=4326;MULTIPOLYGON(((${pt(2295, 265)},${pt(2305, 265)},${pt(2305, 275)},${pt(2295, 275)},${pt(2295, 265)})))`}::geometry)`.execute(
						trx
					);
					for (let k = 1; k <= 3; k++) {
						await sql`insert into household (id, building_id, unit, floor, room, residents) overriding system value values (${1300 + k}, 13, 1, 1, ${`1-${k}`}, 2)`.execute(
							trx
						);
					}
				});
				await new CoverageEngine(db).ensure();
			});
			afterAll(() => db?.drop());

			it(joined ? 'joins it: the building beyond the gap walks to a centre' : 'leaves it apart: the building is a data gap, not a long walk', async () => {
				const b13 = (await withScope(db, SYSTEM, (trx) => buildingCoverage(trx, 13, '')))!;
				const unreachable = (await withScope(db, SYSTEM, (trx) => gapList(trx, 'building_unreachable', ''))).map((r) => [r.object_id, r.households]);
				const links = await withScope(db, SYSTEM, (trx) => roadLinks(trx));
				const run = (await withScope(db, SYSTEM, (trx) => coverageRun(trx)))!;
				// B4 stands by R4, cut off 320 m from everything: unreachable either way (B10, the park
				// building further south, takes R5 as its nearest road, and shares its fate)
				expect(unreachable.filter(([id]) => id === '4')).toEqual([['4', 7]]);
				expect(unreachable.some(([id]) => id === '10')).toBe(!joined);
				expect(b13.circle).toBe(0);
				if (joined) {
					// C3 (1000, 230): 20 off R1, 1000 along it, the 5 m link, 295 along R5 (from 2005 to
					// 2300), 20 to the door
					expect(b13.levels.any.metres).toBeCloseTo(20 + 1000 + gap + (300 - gap) + 20, 0);
					expect(unreachable.map(([id]) => id)).not.toContain('13');
					// R1's end comes first (road 1): it is the end joined to R5
					expect(links.map((l) => [l.from_road, l.to_road, l.metres])).toEqual([[1, 5, gap]]);
					expect(run.counts.road_links).toBe(1);
				} else {
					expect(b13.levels.any.metres).toBeNull();
					expect(unreachable).toContainEqual(['13', 3]);
					expect(links).toEqual([]);
					expect(run.counts.road_links).toBe(0);
				}
				// the run's count and the gap list agree: B4 alone, or B4, B10 and B13
				expect(run.counts.unreachable_buildings).toBe(joined ? 1 : 3);
				expect(unreachable).toHaveLength(run.counts.unreachable_buildings);
			});
		});
	}

	describe('the demo district', () => {
		let db: TestDb;
		beforeAll(async () => {
			db = await freshDb(backend);
			await seedDemo(db, { scale: 'small', seed: 1 });
		});
		afterAll(() => db?.drop());

		it('has its roads in one network: at most one piece apart, every building reaches a centre', async () => {
			const net = await withScope(db, '*', (trx) => loadNetwork(trx));
			// no joining needed: the generator draws the roads connected
			const { rows } = await sql<{ id: number; coords: string }>`select id, ST_AsGeoJSON(geom, 8) as coords from road order by id`.execute(db.kysely);
			const raw = buildGraph(rows.map((r) => ({ id: Number(r.id), coords: (JSON.parse(r.coords) as { coordinates: [number, number][] }).coordinates })));
			const apart = pieces(raw).slice(1);
			expect(apart.flat().length, `road pieces apart from the network: ${JSON.stringify(apart)}`).toBeLessThanOrEqual(1);
			const result = computeService(net);
			const none = [...result.levels.any.dist].filter((d) => !Number.isFinite(d)).length;
			expect(none, 'buildings that reach no centre').toBe(0);
			expect(net.buildings.count).toBeGreaterThan(1000);
		});
	});
});
