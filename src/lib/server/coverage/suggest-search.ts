// The search after greedy behind "suggest k sites" (suggest.ts): the instance is reduced to what
// can matter, then greedy's set is improved by q-swaps and by branch and bound.
//
// Reduction (exact: the optimum of the reduced instance plus the pinned sites' coverage is the
// optimum of the original): demand the pinned sites cover is dropped (it is covered whatever else
// is chosen), and so is demand no usable candidate reaches; demand items reached by the very same
// candidates become one item (weights added); a candidate whose items all lie within another's is
// dropped (swapping it for the other never covers less; of identical ones the first is kept).
// Neighbouring road nodes reach nearly the same buildings: on the whole `district` demo this
// keeps 2–48% of the candidates and 10–36% of the demand items (15- to 5-minute circle).
//
// Branch and bound finds the best r sites to add to a set: a node is the set so far and a pool of
// candidates still allowed; its children take, in order of marginal gain, the j-th candidate of
// the pool and leave the ones before it out of that subtree, so every r-set is met once.
// Coverage is submodular (a gain only shrinks as sites are added), so the value so far plus the
// r largest gains in the pool bounds every completion: once that bound for the pool from j on
// no longer beats the best set found, the remaining children are skipped, and a candidate whose
// gain plus the r − 1 largest cannot beat it is dropped from the pool. Used with r = q on the set
// less q of its sites, it finds the best q-swap (q = 1, 2); with r = k on the empty set, the
// optimum (proven when it runs to its end, which it does on community-sized instances).
//
// All of it is capped by a count of work, not by the clock, so the same instance always gives
// the same sites; when the cap or the time budget (the driver asking to wrap up) cuts the search
// short, its set is still a valid answer, at least as good as greedy's, merely not proven optimal.
import type { Steps } from './budget.ts';

export interface CoverSets {
	weights: Float64Array;
	start: Int32Array;
	items: Int32Array;
}

export interface ReducedInstance extends CoverSets {
	/** reduced candidate → original candidate index */
	original: Int32Array;
	/** original candidate → the reduced candidate that covers all it covers (-1: it covers nothing left) */
	representative: Int32Array;
	/** reduced item → the candidates covering it (CSR over reduced candidates) */
	byStart: Int32Array;
	byCand: Int32Array;
	/** households the pinned sites cover (not part of the reduced instance) */
	pinnedValue: number;
}

/** Above this many set-entry comparisons the dominance test is left out (the reduction stays exact). */
const DOMINANCE_WORK = 10_000_000;

/**
 * The reduced instance for choosing among all but the pinned and excluded candidates (null when
 * asked to wrap up before it is ready).
 */
export function* reduceSteps(inst: CoverSets, pinned: readonly number[], excluded: ReadonlySet<number>): Steps<ReducedInstance | null> {
	const n = inst.start.length - 1;
	const m = inst.weights.length;
	// a yield every so many set entries (asked to wrap up: no reduced instance)
	let ops = 0;
	const due = (entries: number) => (ops += entries) > 5_000 && ((ops = 0), true);
	const pinnedSet = new Set(pinned);
	const covered = new Uint8Array(m);
	let pinnedValue = 0;
	for (const c of pinnedSet) {
		for (let p = inst.start[c]; p < inst.start[c + 1]; p++) {
			const i = inst.items[p];
			if (!covered[i]) pinnedValue += inst.weights[i];
			covered[i] = 1;
		}
	}
	const usable = (c: number) => !pinnedSet.has(c) && !excluded.has(c);
	// item → usable candidates covering it (ascending), for the open items with weight
	const degree = new Int32Array(m + 1);
	for (let c = 0; c < n; c++) {
		if (due(inst.start[c + 1] - inst.start[c]) && (yield)) return null;
		if (!usable(c)) continue;
		for (let p = inst.start[c]; p < inst.start[c + 1]; p++) degree[inst.items[p]]++;
	}
	const itemStart = new Int32Array(m + 1);
	for (let i = 0; i < m; i++) itemStart[i + 1] = itemStart[i] + (covered[i] || !(inst.weights[i] > 0) ? 0 : degree[i]);
	const itemCands = new Int32Array(itemStart[m]);
	const fill = itemStart.slice(0, m);
	for (let c = 0; c < n; c++) {
		if (due(inst.start[c + 1] - inst.start[c]) && (yield)) return null;
		if (!usable(c)) continue;
		for (let p = inst.start[c]; p < inst.start[c + 1]; p++) {
			const i = inst.items[p];
			if (itemStart[i + 1] > itemStart[i]) itemCands[fill[i]++] = c;
		}
	}
	// items reached by the same candidates are one item (the first of them stands for the rest):
	// grouped by a hash of their candidate lists, then compared
	const merged = new Int32Array(m).fill(-1);
	const byHash = new Map<number, number[]>();
	const weights: number[] = [];
	const firstItem: number[] = [];
	const same = (i: number, j: number) => {
		const len = itemStart[i + 1] - itemStart[i];
		if (itemStart[j + 1] - itemStart[j] !== len) return false;
		for (let t = 0; t < len; t++) if (itemCands[itemStart[i] + t] !== itemCands[itemStart[j] + t]) return false;
		return true;
	};
	for (let i = 0; i < m; i++) {
		const len = itemStart[i + 1] - itemStart[i];
		if (due(len) && (yield)) return null;
		if (!len) continue;
		let h = len;
		for (let p = itemStart[i]; p < itemStart[i + 1]; p++) h = Math.imul(h ^ itemCands[p], 0x9e3779b1) ^ (h >>> 15);
		const group = byHash.get(h);
		let r = group?.find((q) => same(firstItem[q], i));
		if (r === undefined) {
			r = weights.length;
			if (group) group.push(r);
			else byHash.set(h, [r]);
			weights.push(0);
			firstItem.push(i);
		}
		weights[r] += inst.weights[i];
		merged[i] = r;
	}
	const mr = weights.length;
	// candidate → merged items (ascending, without repeats)
	const sets: Int32Array[] = new Array(n);
	const seen = new Int32Array(mr).fill(-1);
	let total = 0;
	for (let c = 0; c < n; c++) {
		if (due(inst.start[c + 1] - inst.start[c]) && (yield)) return null;
		if (!usable(c)) continue;
		const mine: number[] = [];
		for (let p = inst.start[c]; p < inst.start[c + 1]; p++) {
			const r = merged[inst.items[p]];
			if (r < 0 || seen[r] === c) continue;
			seen[r] = c;
			mine.push(r);
		}
		if (mine.length) {
			sets[c] = Int32Array.from(mine).sort();
			total += mine.length;
		}
	}
	// dominated candidates: every item of c is also an item of some d with more items (or the
	// same items and a lower index)
	let work = 0;
	for (let r = 0; r < mr; r++) {
		const d = itemStart[firstItem[r] + 1] - itemStart[firstItem[r]];
		work += d * d;
	}
	const keep = new Uint8Array(n);
	for (let c = 0; c < n; c++) keep[c] = sets[c] ? 1 : 0;
	/** a dropped candidate → one whose items include its own */
	const dominator = new Int32Array(n).fill(-1);
	if (work <= DOMINANCE_WORK) {
		const count = new Int32Array(n);
		const touched: number[] = [];
		for (let c = 0; c < n; c++) {
			const s = sets[c];
			if (!s) continue;
			for (const r of s) {
				const i = firstItem[r];
				for (let p = itemStart[i]; p < itemStart[i + 1]; p++) {
					const d = itemCands[p];
					if (count[d]++ === 0) touched.push(d);
				}
				if (due(itemStart[i + 1] - itemStart[i]) && (yield)) return null;
			}
			for (const d of touched) {
				if (keep[c] && d !== c && count[d] === s.length && (sets[d].length > s.length || d < c)) {
					keep[c] = 0;
					dominator[c] = d;
				}
				count[d] = 0;
			}
			touched.length = 0;
		}
	}
	const original: number[] = [];
	const representative = new Int32Array(n).fill(-1);
	const start = [0];
	const items = new Int32Array(total);
	let at = 0;
	for (let c = 0; c < n; c++) {
		if (!keep[c]) continue;
		if (due(sets[c].length) && (yield)) return null;
		representative[c] = original.length;
		original.push(c);
		items.set(sets[c], at);
		at += sets[c].length;
		start.push(at);
	}
	// a dominator has more items, or as many and a lower index: the chains end at a kept one
	for (let c = 0; c < n; c++) {
		let d = c;
		while (dominator[d] >= 0) d = dominator[d];
		representative[c] = representative[d];
	}
	const byStart = new Int32Array(mr + 1);
	for (let p = 0; p < at; p++) byStart[items[p] + 1]++;
	for (let r = 0; r < mr; r++) byStart[r + 1] += byStart[r];
	const byCand = new Int32Array(at);
	const next = byStart.slice(0, mr);
	for (let j = 0; j < original.length; j++) {
		if (due(start[j + 1] - start[j]) && (yield)) return null;
		for (let p = start[j]; p < start[j + 1]; p++) byCand[next[items[p]]++] = j;
	}
	return {
		weights: Float64Array.from(weights),
		start: Int32Array.from(start),
		items: items.slice(0, at),
		original: Int32Array.from(original),
		representative,
		byStart,
		byCand,
		pinnedValue
	};
}

export type SearchResult = {
	/** reduced candidate indices, ascending */
	chosen: number[];
	value: number;
	/** the exhaustive search ran to its end: `value` is the optimum */
	proven: boolean;
	/** improvements made */
	moves: number;
	/** work units spent (set entries and candidates visited) */
	work: number;
	/** asked to wrap up (time budget): the best set so far */
	stopped: boolean;
};

export type SearchOptions = {
	/** work units for the whole search (2·10⁷ by default: about 0.1 s here) */
	maxWork?: number;
	/** largest q for q-swaps (remove q sites, put in the best q) */
	maxSwap?: number;
};

// improvements smaller than this are rounding (weights are household counts)
const EPS = 1e-9;

/**
 * From `initial` (reduced indices, at most k): q-swaps to a local optimum (q = 1, then 2, …: take
 * q chosen sites out and put the best q in, each q-swap found exactly by branch and bound; back to
 * q = 1 after every improvement), then branch and bound over all k-sets, the local optimum as
 * the incumbent, then q-swaps again if that found a better set and could not finish.
 */
export function* improveSteps(red: ReducedInstance, k: number, initial: readonly number[], opts: SearchOptions = {}): Steps<SearchResult> {
	if (k <= 0) return { chosen: [], value: 0, proven: true, moves: 0, work: 0, stopped: false };
	const maxWork = opts.maxWork ?? 20_000_000;
	const maxSwap = opts.maxSwap ?? 2;
	const n = red.start.length - 1;
	const { start, items, weights, byStart, byCand } = red;
	const count = new Int32Array(weights.length);
	/** each candidate's marginal gain over the current set */
	const gain = new Float64Array(n);
	for (let c = 0; c < n; c++) {
		for (let p = start[c]; p < start[c + 1]; p++) gain[c] += weights[items[p]];
		// (asked to wrap up here: the driver asks again at the next yield, in pause())
		if ((c & 255) === 255) yield;
	}
	const inSet = new Uint8Array(n);
	let value = 0;
	let work = 0;
	let nextYield = 0;
	/** the work for this phase is spent / the driver asked to wrap up */
	let cut = false;
	let stopped = false;

	const add = (c: number) => {
		inSet[c] = 1;
		for (let p = start[c]; p < start[c + 1]; p++) {
			const i = items[p];
			if (count[i]++ > 0) continue;
			value += weights[i];
			for (let q = byStart[i]; q < byStart[i + 1]; q++) gain[byCand[q]] -= weights[i];
			work += byStart[i + 1] - byStart[i];
		}
		work += start[c + 1] - start[c];
	};
	const remove = (c: number) => {
		inSet[c] = 0;
		for (let p = start[c]; p < start[c + 1]; p++) {
			const i = items[p];
			if (--count[i] > 0) continue;
			value -= weights[i];
			for (let q = byStart[i]; q < byStart[i + 1]; q++) gain[byCand[q]] += weights[i];
			work += byStart[i + 1] - byStart[i];
		}
		work += start[c + 1] - start[c];
	};
	/** the candidates outside the set with something to gain */
	const outside = () => {
		const pool: number[] = [];
		for (let c = 0; c < n; c++) if (!inSet[c] && gain[c] > EPS) pool.push(c);
		work += n;
		return Int32Array.from(pool);
	};
	// per depth of the search: its pool in order and their gains (a child reads its parent's)
	const orderBuffers: Int32Array[] = [];
	const gainBuffers: Float64Array[] = [];
	const topBuffer = new Float64Array(Math.max(1, k));

	/**
	 * The best r sites to add to the current set, if they make it worth more than `floor`
	 * (branch and bound; null when nothing beats it or the search was cut short before).
	 */
	function* best(r: number, floor: number): Generator<void, number[] | null, boolean | undefined> {
		let found: number[] | null = null;
		let bar = floor;
		const path: number[] = [];
		/**
		 * The best site to add (r = 1) from `pool`, from `at` on; `bounds` (when given) are upper
		 * bounds of their gains, descending (the gains at the parent): the scan stops where
		 * they can no longer beat what it has.
		 */
		const leaf = (pool: Int32Array, bounds: Float64Array | null, at: number) => {
			let bc = -1,
				bg = EPS;
			let t = at;
			for (; t < pool.length; t++) {
				if (bounds && (bounds[t] <= bg || value + bounds[t] <= bar + EPS)) break;
				const g = gain[pool[t]];
				if (g > bg) {
					bg = g;
					bc = pool[t];
				}
			}
			work += t - at + 1;
			if (value + Math.max(bg, 0) > bar + EPS) {
				bar = value + Math.max(bg, 0);
				found = bc < 0 ? [...path] : [...path, bc];
			}
		};
		function* node(pool: Int32Array, r: number, depth: number): Generator<void, void, boolean | undefined> {
			if (r === 1) return leaf(pool, null, 0);
			// the r − 1 largest gains: a site whose gain and theirs together cannot lift the
			// value above the bar is in no better completion (gains only shrink as sites are added)
			const top = topBuffer.subarray(0, r - 1).fill(0);
			for (const c of pool) {
				const g = gain[c];
				if (!(g > top[r - 2])) continue;
				let t = r - 2;
				for (; t > 0 && top[t - 1] < g; t--) top[t] = top[t - 1];
				top[t] = g;
			}
			let rest = 0;
			for (const g of top) rest += g;
			const need = Math.max(EPS, bar + EPS - value - rest);
			// the pool, largest gain first (ties: the lower index); below the root it comes in
			// the parent's order, which the site just added has disturbed only a little
			const sorted = (orderBuffers[depth] ??= new Int32Array(n));
			const gains = (gainBuffers[depth] ??= new Float64Array(n));
			let live = 0;
			if (depth === 0) {
				for (const c of pool) if (gain[c] > need) sorted[live++] = c;
				sorted.subarray(0, live).sort((a, b) => gain[b] - gain[a] || a - b);
				for (let t = 0; t < live; t++) gains[t] = gain[sorted[t]];
				work += 4 * live * Math.ceil(Math.log2(live + 1));
			} else
				for (const c of pool) {
					const g = gain[c];
					if (!(g > need)) continue;
					let t = live++;
					for (; t > 0 && (gains[t - 1] < g || (gains[t - 1] === g && sorted[t - 1] > c)); t--) {
						sorted[t] = sorted[t - 1];
						gains[t] = gains[t - 1];
					}
					sorted[t] = c;
					gains[t] = g;
					work += live - t;
				}
			work += 2 * pool.length + live;
			if (!live) {
				if (value > bar + EPS) {
					bar = value;
					found = [...path];
				}
				return;
			}
			// bound of the children from j on: the r largest gains among them, gains[j … j+r−1]
			let window = 0;
			for (let j = 0; j < Math.min(r, live); j++) window += gains[j];
			for (let j = 0; j < live; j++) {
				if (value + window <= bar + EPS) return;
				if (yield* pause()) return;
				const c = sorted[j];
				add(c);
				path.push(c);
				if (r === 2) leaf(sorted.subarray(0, live), gains, j + 1);
				else yield* node(sorted.subarray(j + 1, live), r - 1, depth + 1);
				path.pop();
				remove(c);
				if (cut || stopped) return;
				window -= gains[j];
				if (j + r < live) window += gains[j + r];
			}
		}
		yield* node(outside(), r, 0);
		return found;
	}

	/** hands the driver a yield every so much work; true when it asks to wrap up */
	function* pause(): Generator<void, boolean, boolean | undefined> {
		if (work >= nextYield) {
			nextYield = work + 5_000;
			if (yield) stopped = true;
		}
		if (work > limit) cut = true;
		return cut || stopped;
	}

	/** fewer than k (nothing left to gain, or a swap of q for fewer): fill up greedily */
	function* fill(): Generator<void, void, boolean | undefined> {
		while (size < k) {
			const more = yield* best(1, value);
			if (!more?.length) return;
			add(more[0]);
			size++;
		}
	}

	/** q-swaps until none helps (or the work is spent) */
	function* swaps(): Generator<void, void, boolean | undefined> {
		for (let q = 1; q <= Math.min(maxSwap, size);) {
			const chosen = [...inSet.keys()].filter((c) => inSet[c]);
			let improved = false;
			// q-subsets of the chosen sites, in lexicographic order
			const at = Array.from({ length: q }, (_, i) => i);
			for (;;) {
				if (yield* pause()) return;
				const before = value;
				const out = at.map((i) => chosen[i]);
				for (const c of out) remove(c);
				const into = yield* best(q, before);
				if (into) {
					for (const c of into) add(c);
					size += into.length - q;
					moves++;
					yield* fill();
					improved = true;
					break;
				}
				for (const c of out) add(c);
				let i = q - 1;
				while (i >= 0 && at[i] === chosen.length - q + i) i--;
				if (i < 0) break;
				at[i]++;
				for (let j = i + 1; j < q; j++) at[j] = at[j - 1] + 1;
			}
			q = improved ? 1 : q + 1;
		}
	}

	let size = 0;
	let moves = 0;
	let limit = maxWork;
	for (const c of new Set(initial)) {
		add(c);
		size++;
	}
	yield* fill();
	// q-swaps with up to 40% of the work; every k-set, the local optimum as the incumbent, up to
	// 80%; then, if that found a better set but could not finish, q-swaps from it
	limit = 0.4 * maxWork;
	yield* swaps();
	let proven = false;
	if (!stopped) {
		cut = false;
		limit = 0.8 * maxWork;
		const chosen = [...inSet.keys()].filter((c) => inSet[c]);
		const before = value;
		for (const c of chosen) remove(c);
		const better = yield* best(k, before);
		proven = !cut && !stopped;
		for (const c of better ?? chosen) add(c);
		if (better) {
			size = better.length;
			moves++;
			cut = false;
			limit = maxWork;
			yield* fill();
			if (!proven) yield* swaps();
		}
	}
	const chosen = [...inSet.keys()].filter((c) => inSet[c]);
	return { chosen, value, proven, moves, work, stopped };
}
