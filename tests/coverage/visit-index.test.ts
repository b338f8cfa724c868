// Visit coverage in the coverage index (issue 11 part 2, sql/023): a visit queues its change with
// itself (sql/030) and the pass after its commit moves the served visit figures, the work score and
// the index of the areas above it — with no new generation and no data version — their ranks moments
// later, and what they leave equals a full count from the visits (the second way to the same
// figures); a change a count already saw is not added again; visits never wait for the count lock;
// a new day, or visits written while a recompute counted, are counted again in the background;
// coverage tiles follow without a data version.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { SYSTEM, withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { INDEX_WEIGHTS } from '../../src/lib/server/coverage/ranking.ts';
import { COUNT_LOCK, recountVisits, visitChangesPassSql, visitedSql } from '../../src/lib/server/coverage/visits.ts';
import { visitChanges } from '../../src/lib/server/coverage/visit-changes.ts';
import { areaCoverage } from '../../src/lib/server/db/queries/coverage.ts';
import { editVisit, recordVisit, type VisitActor } from '../../src/lib/server/db/queries/visits.ts';
import { VISIT_INDEX_WINDOW_DAYS, VISIT_WINDOWS_DAYS } from '../../src/lib/coverage-rules.ts';
import { AREA_CODE_LENGTH } from '../../src/lib/api/inputs.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { coverageState } from '../../src/lib/server/coverage/store.ts';
import { screenTag } from '../../src/lib/server/screen/figures.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';

const secretary: VisitActor = { accountId: 30, username: 'u_secretary', role: 'community_secretary' };

describe.each(backends)('visit coverage in the index on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the handle the web server serves with: on a server, the app role, row-level security on (fixtures are written as the owner) */
	let app: Db;
	let engine: CoverageEngine;
	let grid: string;
	let households: number[];
	const as = <T>(scope: string, fn: (trx: Scoped) => Promise<T>) => withScope(app, scope, fn);
	/** a visit as the route makes it: recorded (its change queued), then the pass after the commit */
	const visit = async (household_id: number, visited_on?: string) => {
		const saved = await queued(household_id, visited_on);
		await visitChanges(app).pass();
		return saved;
	};
	/** a visit recorded, its change queued and not yet applied */
	const queued = (household_id: number, visited_on?: string) =>
		as(grid.slice(0, 12), (trx) =>
			recordVisit(trx, secretary, { client_id: randomUUID(), household_id, kind: 'routine', ...(visited_on ? { visited_on } : {}) })
		);
	const pending = async () => Number((await sql<{ n: string }>`select count(*) as n from visit_window_change`.execute(db.kysely)).rows[0].n);
	const daysAgo = async (n: number) => (await sql<{ d: string }>`select (current_date - ${n}::int)::text as d`.execute(db.kysely)).rows[0].d;
	const ancestors = () => [grid.slice(0, 6), grid.slice(0, 9), grid.slice(0, 12), grid];
	/** the count lock held by a transaction of its own (a long pass, ranking or recount) until release() */
	async function holdCountLock(): Promise<{ release: () => Promise<void> }> {
		let free!: () => void;
		const freed = new Promise<void>((ok) => (free = ok));
		let held!: () => void;
		const holding = new Promise<void>((ok) => (held = ok));
		const holder = withScope(app, SYSTEM, async (trx) => {
			await sql`select pg_advisory_xact_lock(${COUNT_LOCK})`.execute(trx);
			held();
			await freed;
		});
		await holding;
		return {
			release: async () => {
				free();
				await holder;
			}
		};
	}

	/** every figure a visit can move, of every area and organisation, as served */
	async function served() {
		const areas = await sql<Record<string, unknown>>`
			select code, hh_visited_30d, hh_visited_90d, work_score, coverage_index::float8 as coverage_index, rank, rank_of, rectify
			from area_coverage order by code`.execute(db.kysely);
		const orgs = await sql<Record<string, unknown>>`
			select org_id::int as org_id, work_score, coverage_index::float8 as coverage_index, rank, rank_of, rectify from org_coverage order by org_id`.execute(
			db.kysely
		);
		return { areas: areas.rows, orgs: orgs.rows };
	}
	const run = async () => {
		const s = await coverageState(db.kysely);
		return { gen: s.gens.result, visit_roll: s.visitRoll, stale: s.visitsStale, ranksStale: s.ranksStale };
	};
	/** waits for the background recount the status started */
	const settled = async () => {
		const behind = async () => {
			const r = await run();
			return r.stale || r.ranksStale;
		};
		for (let i = 0; i < 200 && (await behind()); i++) {
			await engine.status();
			await new Promise((ok) => setTimeout(ok, 100));
		}
		expect(await behind()).toBe(false);
	};

	/** the stored counts of every area equal a direct count of the visits */
	async function expectCountsLive() {
		for (const days of VISIT_WINDOWS_DAYS) {
			const { rows } = await sql<{ code: string; stored: number; live: number }>`
				select c.code, c.${sql.ref(`hh_visited_${days}d`)} as stored, ${visitedSql(sql`c.code`, days)} as live from area_coverage c`.execute(db.kysely);
			expect(rows.length).toBeGreaterThan(5);
			expect(rows.filter((r) => r.stored !== r.live)).toEqual([]);
		}
	}

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 5 });
		const { rows } = await sql<{ grid: string; hh: number[] }>`
			select h.grid_code as grid, array_agg(h.id::int order by h.id) as hh from household h
			group by h.grid_code order by count(*) desc, h.grid_code limit 1`.execute(db.kysely);
		[grid, households] = [rows[0].grid, rows[0].hh];
		expect(households.length).toBeGreaterThan(10);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 8 }, { appRole: true }) : db;
		engine = new CoverageEngine(app, undefined, { log: () => {} });
		await engine.ensure();
		await settled();
	}, 240_000);
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});

	it('a visit moves the visit figures, work score and index of every area above it at once, their ranks moments later, as a full count does', async () => {
		const before = await Promise.all(ancestors().map((code) => as(SYSTEM, (trx) => areaCoverage(trx, code, ''))));
		const { gen, visit_roll } = await run();
		const version = (await sql<{ version: string }>`select version::text from data_version`.execute(db.kysely)).rows[0].version;
		await visit(households[0]);
		const after = await Promise.all(ancestors().map((code) => as(SYSTEM, (trx) => areaCoverage(trx, code, ''))));
		for (const [i, a] of after.entries()) {
			const b = before[i]!;
			expect([a!.hh_visited_30d, a!.hh_visited_90d], a!.code).toEqual([b.hh_visited_30d + 1, b.hh_visited_90d + 1]);
			// W = the mean of looked after and visited (in the index's window); the index from S, O, W
			const visited = a![`hh_visited_${VISIT_INDEX_WINDOW_DAYS}d`];
			expect(a!.work_score, a!.code).toBeCloseTo((a!.hh_cared / a!.households + visited / a!.households) / 2, 4);
			const W = INDEX_WEIGHTS;
			const index =
				(100 * (W.service * a!.service_score! + W.organisation * a!.organisation_score! + W.work * a!.work_score!)) / (W.service + W.organisation + W.work);
			expect(a!.coverage_index!, a!.code).toBeCloseTo(index, 0);
			expect(a!.work_score!, a!.code).toBeGreaterThan(b.work_score!);
		}
		// no new generation, no data version: the visit moved the served figures where they are
		expect((await run()).gen).toBe(gen);
		expect(Number((await run()).visit_roll)).toBe(Number(visit_roll) + 1);
		expect((await sql<{ version: string }>`select version::text from data_version`.execute(db.kysely)).rows[0].version).toBe(version);
		// a second visit to the household in the windows moves nothing
		await visit(households[0]);
		expect(Number((await run()).visit_roll)).toBe(Number(visit_roll) + 1);
		await expectCountsLive();
		// what the visits left equals counting them all again (the ranks of areas and organisations too)
		for (const [i, hh] of households.slice(1, 8).entries()) await visit(hh, await daysAgo(i * 17));
		await expectCountsLive();
		// the ranks follow in the background, at the next read (sql/027)
		expect((await run()).ranksStale).toBe(true);
		await settled();
		const incremental = await served();
		expect(await recountVisits(app)).toBe(true);
		expect(await served()).toEqual(incremental);
	});

	it('takes first visits in many grids at once without a deadlock, and counts every one', async () => {
		// each moves the rows of its grid, community, street and the district, then ranks every area
		// and organisation again: writers that took those rows in their own order deadlocked (a
		// grid leaders' morning under load: 26 of 855 writes answered 500 in bench:load)
		const { rows } = await sql<{ id: number }>`
			select distinct on (h.grid_code) h.id::int as id from household h
			where h.grid_code <> ${grid} and not exists (select 1 from visit v where v.household_id = h.id)
			order by h.grid_code, h.id limit 24`.execute(db.kysely);
		expect(rows.length).toBeGreaterThan(12);
		const district = grid.slice(0, 6);
		const { visit_roll } = await run();
		// each writer asks for a pass after its commit, as the route does: passes take what is queued
		const outcomes = await Promise.allSettled(
			rows.map(async (r) => {
				await as(district, (trx) => recordVisit(trx, secretary, { client_id: randomUUID(), household_id: r.id, kind: 'routine' }));
				await visitChanges(app).pass();
			})
		);
		expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
		expect(await pending()).toBe(0);
		// one roll per pass that moved figures: at least one, at most one per visit
		const rolled = Number((await run()).visit_roll) - Number(visit_roll);
		expect(rolled).toBeGreaterThanOrEqual(1);
		expect(rolled).toBeLessThanOrEqual(rows.length);
		await expectCountsLive();
		await settled();
		const incremental = await served();
		expect(await recountVisits(app)).toBe(true);
		expect(await served()).toEqual(incremental);
	});

	it('an edit that moves a visit out of the windows takes its household out of the figures', async () => {
		const hh = households[9];
		const code = grid;
		const start = (await as(SYSTEM, (trx) => areaCoverage(trx, code, '')))!;
		const { visit: made } = await visit(hh);
		expect((await as(SYSTEM, (trx) => areaCoverage(trx, code, '')))!.hh_visited_30d).toBe(start.hh_visited_30d + 1);
		// the big screen's tag moves with it (an edit makes no new visit id)
		const tag = await screenTag(app, 1, 20);
		await as(grid.slice(0, 12), (trx) => editVisit(trx, secretary, made.id, { visited_on: '2020-01-01' }));
		await visitChanges(app).pass();
		expect(await screenTag(app, 1, 20)).not.toBe(tag);
		const back = (await as(SYSTEM, (trx) => areaCoverage(trx, code, '')))!;
		expect([back.hh_visited_30d, back.hh_visited_90d, back.coverage_index]).toEqual([start.hh_visited_30d, start.hh_visited_90d, start.coverage_index]);
		await expectCountsLive();
	});

	// a server's concurrent writers (the embedded database has one connection: everything waits its turn there)
	it.skipIf(backend === 'embedded')('records visits while the count lock is held, and applies their changes once it is free', async () => {
		// a pass, a ranking or a recount holding the lock for long: writers do not wait for it
		const hh = households.slice(18, 21);
		expect(hh.length).toBe(3);
		const start = (await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!;
		const lock = await holdCountLock();
		try {
			const writes = Promise.all(hh.map((h) => queued(h)));
			const bounded = await Promise.race([writes.then(() => 'written'), new Promise((ok) => setTimeout(() => ok('waited'), 5000))]);
			expect(bounded).toBe('written');
			expect(await pending()).toBe(3);
			// a writer's bounded wait for its pass ends while the lock is held; the change stays queued
			const t = performance.now();
			await visitChanges(app).settle(300);
			expect(performance.now() - t).toBeLessThan(3000);
			expect((await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!.hh_visited_30d).toBe(start.hh_visited_30d);
		} finally {
			await lock.release();
		}
		await visitChanges(app).pass();
		expect(await pending()).toBe(0);
		expect((await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!.hh_visited_30d).toBe(start.hh_visited_30d + 3);
		await expectCountsLive();
	});

	// a server's concurrent transactions (the embedded database has one connection)
	it.skipIf(backend === 'embedded')('answers a visit that queued nothing without waiting for a pass', async () => {
		// a pass holding the count lock for long: a writer with nothing queued does not wait for the next
		expect(await pending()).toBe(0);
		const lock = await holdCountLock();
		try {
			const t = performance.now();
			await visitChanges(app).settle(3000);
			expect(performance.now() - t).toBeLessThan(1500);
		} finally {
			await lock.release();
		}
	});

	it('a change a count already saw is not added again: a recount, or a recompute that served a new generation', async () => {
		// queued, then counted by a recount before any pass: the pass drops it
		const start = (await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!;
		await queued(households[21]);
		expect(await pending()).toBe(1);
		expect(await recountVisits(app)).toBe(true);
		expect((await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!.hh_visited_30d).toBe(start.hh_visited_30d + 1);
		expect(await visitChanges(app).pass()).toBe(1);
		expect((await as(SYSTEM, (trx) => areaCoverage(trx, grid, '')))!.hh_visited_30d).toBe(start.hh_visited_30d + 1);
		await expectCountsLive();
		// queued, then a recompute counts it into a new generation and serves it: the pass drops it too
		const { gen } = await run();
		await queued(households[22]);
		await sql`update party_org set secretary_id = null where id = (select min(id) from party_org where secretary_id is not null)`.execute(db.kysely);
		await engine.ensure();
		expect((await run()).gen).not.toBe(gen);
		expect(await pending()).toBe(1);
		expect(await visitChanges(app).pass()).toBe(1);
		await expectCountsLive();
		// and one queued after that count is added by the pass
		await visit(households[23]);
		expect(await pending()).toBe(0);
		await expectCountsLive();
		await settled();
	});

	it('applies the changes a stopped writer left queued once the coverage status sees them', async () => {
		// recorded and committed, its pass never asked for (the process stopped after the commit)
		await queued(households[17]);
		expect(await pending()).toBe(1);
		await expect
			.poll(
				async () => {
					await engine.status();
					return pending();
				},
				{ timeout: 10_000 }
			)
			.toBe(0);
		await expectCountsLive();
	});

	it('a new day counts every area again in the background, and the coverage tiles follow without a data version', async () => {
		// the windows moved: a visit 60 days old yesterday is 61 days old today (written here as the
		// owner, past the visit path, so only the new day's count can find it)
		const hh = households[10];
		await withScope(db, SYSTEM, (trx) =>
			sql`insert into visit (client_id, household_id, grid_code, visitor_name, kind, visited_on)
				values (${randomUUID()}, ${hh}, ${grid}, 'x', 'routine', current_date - 20)`.execute(trx)
		);
		await sql`update area_coverage set visits_on = visits_on - 1`.execute(db.kysely);
		expect((await run()).stale).toBe(true);
		const tiles = new TileService(app, { versionTtlMs: 0 });
		const z = 14;
		const { rows } = await sql<{ lon: number; lat: number }>`
			select ST_X(p) as lon, ST_Y(p) as lat from area, lateral (select ST_PointOnSurface(geom) as p) q where code = ${grid}`.execute(db.kysely);
		const x = Math.floor(((rows[0].lon + 180) / 360) * 2 ** z);
		const lat = (rows[0].lat * Math.PI) / 180;
		const y = Math.floor(((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * 2 ** z);
		// read once (this read finds the figures of another day and starts the count) …
		const first = await tiles.tile('coverage_grid', { z, x, y });
		expect(first.tile.gzip).not.toBeNull();
		await expect.poll(async () => (await engine.status()).visit_roll, { timeout: 20_000 }).toBeGreaterThan(first.coverage!.visit_roll);
		// the roll also moves when ranks left stale by the test before are ranked: wait for the count itself
		await expect.poll(async () => (await run()).stale, { timeout: 20_000 }).toBe(false);
		await expectCountsLive();
		// … and the tile is built again for the figures counted, not served from the cache
		const again = await tiles.tile('coverage_grid', { z, x, y });
		expect(again.source).toBe('miss');
		expect(again.version).toBe(first.version);
		expect((await tiles.tile('coverage_grid', { z, x, y })).source).toBe('hit');
	});

	// (the embedded database is one connection: a lock held by a transaction holds every other query)
	it.skipIf(backend === 'embedded')('a new day seen by two engines at once (two processes) is counted once: the roll moves by one', async () => {
		await settled();
		await sql`update area_coverage set visits_on = visits_on - 1`.execute(db.kysely);
		// the lock held (by a long pass elsewhere) while both read the figures of another day
		const lock = await holdCountLock();
		const before = await coverageState(app.kysely);
		expect(before.visitsStale).toBe(true);
		const other = new CoverageEngine(app, undefined, { log: () => {} });
		await Promise.all([engine.status(), other.status()]);
		await lock.release();
		// both counts asked for; the second to take the lock finds the figures counted and leaves them
		await Promise.all([engine.visitWorkDone(), other.visitWorkDone()]);
		const after = await coverageState(app.kysely);
		expect(after.visitsStale).toBe(false);
		expect(after.visitRoll).toBe(before.visitRoll + 1);
		await expectCountsLive();
	});

	it('visits written while a recompute counts are counted again after it', async () => {
		// a write that needs a recompute, and visits recorded while it runs
		await sql`update party_org set secretary_id = null where id = (select min(id) from party_org where secretary_id is not null)`.execute(db.kysely);
		const recompute = engine.ensure();
		for (const [i, hh] of households.slice(11, 17).entries()) await visit(hh, await daysAgo(i * 5));
		await recompute;
		await settled();
		await expectCountsLive();
		const counted = await served();
		await recountVisits(app);
		expect(await served()).toEqual(counted);
	});

	it("plans a pass for its changes' grids and their four levels, not for every area of the district", async () => {
		// Chaoyang (bench:load): with the areas' code lengths read from the 5,000 rows, the planner
		// sized the per-area sums of five changes for millions of groups (12 MB of hash table, 50 ms),
		// and the update read every area row. Planned here on the seeded district, changes queued.
		interface Node {
			'Node Type': string;
			'Group Key'?: string[];
			'Plan Rows': number;
			'Relation Name'?: string;
			Plans?: Node[];
		}
		const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
		const { gen } = await run();
		const plan = await withScope(db, SYSTEM, async (trx) => {
			await sql`insert into visit_window_change (grid_code, deltas)
				select code, ${`{${VISIT_WINDOWS_DAYS.map(() => 1).join(',')}}`}::int2[] from area where level = 'grid' order by code limit 3`.execute(trx);
			const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: Node }] }>`explain (format json) ${visitChangesPassSql(Number(gen))}`.execute(trx);
			throw Object.assign(new Error('rolled back'), { plan: rows[0]['QUERY PLAN'][0].Plan });
		}).catch((e: { plan?: Node }) => {
			if (!e.plan) throw e;
			return e.plan;
		});
		const all = nodes(plan);
		const byKey = (pattern: RegExp) => all.filter((n) => n['Node Type'] === 'Aggregate' && (n['Group Key'] ?? []).some((k) => pattern.test(k)));
		const perGrid = byKey(/^\(?taken\.grid_code\)?$/);
		const perArea = byKey(/left"?\(/);
		expect(perGrid).toHaveLength(1);
		expect(perArea).toHaveLength(1);
		// the levels above a grid are known: the sums read no area row to find them
		expect(nodes(perArea[0]).filter((n) => /^area/.test(n['Relation Name'] ?? ''))).toEqual([]);
		expect(perArea[0]['Plan Rows']).toBeLessThanOrEqual(perGrid[0]['Plan Rows'] * Object.keys(AREA_CODE_LENGTH).length);
		const areaRows = Number((await sql<{ n: string }>`select count(*) as n from area_coverage`.execute(db.kysely)).rows[0].n);
		const update = all.find((n) => n['Node Type'] === 'ModifyTable' && n['Relation Name'] === 'area_coverage_gen');
		expect(update?.['Plan Rows']).toBeLessThan(areaRows);
	});
});
