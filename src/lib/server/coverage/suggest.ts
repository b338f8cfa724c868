// "Suggest k sites" (选址建议): maximal coverage — choose k sites for new stations so that the
// most households not yet within a circle fall within it — by greedy selection with lazy
// evaluation (CELF: Leskovec et al. 2007), then a search from greedy's set (suggest-search.ts).
// Coverage is submodular, so a candidate's gain can only shrink as sites are chosen: keep the
// gains in a max-heap, re-evaluate only the top, and take it when its fresh gain still tops the
// heap. Greedy is within 1 − 1/e of the optimum in theory and mostly within a few per cent in
// practice, but not always (0.92 on one bench community); what the planner gets is greedy
// improved by q-swaps and branch and bound, which reaches the optimum on every community of the
// bench (bench/coverage.ts). `exactMaxCoverage` solves the same instance as an integer programme
// with HiGHS (WASM, npm `highs`; benchmarks and tests only) to measure it.
//
// Candidates: road nodes and `public` buildings inside the planner's area; demand: the area's
// buildings with households beyond the chosen circle today. Pinned sites are taken first (their
// coverage counts, their gains are reported); excluded sites are never chosen.
//
// Every loop here is bounded by the instance (candidates × demand, k ≤ 50, pinned and excluded
// lists capped by the route) and written as steps that yield now and then, so that the route runs
// them under a time budget (budget.ts) while other requests are served; the plain functions run
// the same steps to the end.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { forBuildingsWithin } from './service.ts';
import { siteSource } from './whatif.ts';
import { drive, runSteps, type Budget, type Steps } from './budget.ts';
import type { Source } from './dijkstra.ts';
import type { CoverageModel } from './engine.ts';
import { improveSteps, reduceSteps } from './suggest-search.ts';
import type { Suggestion } from '../../api/coverage.ts';

export type { Suggestion };

export interface Candidate {
	/** stable across data versions: `node:<lon>,<lat>`, `building:<id>` or `point:<lon>,<lat>` */
	key: string;
	kind: 'node' | 'building' | 'point';
	lon: number;
	lat: number;
	source: Source;
	label?: string;
}

/** Candidate → demand items it covers (CSR), and the weight of each demand item. */
export interface CoverInstance {
	weights: Float64Array;
	start: Int32Array;
	items: Int32Array;
}

export interface Pick {
	candidate: number;
	gain: number;
	pinned: boolean;
}

class MaxHeap {
	private k: number[] = [];
	private v: number[] = [];
	get size() {
		return this.k.length;
	}
	push(key: number, val: number) {
		const k = this.k,
			v = this.v;
		let i = k.length;
		k.push(key);
		v.push(val);
		while (i > 0) {
			const p = (i - 1) >> 1;
			// ties: the lower candidate index first, so results do not depend on heap order
			if (k[p] > key || (k[p] === key && v[p] < val)) break;
			k[i] = k[p];
			v[i] = v[p];
			i = p;
		}
		k[i] = key;
		v[i] = val;
	}
	top(): [number, number] {
		return [this.k[0], this.v[0]];
	}
	pop() {
		const k = this.k,
			v = this.v;
		const lk = k.pop()!,
			lv = v.pop()!;
		const n = k.length;
		if (!n) return;
		let i = 0;
		for (;;) {
			let c = 2 * i + 1;
			if (c >= n) break;
			if (c + 1 < n && (k[c + 1] > k[c] || (k[c + 1] === k[c] && v[c + 1] < v[c]))) c++;
			if (k[c] < lk || (k[c] === lk && v[c] > lv)) break;
			k[i] = k[c];
			v[i] = v[c];
			i = c;
		}
		k[i] = lk;
		v[i] = lv;
	}
}

function gainOf(inst: CoverInstance, covered: Uint8Array, c: number): number {
	let g = 0;
	for (let p = inst.start[c]; p < inst.start[c + 1]; p++) if (!covered[inst.items[p]]) g += inst.weights[inst.items[p]];
	return g;
}

function take(inst: CoverInstance, covered: Uint8Array, c: number) {
	for (let p = inst.start[c]; p < inst.start[c + 1]; p++) covered[inst.items[p]] = 1;
}

type GreedyOptions = { pinned?: readonly number[]; excluded?: ReadonlySet<number> };
type GreedyResult = { picks: Pick[]; value: number; evaluations: number };

/** Greedy maximal coverage with lazy evaluation: the pinned candidates, then up to k more. */
export function greedyCelf(inst: CoverInstance, k: number, opts: GreedyOptions = {}): GreedyResult {
	return runSteps(greedyCelfSteps(inst, k, opts));
}

/** greedyCelf as steps (it yields every few hundred gain evaluations). */
export function* greedyCelfSteps(inst: CoverInstance, k: number, opts: GreedyOptions = {}): Steps<GreedyResult> {
	const n = inst.start.length - 1;
	const covered = new Uint8Array(inst.weights.length);
	const picks: Pick[] = [];
	const chosen = new Set<number>();
	let value = 0;
	for (const c of opts.pinned ?? []) {
		if (chosen.has(c)) continue;
		const gain = gainOf(inst, covered, c);
		take(inst, covered, c);
		chosen.add(c);
		value += gain;
		picks.push({ candidate: c, gain, pinned: true });
	}
	const heap = new MaxHeap();
	const fresh = new Int32Array(n).fill(-1); // the round a candidate's heap key was computed in
	let evaluations = 0;
	for (let c = 0; c < n; c++) {
		if ((c & 255) === 255) yield;
		if (chosen.has(c) || opts.excluded?.has(c)) continue;
		const g = gainOf(inst, covered, c);
		evaluations++;
		if (g > 0) heap.push(g, c);
		fresh[c] = 0;
	}
	for (let round = 1, spins = 0; round <= k && heap.size;) {
		if ((++spins & 255) === 0) yield;
		const [, c] = heap.top();
		heap.pop();
		if (fresh[c] === round) {
			const gain = gainOf(inst, covered, c);
			take(inst, covered, c);
			value += gain;
			picks.push({ candidate: c, gain, pinned: false });
			round++;
			continue;
		}
		const g = gainOf(inst, covered, c);
		evaluations++;
		fresh[c] = round;
		if (g > 0) heap.push(g, c);
	}
	return { picks, value, evaluations };
}

/**
 * The search after greedy (suggest-search.ts): on the instance reduced to what can matter, q-swaps
 * (take q sites out, put the best q in; q = 1, 2) to a local optimum, then branch and bound over
 * every set of as many sites, which proves the optimum on community-sized instances and is cut
 * off by a work count (not the clock: the same instance gives the same sites) on larger ones.
 * Greedy's set is where it starts, so the result never covers less. It is reported in greedy
 * order over the final set, so each site's gain is its marginal gain.
 */
export function refineBySwaps(inst: CoverInstance, greedy: { picks: Pick[] }, opts: SwapOptions = {}): SwapResult {
	return runSteps(refineBySwapsSteps(inst, greedy, opts));
}

type SwapOptions = { excluded?: ReadonlySet<number>; maxWork?: number };
/**
 * `complete`: false when the search was cut short (asked to wrap up): the best set found so far;
 * `optimal`: no set of as many sites (with the same pinned and excluded ones) covers more;
 * `swaps`: improvements made over greedy's set.
 */
type SwapResult = { picks: Pick[]; value: number; swaps: number; complete: boolean; optimal: boolean };

/**
 * refineBySwaps as steps that may be stopped at any yield (the driver answers true): every move
 * taken improves the set, so the set at that point is a valid answer — greedy's at worst.
 */
export function* refineBySwapsSteps(inst: CoverInstance, greedy: { picks: Pick[] }, opts: SwapOptions = {}): Steps<SwapResult> {
	const pinned = [...new Set(greedy.picks.filter((p) => p.pinned).map((p) => p.candidate))];
	const mine = greedy.picks.filter((p) => !p.pinned).map((p) => p.candidate);
	let chosen = new Set(mine);
	let swaps = 0;
	let complete = false;
	let optimal = false;
	const red = yield* reduceSteps(inst, pinned, opts.excluded ?? new Set());
	if (red) {
		// greedy's sites, each as the kept site that covers all it covers
		const initial = mine.map((c) => red.representative[c]).filter((j) => j >= 0);
		const found = yield* improveSteps(red, mine.length, initial, { maxWork: opts.maxWork });
		const greedyValue = greedy.picks.reduce((a, p) => a + p.gain, 0);
		// never below greedy's (it cannot be: the search starts from greedy's set, or sites that cover more)
		if (red.pinnedValue + found.value >= greedyValue - 1e-9) {
			chosen = new Set(found.chosen.map((j) => red.original[j]));
			swaps = found.moves;
			optimal = found.proven;
		}
		complete = !found.stopped;
	}
	const pinnedSet = new Set(pinned);
	// greedy order over the final set: pinned first, then by marginal gain
	const covered = new Uint8Array(inst.weights.length);
	const picks: Pick[] = [];
	let value = 0;
	for (const c of pinned) {
		const gain = gainOf(inst, covered, c);
		take(inst, covered, c);
		value += gain;
		picks.push({ candidate: c, gain, pinned: true });
	}
	const rest = [...chosen].filter((c) => !pinnedSet.has(c));
	while (rest.length) {
		let bestAt = 0,
			bestGain = -1;
		rest.forEach((c, i) => {
			const g = gainOf(inst, covered, c);
			if (g > bestGain || (g === bestGain && c < rest[bestAt])) [bestAt, bestGain] = [i, g];
		});
		const [c] = rest.splice(bestAt, 1);
		take(inst, covered, c);
		value += bestGain;
		picks.push({ candidate: c, gain: bestGain, pinned: false });
	}
	return { picks, value, swaps, complete, optimal };
}

/**
 * The sites the planner is given on an instance: the pinned ones, then greedy's k improved by
 * the search. Under a budget greedy must finish (else AnalysisTimeout); the search stops where
 * the budget ends (`complete: false`).
 */
export async function chooseSites(inst: CoverInstance, k: number, opts: GreedyOptions = {}, budget?: Budget): Promise<SwapResult> {
	const greedy = await drive(greedyCelfSteps(inst, k, opts), budget);
	return drive(refineBySwapsSteps(inst, greedy, { excluded: opts.excluded }), budget, { anytime: true });
}

type Highs = { solve(lp: string, options?: Record<string, unknown>): { Status: string; ObjectiveValue: number; Columns: Record<string, { Primal: number }> } };
let highsModule: Promise<Highs> | null = null;
function highs(): Promise<Highs> {
	// one WASM instance per process: the solver keeps no state between solves
	highsModule ??= import('highs').then((m) => (m.default as unknown as () => Promise<Highs>)());
	return highsModule;
}

/**
 * The exact optimum by integer programming: max Σ wᵢ·yᵢ subject to yᵢ ≤ Σ_{j covers i} xⱼ,
 * Σ xⱼ = k + |pinned| (fewer if there are fewer candidates), xⱼ binary, 0 ≤ yᵢ ≤ 1, pinned xⱼ = 1.
 */
export async function exactMaxCoverage(
	inst: CoverInstance,
	k: number,
	opts: { pinned?: readonly number[]; excluded?: ReadonlySet<number>; timeLimit?: number } = {}
): Promise<{ value: number; chosen: number[]; status: string }> {
	const n = inst.start.length - 1;
	const coveredBy: number[][] = Array.from({ length: inst.weights.length }, () => []);
	for (let c = 0; c < n; c++) {
		if (opts.excluded?.has(c)) continue;
		for (let p = inst.start[c]; p < inst.start[c + 1]; p++) coveredBy[inst.items[p]].push(c);
	}
	const pinned = [...new Set(opts.pinned ?? [])];
	const usable = [...Array(n).keys()].filter((c) => !opts.excluded?.has(c));
	const lines: string[] = ['Maximize', ' obj:'];
	const demand = [...Array(inst.weights.length).keys()].filter((i) => inst.weights[i] > 0 && coveredBy[i].length);
	for (const i of demand) lines.push(` + ${inst.weights[i]} y${i}`);
	if (!demand.length) lines.push(' 0 x0');
	lines.push('Subject To');
	for (const i of demand) {
		lines.push(` d${i}: y${i}`);
		for (const c of coveredBy[i]) lines.push(` - x${c}`);
		lines.push(' <= 0');
	}
	lines.push(' k:');
	for (const c of usable) lines.push(` + x${c}`);
	lines.push(` <= ${Math.min(usable.length, k + pinned.length)}`);
	for (const c of pinned) lines.push(` p${c}: x${c} = 1`);
	lines.push('Bounds');
	for (const i of demand) lines.push(` 0 <= y${i} <= 1`);
	lines.push('Binary');
	for (const c of usable) lines.push(` x${c}`);
	lines.push('End');
	const solver = await highs();
	const r = solver.solve(lines.join('\n'), { time_limit: opts.timeLimit ?? 60, mip_rel_gap: 0, output_flag: false });
	const chosen = usable.filter((c) => (r.Columns[`x${c}`]?.Primal ?? 0) > 0.5);
	return { value: r.ObjectiveValue, chosen, status: r.Status };
}

// ---------------------------------------------------------------- on the real network

export interface SuggestOptions {
	/** area-code prefix of the planner's area ('' = the whole district) */
	scope: string;
	k: number;
	/** 1, 2, 3: the 5-, 10- or 15-minute circle to fill */
	circle: 1 | 2 | 3;
	/** sites already decided: candidate keys, or points on the map */
	pinned?: readonly (string | { lon: number; lat: number })[];
	/** candidate keys never to suggest */
	excluded?: readonly string[];
}

/** Road nodes inside the area and `public` buildings in it, as candidate sites. */
export async function candidateSites(trx: Kysely<Database>, model: CoverageModel, scope: string): Promise<Candidate[]> {
	const net = model.network;
	const g = net.graph;
	const out: Candidate[] = [];
	const lons = Array.from(g.nodeLon);
	const lats = Array.from(g.nodeLat);
	let inside: number[];
	if (scope === '') inside = [...Array(g.nodeCount).keys()];
	else {
		const { rows } = await sql<{ k: number }>`
			select (t.k - 1)::int4 as k from area a
			cross join lateral unnest(${lons}::float8[], ${lats}::float8[]) with ordinality as t(x, y, k)
			where a.code = ${scope} and t.x between ST_XMin(a.geom) and ST_XMax(a.geom) and t.y between ST_YMin(a.geom) and ST_YMax(a.geom)
			  and ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326))
			order by 1`.execute(trx);
		inside = rows.map((r) => r.k);
	}
	for (const n of inside) {
		// a node as a site: the first edge at it, offset 0 or its length
		const p = g.adjStart[n];
		if (p === g.adjStart[n + 1]) continue;
		const e = g.adjEdge[p];
		const offset = g.edgeFrom[e] === n ? 0 : g.edgeLen[e];
		out.push({
			key: `node:${g.nodeLon[n].toFixed(7)},${g.nodeLat[n].toFixed(7)}`,
			kind: 'node',
			lon: g.nodeLon[n],
			lat: g.nodeLat[n],
			source: { edge: e, offset, cost: 0 }
		});
	}
	const b = net.buildings;
	for (let i = 0; i < b.count; i++) {
		if (b.kind[i] !== 'public' || !b.gridCode[i].startsWith(scope) || b.edge[i] < 0) continue;
		out.push({
			key: `building:${b.id[i]}`,
			kind: 'building',
			lon: b.lon[i],
			lat: b.lat[i],
			source: { edge: b.edge[i], offset: b.offset[i], cost: b.access[i] }
		});
	}
	return out;
}

type Instance = { inst: CoverInstance; demand: Int32Array };

/** The instance: demand = the scope's buildings with households beyond the circle today. */
export function coverInstance(model: CoverageModel, candidates: readonly Candidate[], scope: string, circle: 1 | 2 | 3): Instance {
	return runSteps(coverInstanceSteps(model, candidates, scope, circle));
}

/** coverInstance as steps: one bounded search per candidate, a yield after each. */
export function* coverInstanceSteps(model: CoverageModel, candidates: readonly Candidate[], scope: string, circle: 1 | 2 | 3): Steps<Instance> {
	const net = model.network;
	const T = model.service.params.circles[circle - 1];
	const b = net.buildings;
	const demandOf = new Int32Array(b.count).fill(-1);
	const demand: number[] = [];
	for (let i = 0; i < b.count; i++) {
		if (b.households[i] > 0 && b.gridCode[i].startsWith(scope) && !(model.service.levels.any.dist[i] <= T)) {
			demandOf[i] = demand.length;
			demand.push(i);
		}
	}
	const start = new Int32Array(candidates.length + 1);
	const items: number[] = [];
	for (let j = 0; j < candidates.length; j++) {
		// the search and the use of its result stay within one step (the search is shared)
		const mine: number[] = [];
		forBuildingsWithin(net, model.search, [candidates[j].source], T, (i) => {
			if (demandOf[i] >= 0) mine.push(demandOf[i]);
		});
		mine.sort((x, y) => x - y);
		for (const m of mine) items.push(m);
		start[j + 1] = items.length;
		yield;
	}
	const weights = Float64Array.from(demand, (i) => b.households[i]);
	return { inst: { weights, start, items: Int32Array.from(items) }, demand: Int32Array.from(demand) };
}

export interface SuggestResult {
	suggestions: Suggestion[];
	candidates: number;
	demand_households: number;
	/** the search after greedy ran out of time: the best set found by then (greedy's at worst) */
	partial: boolean;
	/** proven the best: no other set of as many sites (same pinned and excluded) covers more */
	optimal: boolean;
}

/** Suggests k sites in the planner's area, pinned ones first, each with its marginal gain. */
export async function suggestSites(trx: Kysely<Database>, model: CoverageModel, opts: SuggestOptions, budget?: Budget): Promise<SuggestResult> {
	checkK(opts.k);
	return suggestFromCandidates(model, await candidateSites(trx, model, opts.scope), opts, budget);
}

function checkK(k: number) {
	if (!(k >= 0 && k <= 50)) throw new Error('k must be between 0 and 50');
}

/**
 * The suggestion from the candidates (candidateSites; the array gets the pinned points added),
 * in memory: no transaction needs to stay open meanwhile. Under a budget: building the instance
 * and greedy must finish (else AnalysisTimeout), the search after greedy stops where the budget
 * ends (partial).
 */
export async function suggestFromCandidates(model: CoverageModel, candidates: Candidate[], opts: SuggestOptions, budget?: Budget): Promise<SuggestResult> {
	checkK(opts.k);
	if ((opts.pinned?.length ?? 0) > 100 || (opts.excluded?.length ?? 0) > 100) throw new Error('at most 100 pinned and 100 excluded sites');
	const byKey = new Map(candidates.map((c, j) => [c.key, j]));
	const pinned: number[] = [];
	for (const p of opts.pinned ?? []) {
		if (typeof p === 'string') {
			const j = byKey.get(p);
			if (j !== undefined) pinned.push(j);
			continue;
		}
		const source = siteSource(model.network.snapper, p.lon, p.lat);
		if (!source) continue;
		const key = `point:${p.lon.toFixed(7)},${p.lat.toFixed(7)}`;
		byKey.set(key, candidates.length);
		pinned.push(candidates.length);
		candidates.push({ key, kind: 'point', lon: p.lon, lat: p.lat, source });
	}
	const excluded = new Set((opts.excluded ?? []).map((k) => byKey.get(k)).filter((j): j is number => j !== undefined));
	const { inst } = await drive(coverInstanceSteps(model, candidates, opts.scope, opts.circle), budget);
	const { picks, complete, optimal } = await chooseSites(inst, opts.k, { pinned, excluded }, budget);
	let cumulative = 0;
	const suggestions = picks.map((p) => {
		const c = candidates[p.candidate];
		cumulative += p.gain;
		return { key: c.key, kind: c.kind, lon: c.lon, lat: c.lat, label: c.label, pinned: p.pinned, gain: p.gain, cumulative };
	});
	return { suggestions, candidates: candidates.length, demand_households: inst.weights.reduce((a, b) => a + b, 0), partial: !complete, optimal };
}
