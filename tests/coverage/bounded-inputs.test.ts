// Issue 8, finding 1 ("one request blocks the whole server"): a what-if or a pinned site far from
// the caller's area is refused with a 400 before any work, while other requests are served; the
// snapper's search is bounded by the network's extent wherever the point lies; analyses yield to
// the event loop and run under a time budget (503 or a partial answer past it); on server PostGIS
// the app role's statements and idle transactions have time limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { isHttpError } from '@sveltejs/kit';
import { backends, freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { buildGraph, Snapper, toX, toY, type RoadGraph, type RoadLine } from '../../src/lib/server/coverage/graph.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import {
	candidateSites,
	greedyCelf,
	refineBySwaps,
	refineBySwapsSteps,
	suggestFromCandidates,
	suggestSites,
	type CoverInstance
} from '../../src/lib/server/coverage/suggest.ts';
import { whatIf } from '../../src/lib/server/coverage/whatif.ts';
import { ANALYSIS_LIMITS, AnalysisBusy, AnalysisTimeout, Budget, runBudgeted, withAnalysisSlot } from '../../src/lib/server/coverage/budget.ts';
import { areaBox } from '../../src/lib/server/coverage/area-box.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import * as whatIfRoute from '../../src/routes/api/coverage/whatif/+server.ts';
import * as suggestRoute from '../../src/routes/api/coverage/suggest/+server.ts';
import * as summaryRoute from '../../src/routes/api/areas/[code=areacode]/summary/+server.ts';
import { D, G111, S1, insertFixture, lon, lat } from './fixture.ts';

// ─── the snapper ──────────────────────────────────────────────────────────────────────────────

/** The nearest edge by looking at every edge, with the snapper's own arithmetic and tie rule. */
function bruteNearest(g: RoadGraph, plon: number, plat: number) {
	const x = toX(g.frame, plon),
		y = toY(g.frame, plat);
	let best = -1,
		bestD2 = Infinity,
		bestT = 0;
	for (let e = 0; e < g.edgeCount; e++) {
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
		if (d2 < bestD2 || (d2 === bestD2 && e < best)) [best, bestD2, bestT] = [e, d2, t];
	}
	return { edge: best, offset: bestT * g.edgeLen[best], distance: Math.sqrt(bestD2) };
}

const line = (id: number, xy: [number, number][]): RoadLine => ({ id, coords: xy.map(([x, y]) => [lon(x), lat(y)] as const) });

/** A 10 km × 6 km lattice with a vertex every 100 m along its streets, and a diagonal. */
function district(): RoadGraph {
	const roads: RoadLine[] = [];
	let id = 1;
	for (let y = 0; y <= 6000; y += 500)
		roads.push(
			line(
				id++,
				Array.from({ length: 101 }, (_, k) => [k * 100, y] as [number, number])
			)
		);
	for (let x = 0; x <= 10_000; x += 500)
		roads.push(
			line(
				id++,
				Array.from({ length: 61 }, (_, k) => [x, k * 100] as [number, number])
			)
		);
	roads.push(
		line(id++, [
			[0, 0],
			[3000, 1800],
			[10_000, 6000]
		])
	);
	return buildGraph(roads);
}

describe('the snapper is bounded by the network, not by the point', () => {
	const g = district();
	const snapper = new Snapper(g);

	it('answers a point at the other end of the Earth at once, with the exact nearest edge', () => {
		const far: [number, number][] = [
			[-179.9, -84.9], // the attacker's point
			[179.9, 84.9],
			[-179.9, 84.9],
			[179.9, -84.9],
			[lon(-3_000_000), lat(3000)], // 3,000 km west, level with the lattice
			[lon(5000), lat(-2_000_000)], // 2,000 km south
			[lon(50_000), lat(40_000)] // 50 km off a corner
		];
		snapper.nearest(lon(100), lat(100)); // warm-up
		for (const [plon, plat] of far) {
			const t0 = performance.now();
			const s = snapper.nearest(plon, plat)!;
			const ms = performance.now() - t0;
			expect(ms, `${plon},${plat} took ${ms.toFixed(1)} ms`).toBeLessThan(50);
			expect(s).toEqual(bruteNearest(g, plon, plat));
		}
	});

	it('gives the exact nearest edge inside, near and far outside the grid (ties to the lower edge)', () => {
		const coord = fc.oneof(
			fc.double({ min: -500, max: 10_500, noNaN: true }),
			fc.double({ min: -30_000, max: 40_000, noNaN: true }),
			fc.integer({ min: -20, max: 220 }).map((k) => k * 50), // on streets and vertices: ties
			fc.double({ min: -5e6, max: 5e6, noNaN: true })
		);
		fc.assert(
			fc.property(coord, coord, (x, y) => {
				expect(snapper.nearest(lon(x), lat(y))).toEqual(bruteNearest(g, lon(x), lat(y)));
			}),
			{ numRuns: 1500, seed: 8 }
		);
	});

	it('refuses a point beyond a maximum snapping distance, without searching', () => {
		expect(snapper.nearest(lon(-1000), lat(3000), 999)).toBeNull();
		expect(Math.abs(snapper.nearest(lon(-1000), lat(3000), 1001)!.distance - 1000)).toBeLessThan(1);
		expect(snapper.nearest(-179.9, -84.9, 10_000)).toBeNull();
		expect(snapper.nearest(Number.NaN, 30)).toBeNull();
	});
});

// ─── budgets ──────────────────────────────────────────────────────────────────────────────────

/** A seeded random cover instance: n candidates each covering `per` of m demand items. */
function randomInstance(n: number, m: number, per: number, seed = 1): CoverInstance {
	let s = seed;
	const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
	const start = new Int32Array(n + 1);
	const items: number[] = [];
	for (let c = 0; c < n; c++) {
		const mine = new Set<number>();
		const centre = Math.floor(rand() * m);
		while (mine.size < per) mine.add((centre + Math.floor(rand() * per * 4)) % m);
		items.push(...[...mine].sort((a, b) => a - b));
		start[c + 1] = items.length;
	}
	return { weights: Float64Array.from({ length: m }, () => 1 + Math.floor(rand() * 20)), start, items: Int32Array.from(items) };
}

describe('analyses run in slices under a time budget', () => {
	const inst = randomInstance(20_000, 100_000, 150);
	const greedy = greedyCelf(inst, 20);

	it('yields to the event loop while it works, and gets the same answer as without pausing', async () => {
		const t0 = performance.now();
		const plain = refineBySwaps(inst, greedy);
		const plainMs = performance.now() - t0;
		expect(plainMs, 'the instance should take a while to refine').toBeGreaterThan(60);
		// a timer due in 5 ms must fire during the analysis, not after it
		const budget = new Budget(60_000, 5);
		const started = performance.now();
		let firedAt = Infinity;
		setTimeout(() => (firedAt = performance.now() - started), 5);
		const sliced = await runBudgeted(refineBySwapsSteps(inst, greedy), budget, { anytime: true });
		const total = performance.now() - started;
		expect(sliced).toEqual(plain);
		expect(sliced.complete).toBe(true);
		expect(budget.yields).toBeGreaterThan(3);
		// the timer fires while the analysis still runs (not at its end), however loaded the machine
		expect(firedAt).toBeLessThan(total / 2);
	});

	it('stops the swaps where the budget ends and returns the best set found so far', async () => {
		const t0 = performance.now();
		const partial = await runBudgeted(refineBySwapsSteps(inst, greedy), new Budget(30, 5), { anytime: true });
		expect(performance.now() - t0).toBeLessThan(200);
		expect(partial.complete).toBe(false);
		expect(partial.value).toBeGreaterThanOrEqual(greedy.value);
		expect(partial.picks.reduce((a, p) => a + p.gain, 0)).toBe(partial.value);
		// work that has no answer before its end gives up instead
		const g = await import('../../src/lib/server/coverage/suggest.ts');
		await expect(runBudgeted(g.greedyCelfSteps(randomInstance(20_000, 30_000, 60), 20), new Budget(1, 0))).rejects.toBeInstanceOf(AnalysisTimeout);
	});

	it('lets a few analyses run at once, queues the next within their budget and turns the rest away', async () => {
		const saved = { ...ANALYSIS_LIMITS };
		Object.assign(ANALYSIS_LIMITS, { concurrent: 1, queue: 1 });
		try {
			let release!: () => void;
			const first = withAnalysisSlot(new Budget(), () => new Promise<string>((r) => (release = () => r('first'))));
			const order: string[] = [];
			const second = withAnalysisSlot(new Budget(), async () => (order.push('second'), 'second'));
			await expect(withAnalysisSlot(new Budget(), async () => 'third')).rejects.toBeInstanceOf(AnalysisBusy);
			expect(order).toEqual([]);
			release();
			expect(await first).toBe('first');
			expect(await second).toBe('second');
			// a place that does not come free within the budget
			let hold!: () => void;
			const holder = withAnalysisSlot(new Budget(), () => new Promise<void>((r) => (hold = r)));
			await expect(withAnalysisSlot(new Budget(50), async () => 'late')).rejects.toBeInstanceOf(AnalysisTimeout);
			hold();
			await holder;
			expect(await withAnalysisSlot(new Budget(), async () => 'free again')).toBe('free again');
		} finally {
			Object.assign(ANALYSIS_LIMITS, saved);
		}
	});
});

// ─── the routes ───────────────────────────────────────────────────────────────────────────────

const DB_KEY = Symbol.for('jiceng.db');

/** the fields these tests read of an answer (an error's message, what-if and suggestion results) */
interface Answer {
	message?: string;
	access_m?: number;
	partial?: boolean;
	suggestions: { pinned: boolean; gain: number }[];
}

async function call(run: () => Promise<Response>): Promise<{ status: number; body: Answer; ms: number }> {
	const t0 = performance.now();
	try {
		const r = await run();
		return { status: r.status, body: (await r.json()) as Answer, ms: performance.now() - t0 };
	} catch (e) {
		if (isHttpError(e)) return { status: e.status, body: e.body as Answer, ms: performance.now() - t0 };
		throw e;
	}
}

describe.each(backends)('analysis routes on %s PostGIS', (backend) => {
	let db: TestDb;
	let previous: unknown;
	const planner = viewerFor('planner', D, null, 'plan.one');
	const streetPlanner = viewerFor('planner', S1, null, 'plan.two');
	const locals = (viewer = planner) => ({ user: null, viewer }) as never;

	const postWhatIf = (body: unknown, viewer = planner) =>
		call(() =>
			whatIfRoute.POST({
				request: new Request('http://localhost/api/coverage/whatif', {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify(body)
				}),
				locals: locals(viewer)
			} as never)
		);
	const getSuggest = (query: string, viewer = planner) =>
		call(() =>
			suggestRoute.GET({
				url: new URL(`http://localhost/api/coverage/suggest?${query}`),
				locals: locals(viewer),
				getClientAddress: () => '10.0.0.1'
			} as never)
		);
	const getSummary = (code: string) => call(() => summaryRoute.GET({ params: { code }, locals: locals() } as never));

	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		await new CoverageEngine(db).ensure();
		const holder = globalThis as Record<symbol, unknown>;
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
		// warm the model and the area figures, as a running server has them
		expect((await postWhatIf({ lon: lon(1500), lat: lat(600) })).status).toBe(200);
		expect((await getSummary(D)).status).toBe(200);
	});
	afterAll(async () => {
		(globalThis as Record<symbol, unknown>)[DB_KEY] = previous;
		await db?.drop();
	});

	it('refuses a what-if at the other end of the Earth with a 400 at once, while another request is served', async () => {
		const [far, other] = await Promise.all([postWhatIf({ lon: -179.9, lat: -84.9 }), getSummary(G111)]);
		expect(far.status).toBe(400);
		expect(far.body.message).toMatch(/^lon\/lat .*outside your area 420105/);
		expect(far.ms).toBeLessThan(1000);
		expect(other.status).toBe(200);
		expect(other.ms).toBeLessThan(1000);
	});

	it('refuses a what-if outside the area and its 2 km margin, accepts one inside the margin', async () => {
		expect((await postWhatIf({ lon: lon(-2500), lat: lat(500) })).status).toBe(400);
		expect((await postWhatIf({ lon: lon(1000), lat: lat(3100) })).status).toBe(400);
		const near = await postWhatIf({ lon: lon(-1500), lat: lat(250) });
		expect(near.status).toBe(200);
		expect(near.body.access_m).toBeCloseTo(1500, 0);
		// a street planner's area is their street's: the other street's far end is out of it
		expect((await postWhatIf({ lon: lon(4500), lat: lat(500) }, streetPlanner)).status).toBe(400);
		expect((await postWhatIf({ lon: lon(3500), lat: lat(500) }, streetPlanner)).status).toBe(200);
		for (const bad of [{ lon: 'x', lat: 1 }, { lon: Number.POSITIVE_INFINITY, lat: 1 }, null, { lon: 200, lat: 30 }]) {
			expect((await postWhatIf(bad)).status).toBe(400);
		}
	});

	it('refuses a far pinned site with a 400 naming the pin, at once, while another request is served', async () => {
		const ok = `${lon(1500).toFixed(7)},${lat(690).toFixed(7)}`;
		const [far, other] = await Promise.all([getSuggest(`k=1&circle=1&pin=${ok};-179.9,-84.9`), getSummary(G111)]);
		expect(far.status).toBe(400);
		expect(far.body.message).toMatch(/^pin 2 .*outside your area/);
		expect(far.ms).toBeLessThan(1000);
		expect(other.status).toBe(200);
		expect(other.ms).toBeLessThan(1000);
		expect((await getSuggest(`k=1&circle=1&pin=${lon(20_000)},${lat(500)}`)).status).toBe(400);
		expect((await getSuggest(`k=1&circle=1&pin=${Array(21).fill(ok).join(';')}`)).status).toBe(400);
		// inside: the same answer as before (suggest.test.ts), not partial
		const pinned = await getSuggest(`within=${S1}&k=1&circle=1&pin=${ok}`);
		expect(pinned.status).toBe(200);
		expect(pinned.body.partial).toBe(false);
		expect(pinned.body.suggestions.map((s: { pinned: boolean; gain: number }) => [s.pinned, s.gain])).toEqual([
			[true, 5],
			[false, 24]
		]);
	});

	it('answers 503 with the reason when an analysis runs out of its budget', async () => {
		const saved = ANALYSIS_LIMITS.budgetMs;
		ANALYSIS_LIMITS.budgetMs = 0;
		try {
			const w = await postWhatIf({ lon: lon(1500), lat: lat(600) });
			expect(w.status).toBe(503);
			expect(w.body.message).toMatch(/did not finish within its 0 s budget/);
			expect((await getSuggest('k=2&circle=1')).status).toBe(503);
		} finally {
			ANALYSIS_LIMITS.budgetMs = saved;
		}
	});

	it('gets the same suggestions and what-if under a budget as without one', async () => {
		const engine = new CoverageEngine(db);
		const model = await engine.model();
		const plain = await suggestSites(db.kysely, model, { scope: S1, k: 2, circle: 1 });
		const budget = new Budget(10_000, 0);
		const sliced = await suggestFromCandidates(model, await candidateSites(db.kysely, model, S1), { scope: S1, k: 2, circle: 1 }, budget);
		expect(sliced).toEqual(plain);
		expect(budget.yields).toBeGreaterThan(0);
		const w = await whatIf(db.kysely, model, lon(1500), lat(600), S1, undefined, new Budget(10_000, 0));
		expect(w).toEqual(await whatIf(db.kysely, model, lon(1500), lat(600), S1));
	});

	it('caches the area box per data version and follows a change of the outline', async () => {
		const before = (await areaBox(db.kysely, S1, 0))!;
		expect(before.west).toBeCloseTo(lon(0), 9);
		expect(before.east).toBeCloseTo(lon(2000), 9);
		await sql`update area set geom = ST_Multi(ST_Translate(geom, 0.01, 0)) where code = ${S1}`.execute(db.kysely);
		try {
			expect((await areaBox(db.kysely, S1, 0))!.west).toBeCloseTo(lon(0) + 0.01, 9);
		} finally {
			await sql`update area set geom = ST_Multi(ST_Translate(geom, -0.01, 0)) where code = ${S1}`.execute(db.kysely);
		}
		expect(await areaBox(db.kysely, '420105999')).toBeNull();
	});
});

// ─── time limits of the app role ──────────────────────────────────────────────────────────────

describe.each(backends)('time limits of the app role on %s PostGIS', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
	});
	afterAll(() => db?.drop());

	it('records them with the migrations (sql/010)', async () => {
		const { rows } = await sql<{ c: string[] }>`
			select s.setconfig as c from pg_db_role_setting s
			where s.setrole = (select oid from pg_roles where rolname = 'jiceng_app')
			  and s.setdatabase = (select oid from pg_database where datname = current_database())`.execute(db.kysely);
		expect(rows[0]?.c).toEqual(expect.arrayContaining(['statement_timeout=30s', 'idle_in_transaction_session_timeout=60s']));
	});

	/** a handle of its own on the test database, gone (not only closing) once `close` returns */
	async function appHandle(name: string, poolSize: number) {
		const url = new URL(db.url!);
		url.searchParams.set('application_name', name);
		const h = await openDb({ backend: 'server', url: url.toString(), poolSize }, { appRole: true });
		const end = h.close;
		return Object.assign(h, {
			close: async () => {
				await end();
				// the pool ends its clients without waiting for their sockets: wait, so that dropping the database kills nobody
				for (let k = 0; k < 100; k++) {
					const {
						rows: [r]
					} = await sql<{ n: number }>`select count(*)::int4 as n from pg_stat_activity where application_name = ${name}`.execute(db.kysely);
					if (!r.n) return;
					await new Promise((r) => setTimeout(r, 20));
				}
			}
		});
	}

	it.skipIf(backend !== 'server' || !serverUrl)('sets them on every connection of the app-role handle, following the role', async () => {
		const app = await appHandle('bounded-inputs-app', 2);
		try {
			const {
				rows: [s]
			} = await sql<{ who: string; st: string; idle: string }>`
				select current_user as who, current_setting('statement_timeout') as st,
				       current_setting('idle_in_transaction_session_timeout') as idle`.execute(app.kysely);
			expect(s).toEqual({ who: 'jiceng_app', st: '30s', idle: '1min' });
		} finally {
			await app.close();
		}
		// tuned with ALTER ROLE, the pool follows: a statement over the limit is cancelled
		await sql.raw(`alter role jiceng_app in database ${db.url!.split('/').pop()} set statement_timeout = '200ms'`).execute(db.kysely);
		const tuned = await appHandle('bounded-inputs-tuned', 1);
		try {
			const t0 = performance.now();
			await expect(sql`select pg_sleep(2)`.execute(tuned.kysely)).rejects.toThrow(/statement timeout/);
			expect(performance.now() - t0).toBeLessThan(1500);
		} finally {
			await tuned.close();
		}
	});
});
