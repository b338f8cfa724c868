// The walking network as a compact graph: every road vertex is a node, every pair of
// consecutive vertices an undirected edge (walking has no one-way streets), adjacency in CSR
// typed arrays, edge lengths in metres. Plus a uniform-grid index that snaps a point to its
// nearest edge (edge, offset along it, distance to the road).
//
// Junctions are shared vertices (the OpenStreetMap convention, and how the demo generator draws
// its lattice): two lines that cross without a shared vertex are a bridge or a tunnel, not a
// crossing, so they are not noded. Vertices are merged by their coordinates at 1e-7° (≈1 cm),
// the precision the generator writes.
//
// Fragments (issue 13): a road piece whose end lies within `snapM` metres of another piece it is
// not otherwise connected to — an OSM extract cut at a tile edge, a path digitised with a small
// gap — is joined to it by a straight walking link from that end to the nearest point of the other
// piece (its end or its line, the line split there). The links are edges like any other, with
// edgeRoad = -1, and listed in `links` so the map can flag them.
//
// Lengths: each segment is measured with the WGS84 lengths of a degree of latitude and longitude
// at the segment's own mid-latitude, which is within a few millimetres of the geodesic at these
// segment lengths. Snapping works in one local metric frame around the network's centre.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ROAD_SNAP_M } from '../../coverage-rules.ts';

/** Metres per degree of latitude and longitude on WGS84 at latitude `lat` (degrees). */
export function degreeLengths(lat: number): { my: number; mx: number } {
	const p = (lat * Math.PI) / 180;
	return {
		my: 111_132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p) - 0.0023 * Math.cos(6 * p),
		mx: 111_412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p) + 0.118 * Math.cos(5 * p)
	};
}

/** A local equirectangular frame: lon/lat ⇄ metres east/north of (lon0, lat0). */
export interface LocalFrame {
	lon0: number;
	lat0: number;
	mx: number;
	my: number;
}

export function localFrame(lon0: number, lat0: number): LocalFrame {
	return { lon0, lat0, ...degreeLengths(lat0) };
}
export const toX = (f: LocalFrame, lon: number) => (lon - f.lon0) * f.mx;
export const toY = (f: LocalFrame, lat: number) => (lat - f.lat0) * f.my;
export const toLon = (f: LocalFrame, x: number) => f.lon0 + x / f.mx;
export const toLat = (f: LocalFrame, y: number) => f.lat0 + y / f.my;

/** Metres between two lon/lat points, by the degree lengths at their mid-latitude. */
export function segmentMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
	const { mx, my } = degreeLengths((lat1 + lat2) / 2);
	return Math.hypot((lon2 - lon1) * mx, (lat2 - lat1) * my);
}

export interface RoadGraph {
	nodeCount: number;
	edgeCount: number;
	frame: LocalFrame;
	nodeLon: Float64Array;
	nodeLat: Float64Array;
	/** node position in the local frame, metres */
	nodeX: Float64Array;
	nodeY: Float64Array;
	edgeFrom: Int32Array;
	edgeTo: Int32Array;
	edgeLen: Float64Array;
	/** road.id the edge was cut from; -1 for a link joining two fragments */
	edgeRoad: Float64Array;
	/** the links made between fragments (see the top of this file) */
	links: RoadLink[];
	/** CSR: the half-edges of node n are adjStart[n] … adjStart[n+1]-1 */
	adjStart: Int32Array;
	adjNode: Int32Array;
	adjEdge: Int32Array;
}

/** A straight walking link joining a road piece's end to another piece within the snap distance. */
export interface RoadLink {
	/** the road whose end is joined */
	fromRoad: number;
	/** the road joined to */
	toRoad: number;
	/** metres of the link */
	metres: number;
	/** [lon, lat] of the end and of the point joined to */
	from: [number, number];
	to: [number, number];
}

export interface RoadLine {
	id: number;
	/** [lon, lat] vertices */
	coords: readonly (readonly [number, number])[];
}

/** The snap distance of road fragments, metres: JICENG_ROAD_SNAP_M, else ROAD_SNAP_M (coverage-rules.ts). */
export function roadSnapMetres(env: string | undefined = process.env.JICENG_ROAD_SNAP_M): number {
	if (env === undefined || env.trim() === '') return ROAD_SNAP_M;
	const m = Number(env);
	if (!Number.isFinite(m) || m < 0 || m > 500) throw new Error(`JICENG_ROAD_SNAP_M=${env}: a distance in metres from 0 to 500`);
	return m;
}

/**
 * Builds the graph from road lines (any order); vertices equal at 1e-7° become one node. With
 * `snapM` > 0, fragments within that many metres are joined (see the top of this file).
 */
export function buildGraph(roads: readonly RoadLine[], snapM = 0): RoadGraph {
	const g = assemble(roads, [], [], [], [], [], [], []);
	if (!(snapM > 0) || !g.edgeCount) return g;
	return joinFragments(roads, g, snapM);
}

/** the graph of the nodes and edges listed (links: already made), in CSR form */
function assemble(
	roads: readonly RoadLine[],
	lons: number[],
	lats: number[],
	from: number[],
	to: number[],
	len: number[],
	road: number[],
	links: RoadLink[]
): RoadGraph {
	const nodeOf = new Map<string, number>();
	const node = (lon: number, lat: number) => {
		const key = `${Math.round(lon * 1e7)},${Math.round(lat * 1e7)}`;
		let n = nodeOf.get(key);
		if (n === undefined) {
			n = lons.length;
			nodeOf.set(key, n);
			lons.push(lon);
			lats.push(lat);
		}
		return n;
	};
	for (const r of lons.length ? [] : roads) {
		let prev = -1;
		for (const [lon, lat] of r.coords) {
			const n = node(lon, lat);
			if (prev >= 0 && prev !== n) {
				from.push(prev);
				to.push(n);
				len.push(segmentMetres(lons[prev], lats[prev], lon, lat));
				road.push(r.id);
			}
			prev = n;
		}
	}
	const n = lons.length;
	const m = from.length;
	let lon0 = 0;
	let lat0 = 0;
	if (n) {
		let w = Infinity,
			e = -Infinity,
			s = Infinity,
			nn = -Infinity;
		for (let k = 0; k < n; k++) {
			w = Math.min(w, lons[k]);
			e = Math.max(e, lons[k]);
			s = Math.min(s, lats[k]);
			nn = Math.max(nn, lats[k]);
		}
		lon0 = (w + e) / 2;
		lat0 = (s + nn) / 2;
	}
	const frame = localFrame(lon0, lat0);
	const nodeX = new Float64Array(n);
	const nodeY = new Float64Array(n);
	for (let k = 0; k < n; k++) {
		nodeX[k] = toX(frame, lons[k]);
		nodeY[k] = toY(frame, lats[k]);
	}
	const adjStart = new Int32Array(n + 1);
	for (let e = 0; e < m; e++) {
		adjStart[from[e] + 1]++;
		adjStart[to[e] + 1]++;
	}
	for (let k = 0; k < n; k++) adjStart[k + 1] += adjStart[k];
	const fill = adjStart.slice(0, n);
	const adjNode = new Int32Array(2 * m);
	const adjEdge = new Int32Array(2 * m);
	for (let e = 0; e < m; e++) {
		let p = fill[from[e]]++;
		adjNode[p] = to[e];
		adjEdge[p] = e;
		p = fill[to[e]]++;
		adjNode[p] = from[e];
		adjEdge[p] = e;
	}
	return {
		nodeCount: n,
		edgeCount: m,
		frame,
		nodeLon: Float64Array.from(lons),
		nodeLat: Float64Array.from(lats),
		nodeX,
		nodeY,
		edgeFrom: Int32Array.from(from),
		edgeTo: Int32Array.from(to),
		edgeLen: Float64Array.from(len),
		edgeRoad: Float64Array.from(road),
		links,
		adjStart,
		adjNode,
		adjEdge
	};
}

/**
 * Links every dangling road end (a node of degree 1 that ends a piece) to the nearest point of
 * another piece within `snapM` metres that it is not yet connected to, ends in a fixed order (by
 * road id, first end then last) so the result never depends on anything but the roads. The edge
 * joined to is split at that point (unless it is within a centimetre of one of its nodes).
 */
function joinFragments(roads: readonly RoadLine[], g: RoadGraph, snapM: number): RoadGraph {
	const parent = Int32Array.from({ length: g.nodeCount }, (_, k) => k);
	const find = (a: number): number => {
		while (parent[a] !== a) a = parent[a] = parent[parent[a]];
		return a;
	};
	const union = (a: number, b: number) => {
		const ra = find(a),
			rb = find(b);
		if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
	};
	for (let e = 0; e < g.edgeCount; e++) union(g.edgeFrom[e], g.edgeTo[e]);
	const snapper = new Snapper(g);
	const nodeAt = new Map<string, number>();
	for (let k = 0; k < g.nodeCount; k++) nodeAt.set(`${Math.round(g.nodeLon[k] * 1e7)},${Math.round(g.nodeLat[k] * 1e7)}`, k);
	const degree = (n: number) => g.adjStart[n + 1] - g.adjStart[n];
	/** per edge: the split points made on it, metres from edgeFrom */
	const splits = new Map<number, { offset: number; node: number }[]>();
	const lons = Array.from(g.nodeLon);
	const lats = Array.from(g.nodeLat);
	const linkEnds: [number, number, number, number][] = []; // node, node joined to, from road, to road
	const links: RoadLink[] = [];
	for (const r of [...roads].sort((a, b) => a.id - b.id)) {
		if (r.coords.length < 2) continue;
		for (const [lon, lat] of [r.coords[0], r.coords[r.coords.length - 1]]) {
			const n = nodeAt.get(`${Math.round(lon * 1e7)},${Math.round(lat * 1e7)}`);
			if (n === undefined || degree(n) !== 1) continue;
			const s = snapper.nearestXY(g.nodeX[n], g.nodeY[n], snapM, (e) => find(g.edgeFrom[e]) !== find(n));
			if (!s) continue;
			const e = s.edge;
			let m: number;
			if (s.offset < 0.01) m = g.edgeFrom[e];
			else if (g.edgeLen[e] - s.offset < 0.01) m = g.edgeTo[e];
			else {
				const list = splits.get(e) ?? [];
				const same = list.find((p) => Math.abs(p.offset - s.offset) < 0.01);
				if (same) m = same.node;
				else {
					m = lons.length;
					const [plon, plat] = pointOnEdge(g, e, s.offset);
					lons.push(plon);
					lats.push(plat);
					list.push({ offset: s.offset, node: m });
					splits.set(e, list);
				}
			}
			union(n, g.edgeFrom[e]);
			linkEnds.push([n, m, r.id, g.edgeRoad[e]]);
			links.push({ fromRoad: r.id, toRoad: g.edgeRoad[e], metres: s.distance, from: [g.nodeLon[n], g.nodeLat[n]], to: [lons[m], lats[m]] });
		}
	}
	if (!links.length) return g;
	const from: number[] = [],
		to: number[] = [],
		len: number[] = [],
		road: number[] = [];
	const edge = (a: number, b: number, metres: number, id: number) => {
		if (a === b) return;
		from.push(a);
		to.push(b);
		len.push(metres);
		road.push(id);
	};
	for (let e = 0; e < g.edgeCount; e++) {
		const list = splits.get(e);
		if (!list) {
			edge(g.edgeFrom[e], g.edgeTo[e], g.edgeLen[e], g.edgeRoad[e]);
			continue;
		}
		list.sort((a, b) => a.offset - b.offset);
		let prev = g.edgeFrom[e],
			at = 0;
		for (const p of list) {
			edge(prev, p.node, p.offset - at, g.edgeRoad[e]);
			prev = p.node;
			at = p.offset;
		}
		edge(prev, g.edgeTo[e], g.edgeLen[e] - at, g.edgeRoad[e]);
	}
	for (const [a, b] of linkEnds) edge(a, b, segmentMetres(lons[a], lats[a], lons[b], lats[b]), -1);
	return assemble(roads, lons, lats, from, to, len, road, links);
}

/** Reads every road of the table as lon/lat vertex lists (no personal data: any transaction will do). */
export async function loadRoads(db: Kysely<Database>): Promise<RoadLine[]> {
	const { rows } = await sql<{ id: number; c: string }>`
		select id, ST_AsGeoJSON(geom, 8) as c from road order by id`.execute(db);
	return rows.map((r) => ({ id: Number(r.id), coords: (JSON.parse(r.c) as { coordinates: [number, number][] }).coordinates }));
}

/** The walking network of the road table, fragments within `snapM` metres joined. */
export async function loadGraph(db: Kysely<Database>, snapM = roadSnapMetres()): Promise<RoadGraph> {
	return buildGraph(await loadRoads(db), snapM);
}

export interface Snap {
	edge: number;
	/** metres from edgeFrom[edge] along the edge */
	offset: number;
	/** metres from the point to the road */
	distance: number;
}

/**
 * Nearest-edge lookups over a uniform grid of cells (`cell` metres) holding the edges whose
 * bounding box touches them; the search grows ring by ring until no closer edge can remain.
 *
 * The work is bounded by the grid, never by the point: a point outside the grid's box starts
 * from its projection P' onto the box, and ring r around P' lies at least
 * sqrt(|PP'|² + ((r-1)·cell)²) from P (the box is convex and P' is P's nearest point in it, so
 * for any Q in the box |PQ|² ≥ |PP'|² + |P'Q|²); cols + rows rings cover the whole grid from any
 * cell. Inside the box P' = P and this is the plain ring bound. The answer is the exact nearest
 * edge (ties: the lower edge index) wherever the point is.
 */
export class Snapper {
	readonly graph: RoadGraph;
	private readonly cell: number;
	private readonly x0: number;
	private readonly y0: number;
	private readonly cols: number;
	private readonly rows: number;
	private readonly start: Int32Array;
	private readonly items: Int32Array;
	private readonly stamp: Int32Array;
	private tick = 0;

	constructor(graph: RoadGraph, cell = 100) {
		this.graph = graph;
		this.cell = cell;
		const { nodeX, nodeY, edgeFrom, edgeTo, edgeCount } = graph;
		let x0 = Infinity,
			y0 = Infinity,
			x1 = -Infinity,
			y1 = -Infinity;
		for (let k = 0; k < graph.nodeCount; k++) {
			x0 = Math.min(x0, nodeX[k]);
			x1 = Math.max(x1, nodeX[k]);
			y0 = Math.min(y0, nodeY[k]);
			y1 = Math.max(y1, nodeY[k]);
		}
		if (!graph.nodeCount) x0 = y0 = x1 = y1 = 0;
		this.x0 = x0;
		this.y0 = y0;
		this.cols = Math.max(1, Math.floor((x1 - x0) / cell) + 1);
		this.rows = Math.max(1, Math.floor((y1 - y0) / cell) + 1);
		const counts = new Int32Array(this.cols * this.rows + 1);
		const each = (e: number, fn: (c: number) => void) => {
			const a = edgeFrom[e],
				b = edgeTo[e];
			const ci0 = this.ci(Math.min(nodeX[a], nodeX[b])),
				ci1 = this.ci(Math.max(nodeX[a], nodeX[b]));
			const cj0 = this.cj(Math.min(nodeY[a], nodeY[b])),
				cj1 = this.cj(Math.max(nodeY[a], nodeY[b]));
			for (let j = cj0; j <= cj1; j++) for (let i = ci0; i <= ci1; i++) fn(j * this.cols + i);
		};
		for (let e = 0; e < edgeCount; e++) each(e, (c) => counts[c + 1]++);
		for (let c = 0; c < this.cols * this.rows; c++) counts[c + 1] += counts[c];
		this.start = counts;
		this.items = new Int32Array(counts[this.cols * this.rows]);
		const fill = counts.slice(0, this.cols * this.rows);
		for (let e = 0; e < edgeCount; e++) each(e, (c) => (this.items[fill[c]++] = e));
		this.stamp = new Int32Array(edgeCount);
	}

	private ci(x: number) {
		return Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.x0) / this.cell)));
	}
	private cj(y: number) {
		return Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.y0) / this.cell)));
	}

	/**
	 * The nearest edge to a point in the local frame (of those `accept` accepts, when given); null
	 * on an empty network, for a point that is not a number, or when no edge lies within
	 * `maxDistance` metres.
	 */
	nearestXY(x: number, y: number, maxDistance = Infinity, accept?: (edge: number) => boolean): Snap | null {
		const g = this.graph;
		if (!g.edgeCount || !Number.isFinite(x) || !Number.isFinite(y)) return null;
		const tick = ++this.tick;
		// P' = the point clamped to the grid's box; the rings grow around its cell
		const px = Math.min(Math.max(x, this.x0), this.x0 + this.cols * this.cell);
		const py = Math.min(Math.max(y, this.y0), this.y0 + this.rows * this.cell);
		const out2 = (x - px) * (x - px) + (y - py) * (y - py);
		if (out2 > maxDistance * maxDistance) return null;
		const ci = this.ci(px);
		const cj = this.cj(py);
		let best = -1,
			bestD2 = Infinity,
			bestT = 0;
		const limit2 = maxDistance * maxDistance;
		const maxRing = this.cols + this.rows + 2;
		for (let r = 0; r <= maxRing; r++) {
			// every cell of ring r lies at least sqrt(|PP'|² + ((r-1)·cell)²) away from the point
			if (r > 1) {
				const ring = (r - 1) * this.cell;
				const lower2 = out2 + ring * ring;
				if (best >= 0 && (out2 === 0 ? ring > Math.sqrt(bestD2) : lower2 > bestD2)) break;
				if (lower2 > limit2) break;
			}
			// only the ring's cells inside the grid: a ring costs O(min(r, cols + rows)), never more
			const j0 = Math.max(0, cj - r),
				j1 = Math.min(this.rows - 1, cj + r);
			for (let j = j0; j <= j1; j++) {
				const edgeRow = j === cj - r || j === cj + r;
				const i0 = edgeRow ? Math.max(0, ci - r) : ci - r;
				const i1 = edgeRow ? Math.min(this.cols - 1, ci + r) : ci + r;
				const step = edgeRow ? 1 : Math.max(1, 2 * r);
				for (let i = i0; i <= i1; i += step) {
					if (i < 0 || i >= this.cols) continue;
					const c = j * this.cols + i;
					for (let p = this.start[c]; p < this.start[c + 1]; p++) {
						const e = this.items[p];
						if (this.stamp[e] === tick) continue;
						this.stamp[e] = tick;
						if (accept && !accept(e)) continue;
						const a = g.edgeFrom[e],
							b = g.edgeTo[e];
						const ax = g.nodeX[a],
							ay = g.nodeY[a];
						const dx = g.nodeX[b] - ax,
							dy = g.nodeY[b] - ay;
						const l2 = dx * dx + dy * dy;
						let t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
						t = t < 0 ? 0 : t > 1 ? 1 : t;
						const qx = ax + t * dx - x,
							qy = ay + t * dy - y;
						const d2 = qx * qx + qy * qy;
						// ties: the lower edge index, so the answer never depends on the scan order
						if (d2 < bestD2 || (d2 === bestD2 && e < best)) {
							bestD2 = d2;
							best = e;
							bestT = t;
						}
					}
				}
			}
		}
		if (best < 0 || bestD2 > limit2) return null;
		return { edge: best, offset: bestT * g.edgeLen[best], distance: Math.sqrt(bestD2) };
	}

	nearest(lon: number, lat: number, maxDistance = Infinity): Snap | null {
		const f = this.graph.frame;
		return this.nearestXY(toX(f, lon), toY(f, lat), maxDistance);
	}
}

/** The lon/lat of the point `offset` metres along edge `e` from its first node. */
export function pointOnEdge(g: RoadGraph, e: number, offset: number): [number, number] {
	const a = g.edgeFrom[e],
		b = g.edgeTo[e];
	const t = g.edgeLen[e] > 0 ? Math.min(1, Math.max(0, offset / g.edgeLen[e])) : 0;
	return [g.nodeLon[a] + t * (g.nodeLon[b] - g.nodeLon[a]), g.nodeLat[a] + t * (g.nodeLat[b] - g.nodeLat[a])];
}
