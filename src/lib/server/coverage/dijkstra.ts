// Multi-source Dijkstra over the CSR road graph: sources sit on edges at an offset, with a
// starting cost (the walk from the centre's door to the road), and every node learns its
// distance to the nearest source and which source that is. An optional bound stops the search
// at that distance (what-if stations and site suggestion only care about the largest circle).
//
// A binary min-heap of (distance, node) with lazy deletion: a node may sit in the heap more than
// once, stale entries are skipped when popped. Buffers are reused between searches and reset
// through the list of touched nodes, so a small bounded search costs what it explores, not the
// size of the network.
import type { RoadGraph } from './graph.ts';

export interface EdgePoint {
	edge: number;
	/** metres from edgeFrom[edge] */
	offset: number;
}

export interface Source extends EdgePoint {
	/** cost already spent reaching the edge (e.g. the walk from the door to the road) */
	cost: number;
}

class MinHeap {
	keys = new Float64Array(1024);
	vals = new Int32Array(1024);
	size = 0;
	push(k: number, v: number) {
		if (this.size === this.keys.length) {
			const keys = new Float64Array(this.size * 2);
			keys.set(this.keys);
			this.keys = keys;
			const vals = new Int32Array(this.size * 2);
			vals.set(this.vals);
			this.vals = vals;
		}
		let i = this.size++;
		const keys = this.keys,
			vals = this.vals;
		while (i > 0) {
			const p = (i - 1) >> 1;
			if (keys[p] <= k) break;
			keys[i] = keys[p];
			vals[i] = vals[p];
			i = p;
		}
		keys[i] = k;
		vals[i] = v;
	}
	/** removes the top; read topKey/topVal first */
	pop() {
		const keys = this.keys,
			vals = this.vals;
		const n = --this.size;
		if (n === 0) return;
		const k = keys[n],
			v = vals[n];
		let i = 0;
		for (;;) {
			let c = 2 * i + 1;
			if (c >= n) break;
			if (c + 1 < n && keys[c + 1] < keys[c]) c++;
			if (keys[c] >= k) break;
			keys[i] = keys[c];
			vals[i] = vals[c];
			i = c;
		}
		keys[i] = k;
		vals[i] = v;
	}
}

export interface SearchResult {
	/** distance of each node to its nearest source; Infinity when unreached (or beyond the bound) */
	dist: Float64Array;
	/** index into the sources array of each node's nearest source; -1 when unreached */
	from: Int32Array;
	/** the nodes this search reached, in settling order */
	reached: Int32Array;
}

/** A reusable search over one graph. The arrays of a result are overwritten by the next run. */
export class Dijkstra {
	readonly graph: RoadGraph;
	private readonly dist: Float64Array;
	private readonly from: Int32Array;
	private readonly settled: Uint8Array;
	private touched: Int32Array;
	private nTouched = 0;
	private readonly heap = new MinHeap();

	constructor(graph: RoadGraph) {
		this.graph = graph;
		this.dist = new Float64Array(graph.nodeCount).fill(Infinity);
		this.from = new Int32Array(graph.nodeCount).fill(-1);
		this.settled = new Uint8Array(graph.nodeCount);
		this.touched = new Int32Array(Math.max(16, Math.min(graph.nodeCount, 4096)));
	}

	private touch(n: number) {
		if (this.nTouched === this.touched.length) {
			const t = new Int32Array(this.touched.length * 2);
			t.set(this.touched);
			this.touched = t;
		}
		this.touched[this.nTouched++] = n;
	}

	private relax(n: number, d: number, s: number, bound: number) {
		if (d > bound) return;
		if (this.dist[n] === Infinity) this.touch(n);
		if (d < this.dist[n]) {
			this.dist[n] = d;
			this.from[n] = s;
			this.heap.push(d, n);
		}
	}

	run(sources: readonly Source[], bound = Infinity): SearchResult {
		const g = this.graph;
		for (let k = 0; k < this.nTouched; k++) {
			const n = this.touched[k];
			this.dist[n] = Infinity;
			this.from[n] = -1;
			this.settled[n] = 0;
		}
		this.nTouched = 0;
		this.heap.size = 0;
		sources.forEach((s, i) => {
			this.relax(g.edgeFrom[s.edge], s.cost + s.offset, i, bound);
			this.relax(g.edgeTo[s.edge], s.cost + (g.edgeLen[s.edge] - s.offset), i, bound);
		});
		const order: number[] = [];
		const { adjStart, adjNode, adjEdge, edgeLen } = g;
		const heap = this.heap;
		while (heap.size) {
			const d = heap.keys[0];
			const u = heap.vals[0];
			heap.pop();
			if (this.settled[u] || d > this.dist[u]) continue;
			this.settled[u] = 1;
			order.push(u);
			const s = this.from[u];
			for (let p = adjStart[u]; p < adjStart[u + 1]; p++) {
				const v = adjNode[p];
				if (this.settled[v]) continue;
				this.relax(v, d + edgeLen[adjEdge[p]], s, bound);
			}
		}
		return { dist: this.dist, from: this.from, reached: Int32Array.from(order) };
	}
}

/** One search, with arrays of its own (a full recompute). */
export function multiSourceDijkstra(graph: RoadGraph, sources: readonly Source[], bound = Infinity): SearchResult {
	const r = new Dijkstra(graph).run(sources, bound);
	return r;
}

/** Sources grouped by the edge they sit on, for the "source and target on the same edge" case. */
export function sourcesByEdge(sources: readonly Source[]): Map<number, number[]> {
	const m = new Map<number, number[]>();
	sources.forEach((s, i) => {
		const l = m.get(s.edge);
		if (l) l.push(i);
		else m.set(s.edge, [i]);
	});
	return m;
}

/**
 * Network distance from the nearest source to a point on an edge (without the point's own walk to
 * the road): through either end of its edge, or straight along the edge from a source on the same
 * edge. Returns the source index too (-1 and Infinity when unreachable).
 */
export function distanceAt(
	graph: RoadGraph,
	result: Pick<SearchResult, 'dist' | 'from'>,
	sources: readonly Source[],
	onEdge: Map<number, number[]>,
	at: EdgePoint
): { d: number; source: number } {
	const e = at.edge;
	const a = graph.edgeFrom[e],
		b = graph.edgeTo[e];
	let d = result.dist[a] + at.offset;
	let source = result.from[a];
	const viaB = result.dist[b] + (graph.edgeLen[e] - at.offset);
	if (viaB < d) {
		d = viaB;
		source = result.from[b];
	}
	const same = onEdge.get(e);
	if (same) {
		for (const i of same) {
			const direct = sources[i].cost + Math.abs(sources[i].offset - at.offset);
			if (direct < d || (direct === d && i < source)) {
				d = direct;
				source = i;
			}
		}
	}
	return d === Infinity ? { d, source: -1 } : { d, source };
}
