// Service coverage (服务覆盖) by walking distance along the roads: one multi-source search per
// centre level (district, street, community centres and convenience stations) plus one over all
// centres ("any"), then every building's nearest centre, distance and minutes, and its circle.
//
// A walk = centre door → nearest road point (straight) → along the network → the building's
// nearest road point → its door (straight). Buildings join the network at their centroid's
// nearest road point; a building whose part of the network reaches no centre has no distance.
//
// Circles: GB 50180-2018 sets the walking reach of the 5-, 10- and 15-minute living circles at
// about 300, 500 and 800–1000 m; the three distances are configurable, their number is not.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Snapper, loadGraph, type RoadGraph, toX, toY } from './graph.ts';
import { Dijkstra, distanceAt, sourcesByEdge, type Source } from './dijkstra.ts';
import { CIRCLE_MINUTES, LIVING_CIRCLE_METRES, WALKING_SPEED_M_PER_MIN } from '../../coverage-rules.ts';

export const CENTRE_LEVELS = ['district', 'street', 'community', 'station'] as const;
export type CentreLevel = (typeof CENTRE_LEVELS)[number];
export const SERVICE_LEVELS = ['any', ...CENTRE_LEVELS] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

export { CIRCLE_MINUTES };

export interface CoverageParams {
	/** walking speed, metres per minute (80 m/min ≈ 4.8 km/h) */
	walkingSpeed: number;
	/** walking distance of the 5-, 10- and 15-minute circles, metres, increasing */
	circles: readonly [number, number, number];
	/** half-width of the band drawn around the reached network for a reach area, metres */
	reachBuffer: number;
}

export const DEFAULT_PARAMS: CoverageParams = { walkingSpeed: WALKING_SPEED_M_PER_MIN, circles: LIVING_CIRCLE_METRES, reachBuffer: 30 };

export function checkParams(p: CoverageParams): CoverageParams {
	const [a, b, c] = p.circles;
	if (!(p.walkingSpeed > 0 && p.walkingSpeed < 1000)) throw new Error(`walking speed ${p.walkingSpeed} m/min is out of range`);
	if (!(a > 0 && a < b && b < c && c <= 10_000)) throw new Error(`circles ${p.circles.join('/')} m must increase, within 10 km`);
	if (!(p.reachBuffer > 0 && p.reachBuffer <= 200)) throw new Error(`reach buffer ${p.reachBuffer} m is out of range`);
	return p;
}

export interface BuildingSet {
	count: number;
	id: Float64Array;
	gridCode: string[];
	kind: string[];
	households: Int32Array;
	lon: Float64Array;
	lat: Float64Array;
	/** the building's road point and its straight walk to it */
	edge: Int32Array;
	offset: Float64Array;
	access: Float64Array;
}

export interface CentreSet {
	count: number;
	id: Float64Array;
	level: CentreLevel[];
	areaCode: string[];
	lon: Float64Array;
	lat: Float64Array;
	edge: Int32Array;
	offset: Float64Array;
	access: Float64Array;
}

/** The network, the buildings and the centres of one data version, held in memory. */
export interface Network {
	dataVersion: number;
	graph: RoadGraph;
	snapper: Snapper;
	buildings: BuildingSet;
	centres: CentreSet;
	/** CSR: the buildings whose road point lies on edge e are edgeBuildings[edgeStart[e] … edgeStart[e+1]-1] */
	edgeStart: Int32Array;
	edgeBuildings: Int32Array;
}

/** Runs one piece of work in a transaction with scope '*' (see loadNetwork). */
export type LoadStep = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * Loads the network. Given a transaction, everything is read in it: it must have scope '*'
 * (households are personal data under row-level security; the computation counts them all) and
 * should be REPEATABLE READ, so the data version read matches every row. Given a step runner
 * instead (the embedded database, where one long transaction would hold every other query), the
 * roads, the buildings `chunk` at a time and the centres are each read in a short transaction of
 * their own; the data version is then read first, so every row is at least that recent.
 */
export async function loadNetwork(db: Kysely<Database> | LoadStep, chunk = Infinity): Promise<Network> {
	const step: LoadStep = typeof db === 'function' ? db : (fn) => fn(db);
	const version = await step((trx) => sql<{ v: number }>`select version as v from data_version where id = 1`.execute(trx));
	const graph = await step((trx) => loadGraph(trx));
	const snapper = new Snapper(graph);
	type BuildingRow = { id: number; grid_code: string; kind: string; x: number; y: number; households: number };
	const rows: BuildingRow[] = [];
	if (!Number.isFinite(chunk)) {
		const b = await step((trx) =>
			sql<BuildingRow>`
			select b.id, b.grid_code, b.kind, ST_X(c) as x, ST_Y(c) as y, coalesce(h.n, 0)::int4 as households
			from building b
			cross join lateral (select ST_Centroid(b.geom) as c) cc
			left join (select building_id, count(*)::int4 as n from household group by building_id) h on h.building_id = b.id
			order by b.id`.execute(trx)
		);
		for (const r of b.rows) rows.push(r);
	} else {
		// by id ranges: each piece counts its own buildings' households (household_building_idx)
		for (let after = -1; ;) {
			const b = await step((trx) =>
				sql<BuildingRow>`
				with piece as (select id, grid_code, kind, geom from building where id > ${after} order by id limit ${chunk})
				select b.id, b.grid_code, b.kind, ST_X(c) as x, ST_Y(c) as y, coalesce(h.n, 0)::int4 as households
				from piece b
				cross join lateral (select ST_Centroid(b.geom) as c) cc
				left join (select building_id, count(*)::int4 as n from household
				           where building_id between (select min(id) from piece) and (select max(id) from piece) group by building_id) h
				  on h.building_id = b.id
				order by b.id`.execute(trx)
			);
			for (const r of b.rows) rows.push(r);
			if (b.rows.length < chunk) break;
			after = Number(b.rows[b.rows.length - 1].id);
		}
	}
	const c = await step((trx) =>
		sql<{ id: number; level: CentreLevel; area_code: string; x: number; y: number }>`
		select id, level, area_code, ST_X(geom) as x, ST_Y(geom) as y from service_centre order by id`.execute(trx)
	);
	const buildings = emptyBuildings(rows.length);
	rows.forEach((r, i) => {
		buildings.id[i] = Number(r.id);
		buildings.gridCode[i] = r.grid_code;
		buildings.kind[i] = r.kind;
		buildings.households[i] = r.households;
		buildings.lon[i] = r.x;
		buildings.lat[i] = r.y;
	});
	snapAll(snapper, buildings);
	const centres: CentreSet = {
		count: c.rows.length,
		id: Float64Array.from(c.rows, (r) => Number(r.id)),
		level: c.rows.map((r) => r.level),
		areaCode: c.rows.map((r) => r.area_code),
		lon: Float64Array.from(c.rows, (r) => r.x),
		lat: Float64Array.from(c.rows, (r) => r.y),
		edge: new Int32Array(c.rows.length),
		offset: new Float64Array(c.rows.length),
		access: new Float64Array(c.rows.length)
	};
	snapAll(snapper, centres);
	const { edgeStart, edgeBuildings } = indexByEdge(graph.edgeCount, buildings);
	return { dataVersion: Number(version.rows[0].v), graph, snapper, buildings, centres, edgeStart, edgeBuildings };
}

function emptyBuildings(n: number): BuildingSet {
	return {
		count: n,
		id: new Float64Array(n),
		gridCode: new Array(n),
		kind: new Array(n),
		households: new Int32Array(n),
		lon: new Float64Array(n),
		lat: new Float64Array(n),
		edge: new Int32Array(n).fill(-1),
		offset: new Float64Array(n),
		access: new Float64Array(n)
	};
}

function snapAll(snapper: Snapper, set: { count: number; lon: Float64Array; lat: Float64Array; edge: Int32Array; offset: Float64Array; access: Float64Array }) {
	const f = snapper.graph.frame;
	for (let i = 0; i < set.count; i++) {
		const s = snapper.nearestXY(toX(f, set.lon[i]), toY(f, set.lat[i]));
		set.edge[i] = s ? s.edge : -1;
		set.offset[i] = s ? s.offset : 0;
		set.access[i] = s ? s.distance : Infinity;
	}
}

function indexByEdge(edgeCount: number, b: BuildingSet) {
	const edgeStart = new Int32Array(edgeCount + 1);
	for (let i = 0; i < b.count; i++) if (b.edge[i] >= 0) edgeStart[b.edge[i] + 1]++;
	for (let e = 0; e < edgeCount; e++) edgeStart[e + 1] += edgeStart[e];
	const fill = edgeStart.slice(0, edgeCount);
	const edgeBuildings = new Int32Array(edgeStart[edgeCount]);
	for (let i = 0; i < b.count; i++) if (b.edge[i] >= 0) edgeBuildings[fill[b.edge[i]]++] = i;
	return { edgeStart, edgeBuildings };
}

/** The sources of the centres of one level ('any': all of them); `index` maps back to centres. */
export function centreSources(net: Network, level: ServiceLevel): { sources: Source[]; index: number[] } {
	const sources: Source[] = [];
	const index: number[] = [];
	const c = net.centres;
	for (let i = 0; i < c.count; i++) {
		if (c.edge[i] < 0 || (level !== 'any' && c.level[i] !== level)) continue;
		sources.push({ edge: c.edge[i], offset: c.offset[i], cost: c.access[i] });
		index.push(i);
	}
	return { sources, index };
}

export interface LevelResult {
	/** per building: walking metres to the nearest centre of the level (Infinity: none reachable) */
	dist: Float64Array;
	/** per building: index into net.centres of that centre, -1 when none */
	centre: Int32Array;
}

export interface ServiceResult {
	levels: Record<ServiceLevel, LevelResult>;
	/** per building: 1, 2, 3 for the smallest circle of `circles` its nearest centre (any level) lies in, 0 outside all */
	circle: Uint8Array;
	params: CoverageParams;
}

/** Walking distance of every building to the nearest of the given sources. */
export function buildingDistances(net: Network, search: Dijkstra, sources: readonly Source[], index: readonly number[], bound = Infinity): LevelResult {
	const r = search.run(sources, bound);
	const onEdge = sourcesByEdge(sources);
	const b = net.buildings;
	const dist = new Float64Array(b.count).fill(Infinity);
	const centre = new Int32Array(b.count).fill(-1);
	for (let i = 0; i < b.count; i++) {
		if (b.edge[i] < 0) continue;
		const { d, source } = distanceAt(net.graph, r, sources, onEdge, { edge: b.edge[i], offset: b.offset[i] });
		const total = d + b.access[i];
		if (source >= 0 && total <= bound) {
			dist[i] = total;
			centre[i] = index[source];
		}
	}
	return { dist, centre };
}

export function circleOf(d: number, circles: readonly number[]): number {
	for (let k = 0; k < circles.length; k++) if (d <= circles[k]) return k + 1;
	return 0;
}

/** The full recompute of service coverage, in memory. */
export function computeService(net: Network, params: CoverageParams = DEFAULT_PARAMS): ServiceResult {
	checkParams(params);
	const search = new Dijkstra(net.graph);
	const levels = {} as Record<ServiceLevel, LevelResult>;
	for (const level of SERVICE_LEVELS) {
		const { sources, index } = centreSources(net, level);
		levels[level] = buildingDistances(net, search, sources, index);
	}
	const circle = new Uint8Array(net.buildings.count);
	const any = levels.any.dist;
	for (let i = 0; i < circle.length; i++) circle[i] = circleOf(any[i], params.circles);
	return { levels, circle, params };
}

export const minutes = (metres: number, params: CoverageParams) => metres / params.walkingSpeed;

/** Households within each circle per area code (grid, community, street, district), from a result. */
export function householdsByArea(net: Network, circle: Uint8Array): Map<string, { households: number; within: [number, number, number] }> {
	const out = new Map<string, { households: number; within: [number, number, number] }>();
	const b = net.buildings;
	for (let i = 0; i < b.count; i++) {
		const code = b.gridCode[i];
		for (const len of [6, 9, 12, 15]) {
			const key = code.slice(0, len);
			let e = out.get(key);
			if (!e) out.set(key, (e = { households: 0, within: [0, 0, 0] }));
			e.households += b.households[i];
			const c = circle[i];
			for (let k = 0; k < 3; k++) if (c > 0 && c <= k + 1) e.within[k] += b.households[i];
		}
	}
	return out;
}

/**
 * Visits every building within `bound` metres of the sources (walk to its door included), by a
 * bounded search: only the buildings on the edges the search reached (and on the sources' own
 * edges) are looked at. `fn(i, metres, source)` — i indexes net.buildings.
 */
export function forBuildingsWithin(
	net: Network,
	search: Dijkstra,
	sources: readonly Source[],
	bound: number,
	fn: (i: number, metres: number, source: number) => void
): void {
	const g = net.graph;
	const r = search.run(sources, bound);
	const onEdge = sourcesByEdge(sources);
	const seen = new Set<number>();
	const visitEdge = (e: number) => {
		if (seen.has(e)) return;
		seen.add(e);
		for (let p = net.edgeStart[e]; p < net.edgeStart[e + 1]; p++) {
			const i = net.edgeBuildings[p];
			const { d, source } = distanceAt(g, r, sources, onEdge, { edge: e, offset: net.buildings.offset[i] });
			const total = d + net.buildings.access[i];
			if (source >= 0 && total <= bound) fn(i, total, source);
		}
	};
	for (let k = 0; k < r.reached.length; k++) {
		const u = r.reached[k];
		for (let p = g.adjStart[u]; p < g.adjStart[u + 1]; p++) visitEdge(g.adjEdge[p]);
	}
	for (const s of sources) visitEdge(s.edge);
}
