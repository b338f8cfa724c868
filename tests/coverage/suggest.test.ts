// Greedy site suggestion (CELF) against the exact optimum: HiGHS and brute force agree on small
// instances; greedy equals the optimum where the optimum is known; lazy evaluation picks what
// plain greedy picks; pinned and excluded sites; suggestions on the hand-built district; what the
// planner gets (greedy, then the search) reaches the optimum where greedy and single swaps cannot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { chooseSites, exactMaxCoverage, greedyCelf, suggestSites, type CoverInstance } from '../../src/lib/server/coverage/suggest.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { insertFixture, lon, lat, S1 } from './fixture.ts';

function instance(sets: number[][], weights: number[]): CoverInstance {
	const start = [0];
	const items: number[] = [];
	for (const s of sets) {
		items.push(...s);
		start.push(items.length);
	}
	return { weights: Float64Array.from(weights), start: Int32Array.from(start), items: Int32Array.from(items) };
}

function bruteForce(sets: number[][], weights: number[], k: number): number {
	let best = 0;
	const pick = (from: number, left: number, chosen: number[]) => {
		const covered = new Set(chosen.flatMap((c) => sets[c]));
		best = Math.max(
			best,
			[...covered].reduce((a, i) => a + weights[i], 0)
		);
		if (!left) return;
		for (let c = from; c < sets.length; c++) pick(c + 1, left - 1, [...chosen, c]);
	};
	pick(0, k, []);
	return best;
}

function plainGreedy(sets: number[][], weights: number[], k: number): number[] {
	const covered = new Set<number>();
	const out: number[] = [];
	for (let r = 0; r < k; r++) {
		let best = -1,
			bestGain = 0;
		sets.forEach((s, c) => {
			const g = s.filter((i) => !covered.has(i)).reduce((a, i) => a + weights[i], 0);
			if (g > bestGain) [best, bestGain] = [c, g];
		});
		if (best < 0) break;
		out.push(best);
		for (const i of sets[best]) covered.add(i);
	}
	return out;
}

let seed = 11;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const randomSets = (n: number, m: number) =>
	Array.from({ length: n }, () => [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => Math.floor(rnd() * m)))].sort((a, b) => a - b));

describe('maximal coverage', () => {
	it('greedy equals the exact optimum where the optimum is known', async () => {
		// disjoint sets: the k heaviest are optimal; nested sets: the largest alone is
		const disjoint = [[0, 1], [2], [3, 4, 5], [6]];
		const w = [5, 1, 4, 2, 2, 2, 9];
		const g = greedyCelf(instance(disjoint, w), 2);
		expect(g.value).toBe(9 + 6);
		expect((await exactMaxCoverage(instance(disjoint, w), 2)).value).toBe(15);
		const nested = [[0], [0, 1], [0, 1, 2]];
		expect(greedyCelf(instance(nested, [1, 1, 1]), 1).value).toBe(3);
		expect(greedyCelf(instance(nested, [1, 1, 1]), 2).picks.map((p) => p.gain)).toEqual([3]); // nothing left to gain
	});

	it('HiGHS, brute force and greedy: exact = brute force ≥ greedy ≥ (1 − 1/e)·optimum; CELF = plain greedy', async () => {
		for (let round = 0; round < 25; round++) {
			const sets = randomSets(9, 12);
			const w = Array.from({ length: 12 }, () => 1 + Math.floor(rnd() * 9));
			const k = 1 + (round % 3);
			const inst = instance(sets, w);
			const opt = bruteForce(sets, w, k);
			const exact = await exactMaxCoverage(inst, k);
			expect(exact.status).toBe('Optimal');
			expect(exact.value).toBeCloseTo(opt, 6);
			const g = greedyCelf(inst, k);
			expect(g.value).toBeLessThanOrEqual(opt);
			expect(g.value).toBeGreaterThanOrEqual((1 - 1 / Math.E) * opt - 1e-9);
			expect(g.picks.map((p) => p.candidate)).toEqual(plainGreedy(sets, w, k));
		}
	});

	it('a classic case where greedy is not optimal, and the exact solver finds the better pair', async () => {
		// greedy takes the middle set first (gain 4); the two halves cover 6
		const sets = [
			[0, 1, 2],
			[3, 4, 5],
			[1, 2, 3, 4]
		];
		const w = [1, 1, 1, 1, 1, 1];
		expect(greedyCelf(instance(sets, w), 2).value).toBe(5);
		const exact = await exactMaxCoverage(instance(sets, w), 2);
		expect(exact.value).toBe(6);
		expect(exact.chosen).toEqual([0, 1]);
	});

	it('takes pinned sites first and never an excluded one', async () => {
		const sets = [[0, 1, 2], [3, 4, 5], [1, 2, 3, 4], [6]];
		const w = [1, 1, 1, 1, 1, 1, 1];
		const g = greedyCelf(instance(sets, w), 1, { pinned: [0], excluded: new Set([1]) });
		expect(g.picks).toEqual([
			{ candidate: 0, gain: 3, pinned: true },
			{ candidate: 2, gain: 2, pinned: false }
		]);
		expect((await exactMaxCoverage(instance(sets, w), 1, { pinned: [0], excluded: new Set([1]) })).value).toBe(5);
	});
});

describe.each(backends)('site suggestions on %s PostGIS', (backend) => {
	let db: TestDb;
	let engine: CoverageEngine;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		engine = new CoverageEngine(db);
		await engine.ensure();
	});
	afterAll(() => db?.drop());

	it("suggests sites in the planner's area with their marginal gains, pins and re-runs", async () => {
		const model = await engine.model();
		// in street 001 only B3 (5 households, 990 m) and B2/B6 (590, 650 m) are beyond the 5-minute circle
		const r = await suggestSites(db.kysely, model, { scope: S1, k: 2, circle: 1 });
		expect(r.demand_households).toBe(20 + 5 + 4);
		expect(r.suggestions[0].gain).toBe(24); // a site near the loop's top covers B2 and B6
		expect(r.suggestions.map((s) => s.cumulative)).toEqual([24, 29]);
		// pin a point by the dead end: it takes B3's 5 first
		const pinned = await suggestSites(db.kysely, model, { scope: S1, k: 1, circle: 1, pinned: [{ lon: lon(1500), lat: lat(690) }] });
		expect(pinned.suggestions.map((s) => [s.pinned, s.gain])).toEqual([
			[true, 5],
			[false, 24]
		]);
		// exclude the first suggestion: the next best site still covers the loop's households
		const again = await suggestSites(db.kysely, model, { scope: S1, k: 1, circle: 1, excluded: [r.suggestions[0].key] });
		expect(again.suggestions[0].key).not.toBe(r.suggestions[0].key);
	});
});

describe('swaps after greedy', () => {
	it('reach the optimum where greedy alone falls short, and never lose coverage', async () => {
		const { refineBySwaps, greedyCelf, exactMaxCoverage } = await import('../../src/lib/server/coverage/suggest.ts');
		// the classic trap: one big site overlaps two that together cover more
		const sets = [
			[0, 1, 2, 3],
			[0, 1, 4],
			[2, 3, 5]
		];
		const weights = Float64Array.from([1, 1, 1, 1, 1, 1]);
		const start = Int32Array.from([0, 4, 7, 10]);
		const items = Int32Array.from(sets.flat());
		const inst = { weights, start, items };
		const greedy = greedyCelf(inst, 2);
		expect(greedy.value).toBe(5);
		const refined = refineBySwaps(inst, greedy);
		expect(refined.value).toBe(6);
		expect(refined.value).toBe((await exactMaxCoverage(inst, 2)).value);
		expect(refined.picks.map((p) => p.candidate).sort()).toEqual([1, 2]);
		expect(refined.picks.reduce((s, p) => s + p.gain, 0)).toBe(refined.value);
	});
});

describe('what the planner gets: greedy, then the search', () => {
	/** the covered weight of a set of candidates */
	const valueOf = (sets: number[][], w: number[], chosen: number[]) => [...new Set(chosen.flatMap((c) => sets[c]))].reduce((a, i) => a + w[i], 0);

	it('escapes a trap that greedy and every single swap fall into, and proves the optimum', async () => {
		// two optimal sites O1 = {a1, a2, a3}, O2 = {b1, b2, b3} (16 each); G1 takes the heavy half
		// of both plus a little of its own (17), G2 the next quarter of both plus a little (9).
		// Greedy: G1 (17 > 16), then G2 (gain 9 > 8) = 26; the optimum O1 + O2 = 32.
		//            a1 a2 a3 b1 b2 b3 g1 g2
		const w = [8, 4, 4, 8, 4, 4, 1, 1];
		const [O1, O2, G1, G2] = [0, 1, 2, 3];
		const sets = [
			[0, 1, 2],
			[3, 4, 5],
			[0, 3, 6],
			[1, 4, 7]
		];
		const inst = instance(sets, w);
		expect(plainGreedy(sets, w, 2)).toEqual([G1, G2]);
		expect(greedyCelf(inst, 2).value).toBe(26);
		expect(bruteForce(sets, w, 2)).toBe(32);
		expect((await exactMaxCoverage(inst, 2)).value).toBe(32);
		// no single swap helps greedy's pair: a local search by single swaps stays at 26
		for (const out of [G1, G2]) {
			for (const into of [O1, O2]) expect(valueOf(sets, w, [out === G1 ? G2 : G1, into])).toBeLessThan(26);
		}
		const r = await chooseSites(inst, 2);
		expect(r.value).toBe(32);
		expect(r.optimal).toBe(true);
		expect(r.complete).toBe(true);
		expect(r.picks).toEqual([
			{ candidate: O1, gain: 16, pinned: false },
			{ candidate: O2, gain: 16, pinned: false }
		]);
		// pinned and excluded as before: with G1 pinned the best one more is G2; with O2 excluded
		// the best pair is greedy's
		expect((await chooseSites(inst, 1, { pinned: [G1] })).picks).toEqual([
			{ candidate: G1, gain: 17, pinned: true },
			{ candidate: G2, gain: 9, pinned: false }
		]);
		const without = await chooseSites(inst, 2, { excluded: new Set([O2]) });
		expect(without.picks.map((p) => p.candidate)).toEqual([G1, G2]);
		expect(without.optimal).toBe(true);
	});

	it('equals brute force on small instances with pins and exclusions, the same sites every time', async () => {
		const best = (sets: number[][], w: number[], k: number, pinned: number[], excluded: Set<number>) => {
			let top = 0;
			const pick = (from: number, left: number, chosen: number[]) => {
				top = Math.max(top, valueOf(sets, w, [...pinned, ...chosen]));
				if (!left) return;
				for (let c = from; c < sets.length; c++) if (!pinned.includes(c) && !excluded.has(c)) pick(c + 1, left - 1, [...chosen, c]);
			};
			pick(0, k, []);
			return top;
		};
		for (let round = 0; round < 60; round++) {
			const sets = randomSets(12, 16);
			const w = Array.from({ length: 16 }, () => 1 + Math.floor(rnd() * 9));
			const k = 1 + (round % 4);
			const pinned = round % 3 === 0 ? [Math.floor(rnd() * 12)] : [];
			const excluded = new Set(round % 2 === 0 ? [Math.floor(rnd() * 12), Math.floor(rnd() * 12)] : []);
			const inst = instance(sets, w);
			const r = await chooseSites(inst, k, { pinned, excluded });
			const g = greedyCelf(inst, k, { pinned, excluded });
			expect(r.value).toBe(best(sets, w, k, pinned, excluded));
			expect(r.value).toBeGreaterThanOrEqual(g.value);
			expect(r.optimal).toBe(true);
			expect(r.picks.filter((p) => p.pinned).map((p) => p.candidate)).toEqual(pinned);
			expect(r.picks.slice(0, pinned.length).filter((p) => !p.pinned)).toEqual([]);
			expect(r.picks.filter((p) => !p.pinned).length).toBeLessThanOrEqual(k);
			expect(r.picks.some((p) => !p.pinned && excluded.has(p.candidate))).toBe(false);
			expect(r.picks.reduce((a, p) => a + p.gain, 0)).toBe(r.value);
			expect(await chooseSites(inst, k, { pinned, excluded })).toEqual(r);
		}
	});
});
