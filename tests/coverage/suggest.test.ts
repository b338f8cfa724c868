// Greedy site suggestion (CELF) against the exact optimum: HiGHS and brute force agree on small
// instances; greedy equals the optimum where the optimum is known; lazy evaluation picks what
// plain greedy picks; pinned and excluded sites; suggestions on the hand-built district.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { exactMaxCoverage, greedyCelf, suggestSites, type CoverInstance } from '../../src/lib/server/coverage/suggest.ts';
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
		best = Math.max(best, [...covered].reduce((a, i) => a + weights[i], 0));
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
		let best = -1, bestGain = 0;
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
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const randomSets = (n: number, m: number) => Array.from({ length: n }, () => [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => Math.floor(rnd() * m)))].sort((a, b) => a - b));

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
		const sets = [[0, 1, 2], [3, 4, 5], [1, 2, 3, 4]];
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
		expect(g.picks).toEqual([{ candidate: 0, gain: 3, pinned: true }, { candidate: 2, gain: 2, pinned: false }]);
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
		expect(pinned.suggestions.map((s) => [s.pinned, s.gain])).toEqual([[true, 5], [false, 24]]);
		// exclude the first suggestion: the next best site still covers the loop's households
		const again = await suggestSites(db.kysely, model, { scope: S1, k: 1, circle: 1, excluded: [r.suggestions[0].key] });
		expect(again.suggestions[0].key).not.toBe(r.suggestions[0].key);
	});
});

describe('swaps after greedy', () => {
	it('reach the optimum where greedy alone falls short, and never lose coverage', async () => {
		const { refineBySwaps, greedyCelf, exactMaxCoverage } = await import('../../src/lib/server/coverage/suggest.ts');
		// the classic trap: one big site overlaps two that together cover more
		const sets = [[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]];
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
