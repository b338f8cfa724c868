// The residents' request figures beside the coverage index (issue 11 part 3: "their figures reach
// the rankings"), on both backends: every area row of the rankings carries its requests, open and
// overdue ones, and the mean response and resolution hours, equal to a direct count of the request
// table; the same numbers as requestTimesByArea (one query path); within a grid leader's scope only
// their grid; withheld when small for a viewer who sees no persons, like the other counts; the index
// itself unchanged by them.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { rankings, type RankLevel } from '../../src/lib/server/db/queries/coverage.ts';
import { requestActivity, requestTimesByArea } from '../../src/lib/server/db/queries/requests.ts';
import { areaCoverageRowsFor } from '../../src/lib/server/privacy/coverage.ts';
import { areaRankingsCsv } from '../../src/lib/server/coverage/export.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { G111, G112, G121, G211, S1, insertFixture } from './fixture.ts';
import { everyOf } from '../helpers/every-of.ts';

/** [grid, state, hours before now it was made, hours to acceptance, hours to resolution] */
const REQUESTS: [string, string, number, number | null, number | null][] = [
	[G111, 'submitted', 1000, null, null], // red: past twice its 24 h
	[G111, 'accepted', 1000, 2, null], // red: 168 h to resolve, twice is 336
	[G111, 'in_progress', 1, 0.5, null],
	[G111, 'resolved', 1000, 4, 30], // resolved: never overdue
	[G111, 'confirmed', 1000, 6, 50],
	[G112, 'submitted', 1, null, null],
	[G112, 'reopened', 1000, 1, null], // red
	[G121, 'submitted', 2, null, null],
	[G211, 'accepted', 200, 3, null], // amber: past 168 h, not twice
	[G211, 'confirmed', 100, 1, 10],
	[G211, 'submitted', 1, null, null]
];

describe.each(backends)("the rankings' request figures on %s PostGIS", (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		await new CoverageEngine(db).ensure();
		for (const [i, [grid, state, age, accepted, resolved]] of REQUESTS.entries()) {
			const at = (h: number | null) => (h === null ? sql`null` : sql`now() - make_interval(secs => ${(age - h) * 3600}::float8)`);
			await sql`insert into request (client_id, grid_code, geom, category, urgency, description, state, created_at, accepted_at, resolved_at)
				select ${`figures-${i}-xxxx`}, ${grid}, ST_PointOnSurface(geom), 'environment', 'normal', 'x', ${state},
				       now() - make_interval(secs => ${age * 3600}::float8), ${at(accepted)}, ${at(resolved)}
				from area where code = ${grid}`.execute(db.kysely);
		}
	});
	afterAll(() => db?.drop());

	/** the figures counted straight from the request table, with the time limits' own arithmetic left out */
	async function direct(code: string) {
		const { rows } = await sql<{ requests: number; open: number; overdue: number; response: number | null; resolution: number | null }>`
			select count(*)::int as requests, count(*) filter (where state <> 'confirmed')::int as open,
			       count(*) filter (where state in ('submitted', 'accepted', 'in_progress', 'reopened') and created_at < now() - interval '168 hours')::int as overdue,
			       avg(extract(epoch from accepted_at - created_at) / 3600)::float8 as response,
			       avg(extract(epoch from resolved_at - created_at) / 3600)::float8 as resolution
			from request where grid_code like ${`${code}%`}`.execute(db.kysely);
		return rows[0];
	}

	it('gives every area of every level its requests, open, overdue and mean hours, equal to a direct count', async () => {
		let withRequests = 0;
		for (const level of ['street', 'community', 'grid'] as RankLevel[]) {
			const rows = await withScope(db, SYSTEM, (trx) => rankings(trx, level, ''));
			expect(rows.length, level).toBeGreaterThan(0);
			for (const r of rows) {
				const d = await direct(r.code);
				expect({ code: r.code, requests: r.requests, open: r.requests_open, overdue: r.requests_overdue }).toEqual({
					code: r.code,
					requests: d.requests,
					open: d.open,
					overdue: d.overdue
				});
				if (d.response === null) expect(r.response_hours).toBeNull();
				else expect(r.response_hours).toBeCloseTo(d.response, 2);
				if (d.resolution === null) expect(r.resolution_hours).toBeNull();
				else expect(r.resolution_hours).toBeCloseTo(d.resolution, 2);
				if (d.requests) withRequests++;
			}
		}
		expect(withRequests, 'areas with requests, or this proves nothing').toBeGreaterThan(5);
		// by construction: 西 street S1 holds G111, G112 and G121
		const s1 = (await withScope(db, SYSTEM, (trx) => rankings(trx, 'street', ''))).find((r) => r.code === S1)!;
		expect([s1.requests, s1.requests_open, s1.requests_overdue]).toEqual([8, 7, 3]);
		expect(s1.response_hours).toBeCloseTo((2 + 0.5 + 4 + 6 + 1) / 5, 2);
		expect(s1.resolution_hours).toBeCloseTo((30 + 50) / 2, 2);
	});

	it('reads the same figures as requestTimesByArea (one query path) and leaves the index alone', async () => {
		for (const level of ['street', 'community', 'grid'] as RankLevel[]) {
			const [rows, times] = await withScope(db, SYSTEM, async (trx) => [await rankings(trx, level, ''), await requestTimesByArea(trx, level)] as const);
			const byCode = new Map(times.map((t) => [t.code, t]));
			for (const r of rows) {
				const t = byCode.get(r.code)!;
				expect([r.requests, r.requests_open, r.requests_overdue, r.response_hours, r.resolution_hours]).toEqual([
					t.requests,
					t.open,
					t.overdue,
					t.response_hours,
					t.resolution_hours
				]);
			}
		}
		const { rows } = await sql<{
			code: string;
			coverage_index: number | null;
		}>`select code, coverage_index::float8 as coverage_index from area_coverage`.execute(db.kysely);
		const ranked = await withScope(db, SYSTEM, (trx) => rankings(trx, 'grid', ''));
		for (const r of ranked) expect(r.coverage_index).toBe(rows.find((x) => x.code === r.code)!.coverage_index);
	});

	it("gives the big screen's open and overdue counts from the same path, inside the caller's scope", async () => {
		const s1 = (await withScope(db, SYSTEM, (trx) => rankings(trx, 'street', ''))).find((r) => r.code === S1)!;
		const screen = await withScope(db, SYSTEM, (trx) => requestActivity(trx, S1));
		expect([screen.open, screen.overdue]).toEqual([s1.requests_open, s1.requests_overdue]);
		// a screen of the whole street in a grid leader's transaction counts their grid only; another street's, nothing
		expect(await withScope(db, G111, async (trx) => ({ ...(await requestActivity(trx, S1)) }))).toMatchObject({ open: 4, overdue: 2 });
		expect(await withScope(db, G111, async (trx) => ({ ...(await requestActivity(trx, G211)) }))).toMatchObject({ open: 0, overdue: 0 });
	});

	it("keeps a grid leader to their grid's requests", async () => {
		const rows = await withScope(db, G111, (trx) => rankings(trx, 'grid', ''));
		expect(rows.map((r) => [r.code, r.requests, r.requests_open, r.requests_overdue])).toEqual([[G111, 5, 4, 2]]);
	});

	it('withholds small request counts, and the hours over them, from a viewer who sees no persons (JSON and CSV)', async () => {
		const rows = await withScope(db, SYSTEM, (trx) => rankings(trx, 'grid', ''));
		const planner = new Map(areaCoverageRowsFor(rows, { persons: false }).map((r) => [r.code, r]));
		const secretary = new Map(areaCoverageRowsFor(rows, { persons: true }).map((r) => [r.code, r]));
		// G111: 5 requests, 4 open, 2 overdue (withheld); G112: 2 requests (withheld, and its hours), 2 open, 1 overdue
		expect(planner.get(G111)).toMatchObject({ requests: 5, requests_open: 4, requests_overdue: null });
		expect(planner.get(G111)!.suppressed).toContain('requests_overdue');
		expect(planner.get(G112)).toMatchObject({ requests: null, requests_open: null, requests_overdue: null, response_hours: null });
		expect(planner.get(G112)!.suppressed).toEqual(expect.arrayContaining(['requests', 'requests_open', 'requests_overdue', 'response_hours']));
		expect(secretary.get(G112)).toMatchObject({ requests: 2, requests_open: 2, requests_overdue: 1, response_hours: 1 });
		const csv = areaRankingsCsv(areaCoverageRowsFor(rows, { persons: false }));
		const line = csv.split('\r\n').find((l) => l.includes(G112))!;
		expect(line).toContain('<3');
		expect(csv.split('\r\n')[0]).toContain('(requests_open)');
	});

	// a server's concurrent writers (the embedded database has one connection)
	it.skipIf(backend === 'embedded')('moves requests between two grids in opposite directions at once without a deadlock (sql/031)', async () => {
		const [lo, hi] = [G111, G211].sort();
		const idIn = async (grid: string) =>
			(await sql<{ id: number }>`select id::int as id from request where grid_code = ${grid} order by id limit 1`.execute(db.kysely)).rows[0].id;
		const [fromLo, fromHi] = [await idIn(lo), await idIn(hi)];
		const move = (id: number, to: string) => withScope(db, SYSTEM, (trx) => sql`update request set grid_code = ${to} where id = ${id}`.execute(trx));
		const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
		// a third transaction holds the higher grid's row, so both moves are under way before either ends:
		// the one from the higher grid waits first, then the one from the lower grid, which by then holds its own row
		let release!: () => void;
		const released = new Promise<void>((ok) => (release = ok));
		let held!: () => void;
		const holding = new Promise<void>((ok) => (held = ok));
		const holder = withScope(db, SYSTEM, async (trx) => {
			await sql`select 1 from request_grid_figures where grid_code = ${hi} for update`.execute(trx);
			held();
			await released;
		});
		await holding;
		const down = move(fromHi, lo);
		await sleep(300);
		const up = move(fromLo, hi);
		await sleep(300);
		release();
		await holder;
		const outcomes = await Promise.allSettled([down, up]);
		expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
		// back where they were, for the next test
		await move(fromHi, hi);
		await move(fromLo, lo);
	});

	// last: it changes the requests
	it("keeps each grid's figures (sql/029) equal to a count of its requests through answers, resolutions, moves and deletions", async () => {
		/** the kept figures, and the same counted from the request table, per grid */
		const both = () =>
			withScope(db, SYSTEM, async (trx) => {
				const kept = await sql<{ grid_code: string; figures: string }>`
					select grid_code, concat_ws(' ', requests, responded, round(response_secs, 6), resolved, round(resolution_secs, 6)) as figures
					from request_grid_figures where requests <> 0 order by grid_code`.execute(trx);
				const counted = await sql<{ grid_code: string; figures: string }>`
					select grid_code, concat_ws(' ', count(*), count(accepted_at), round(coalesce(sum(extract(epoch from accepted_at - created_at)), 0), 6),
					       count(resolved_at), round(coalesce(sum(extract(epoch from resolved_at - created_at)), 0), 6)) as figures
					from request group by grid_code order by grid_code`.execute(trx);
				return { kept: kept.rows, counted: counted.rows };
			});
		const check = async (after: string) => {
			const { kept, counted } = await both();
			expect(kept, after).toEqual(counted);
		};
		await check('the inserts');
		const before = await withScope(db, SYSTEM, (trx) => rankings(trx, 'street', ''));
		expect(before.find((r) => r.code === S1)!.requests).toBe(8);
		await withScope(db, SYSTEM, async (trx) => {
			// answered, resolved, reopened (its resolution undone), moved to another grid, deleted
			await sql`update request set state = 'accepted', accepted_at = now() where grid_code = ${G121} and state = 'submitted'`.execute(trx);
			await sql`update request set state = 'resolved', resolved_at = now() where grid_code = ${G111} and state = 'in_progress'`.execute(trx);
			await sql`update request set state = 'reopened', resolved_at = null where grid_code = ${G111} and state = 'resolved' and resolved_at < now() - interval '1 hour'`.execute(
				trx
			);
			await sql`update request set grid_code = ${G211} where grid_code = ${G112} and state = 'submitted'`.execute(trx);
			await sql`delete from request where grid_code = ${G211} and state = 'confirmed'`.execute(trx);
			// a write that touches none of the figures' columns
			await sql`update request set description = 'edited' where grid_code = ${G111}`.execute(trx);
		});
		await check('answers, resolutions, a reopening, a move and a deletion');
		// the area rows add up their grids: S1 lost the request that moved to G211
		const after = await withScope(db, SYSTEM, (trx) => rankings(trx, 'street', ''));
		const s1 = after.find((r) => r.code === S1)!;
		expect(s1.requests).toBe(7);
		expect(s1.requests).toBe((await direct(S1)).requests);
		expect(s1.resolution_hours).toBeCloseTo((await direct(S1)).resolution!, 2);
		// every request gone at once
		await withScope(db, SYSTEM, (trx) => sql`delete from request`.execute(trx));
		await check('deleting every request');
		const streets = await withScope(db, SYSTEM, (trx) => rankings(trx, 'street', ''));
		expect(everyOf(streets, (r) => r.requests === 0 && r.response_hours === null, 'the streets')).toBe(true);
	});
});
