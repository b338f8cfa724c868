// The road graph and the multi-source search on hand-built networks with known distances.
import { describe, expect, it } from 'vitest';
import { buildGraph, degreeLengths, Snapper, type RoadLine } from '../../src/lib/server/coverage/graph.ts';
import { Dijkstra, distanceAt, multiSourceDijkstra, sourcesByEdge, type Source } from '../../src/lib/server/coverage/dijkstra.ts';

const O: [number, number] = [116.4, 39.9];
const { mx, my } = degreeLengths(O[1]);
const ll = (x: number, y: number) => [O[0] + x / mx, O[1] + y / my] as const;
const road = (id: number, xy: [number, number][]): RoadLine => ({ id, coords: xy.map(([x, y]) => ll(x, y)) });
const nodeAt = (g: ReturnType<typeof buildGraph>, x: number, y: number) => {
	const [lon, lat] = ll(x, y);
	for (let n = 0; n < g.nodeCount; n++) if (Math.abs(g.nodeLon[n] - lon) < 1e-9 && Math.abs(g.nodeLat[n] - lat) < 1e-9) return n;
	throw new Error(`no node at ${x},${y}`);
};
/** a source sitting on node n */
const atNode = (g: ReturnType<typeof buildGraph>, n: number, cost = 0): Source => {
	const e = g.adjEdge[g.adjStart[n]];
	return { edge: e, offset: g.edgeFrom[e] === n ? 0 : g.edgeLen[e], cost };
};

describe('road graph', () => {
	it('nodes lines at shared vertices, measures edges in metres, and does not node a crossing without a shared vertex', () => {
		const g = buildGraph([
			road(1, [
				[0, 0],
				[100, 0],
				[200, 0]
			]),
			road(2, [
				[100, -100],
				[100, 0],
				[100, 100]
			]), // crosses road 1 at its shared vertex
			road(3, [
				[150, -50],
				[150, 50]
			]) // a bridge over road 1: no shared vertex
		]);
		expect(g.nodeCount).toBe(3 + 2 + 2);
		expect(g.edgeCount).toBe(2 + 2 + 1);
		for (let e = 0; e < 4; e++) expect(g.edgeLen[e]).toBeCloseTo(100, 2);
		const centre = nodeAt(g, 100, 0);
		expect(g.adjStart[centre + 1] - g.adjStart[centre]).toBe(4);
		const r = multiSourceDijkstra(g, [atNode(g, nodeAt(g, 0, 0))]);
		expect(r.dist[nodeAt(g, 100, 100)]).toBeCloseTo(200, 2);
		expect(r.dist[nodeAt(g, 150, 50)]).toBe(Infinity);
	});

	it('snaps a point to its nearest edge, at the right offset — a dead end snaps to its end', () => {
		const g = buildGraph([
			road(1, [
				[0, 0],
				[300, 0]
			]),
			road(2, [
				[300, 0],
				[300, 200]
			])
		]);
		const s = new Snapper(g, 50);
		const [lon, lat] = ll(120, 35);
		const a = s.nearest(lon, lat)!;
		expect(g.edgeRoad[a.edge]).toBe(1);
		expect(a.offset).toBeCloseTo(g.edgeFrom[a.edge] === nodeAt(g, 0, 0) ? 120 : 180, 2);
		expect(a.distance).toBeCloseTo(35, 2);
		// beyond the dead end at (300, 200): the end itself, 50 m away, found from far outside the grid
		const [lon2, lat2] = ll(300, 250);
		const b = s.nearest(lon2, lat2)!;
		expect(g.edgeRoad[b.edge]).toBe(2);
		expect(b.distance).toBeCloseTo(50, 2);
		const [lon3, lat3] = ll(5000, -3000);
		expect(s.nearest(lon3, lat3)!.distance).toBeCloseTo(Math.hypot(4700, 3000), 0);
	});
});

describe('multi-source Dijkstra', () => {
	// a loop (0,0)-(100,0)-(100,100)-(0,100)-(0,0), a tail to (300,0) with a dead end, an island
	const g = buildGraph([
		road(1, [
			[0, 0],
			[100, 0],
			[100, 100],
			[0, 100],
			[0, 0]
		]),
		road(2, [
			[100, 0],
			[200, 0],
			[300, 0]
		]),
		road(3, [
			[1000, 1000],
			[1100, 1000]
		])
	]);
	const n = (x: number, y: number) => nodeAt(g, x, y);

	it('goes round a loop both ways, down a dead end, and never reaches an island', () => {
		const r = multiSourceDijkstra(g, [atNode(g, n(0, 0))]);
		expect(r.dist[n(100, 0)]).toBeCloseTo(100, 2);
		expect(r.dist[n(0, 100)]).toBeCloseTo(100, 2);
		expect(r.dist[n(100, 100)]).toBeCloseTo(200, 2);
		expect(r.dist[n(300, 0)]).toBeCloseTo(300, 2);
		expect(r.dist[n(1000, 1000)]).toBe(Infinity);
		expect(r.from[n(1000, 1000)]).toBe(-1);
	});

	it('tells each node its nearest source, with starting costs', () => {
		const sources = [atNode(g, n(0, 100), 0), atNode(g, n(300, 0), 150)];
		const r = multiSourceDijkstra(g, sources);
		expect(r.from[n(100, 100)]).toBe(0);
		expect(r.dist[n(100, 100)]).toBeCloseTo(100, 2);
		expect(r.from[n(200, 0)]).toBe(1); // 150 + 100 = 250 against 100 + 100 + 100 = 300
		expect(r.dist[n(200, 0)]).toBeCloseTo(250, 2);
		expect(r.from[n(100, 0)]).toBe(0); // 200 against 150 + 200 = 350
	});

	it('handles a source and a target on the same edge, from sources mid-edge', () => {
		const e = g.adjEdge[g.adjStart[n(200, 0)]]; // an edge at (200,0)
		const aIsStart = g.edgeFrom[e] === n(200, 0);
		const src: Source = { edge: e, offset: 30, cost: 5 };
		const r = multiSourceDijkstra(g, [src]);
		const d = distanceAt(g, r, [src], sourcesByEdge([src]), { edge: e, offset: 80 });
		expect(d.d).toBeCloseTo(55, 6);
		expect(d.source).toBe(0);
		// the ends of the edge: 35 and (100 − 30) + 5
		const start = aIsStart ? n(200, 0) : g.edgeFrom[e];
		expect(r.dist[start]).toBeCloseTo(35, 2);
	});

	it('stops at the bound, and a reused search forgets the previous one', () => {
		const s = new Dijkstra(g);
		const r = s.run([atNode(g, n(0, 0))], 150);
		expect(r.dist[n(100, 0)]).toBeCloseTo(100, 2);
		expect(r.dist[n(200, 0)]).toBe(Infinity);
		expect(r.dist[n(100, 100)]).toBe(Infinity);
		const again = s.run([atNode(g, n(300, 0))], 120);
		expect(again.dist[n(0, 0)]).toBe(Infinity);
		expect(again.dist[n(200, 0)]).toBeCloseTo(100, 2);
		expect([...again.reached].sort()).toEqual([n(300, 0), n(200, 0)].sort());
	});

	it('agrees with Bellman-Ford on random networks', () => {
		let seed = 7;
		const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		for (let round = 0; round < 20; round++) {
			const roads: RoadLine[] = [];
			for (let k = 0; k < 40; k++) {
				const a: [number, number] = [Math.floor(rnd() * 8) * 100, Math.floor(rnd() * 8) * 100];
				const b: [number, number] = [Math.floor(rnd() * 8) * 100, Math.floor(rnd() * 8) * 100];
				if (a[0] !== b[0] || a[1] !== b[1]) roads.push(road(k, [a, b]));
			}
			const gr = buildGraph(roads);
			const sources = [0, 1, 2].map(() => ({ edge: Math.floor(rnd() * gr.edgeCount), offset: 0, cost: rnd() * 50 }));
			for (const s of sources) s.offset = rnd() * gr.edgeLen[s.edge];
			const r = multiSourceDijkstra(gr, sources);
			const bf = new Float64Array(gr.nodeCount).fill(Infinity);
			for (const s of sources) {
				bf[gr.edgeFrom[s.edge]] = Math.min(bf[gr.edgeFrom[s.edge]], s.cost + s.offset);
				bf[gr.edgeTo[s.edge]] = Math.min(bf[gr.edgeTo[s.edge]], s.cost + gr.edgeLen[s.edge] - s.offset);
			}
			for (let it = 0; it < gr.nodeCount; it++) {
				for (let e = 0; e < gr.edgeCount; e++) {
					const a = gr.edgeFrom[e],
						b = gr.edgeTo[e],
						L = gr.edgeLen[e];
					bf[a] = Math.min(bf[a], bf[b] + L);
					bf[b] = Math.min(bf[b], bf[a] + L);
				}
			}
			for (let v = 0; v < gr.nodeCount; v++) {
				if (bf[v] === Infinity) expect(r.dist[v]).toBe(Infinity);
				else expect(r.dist[v]).toBeCloseTo(bf[v], 6);
			}
		}
	});
});
