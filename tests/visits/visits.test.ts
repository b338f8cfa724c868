// Visits (走访, issue 11 part 2) on both backends: recording, an idempotent retry, the 24-hour edit
// window (a controlled clock), who may read and write (another grid's leader neither, by the
// application's queries and — on the server, as the app role — by row-level security alone), the
// audit rows, and the visit coverage figures against a direct count.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { everyOf } from '../helpers/every-of.ts';
import { APP_ROLE, openDb } from '../../src/lib/server/db/open.ts';
import { withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { visitChanges } from '../../src/lib/server/coverage/visit-changes.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { areaCoverage, rankings } from '../../src/lib/server/db/queries/coverage.ts';
import { areaCoverageFor } from '../../src/lib/server/privacy/coverage.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import {
	editVisit,
	lastVisitsByHousehold,
	lastVisitsOfArea,
	recordVisit,
	visitActivity,
	visitsOfHousehold,
	VisitError,
	VISITS_WEEK_DAYS,
	type VisitActor
} from '../../src/lib/server/db/queries/visits.ts';
import { newClientId, newVisitInput, VISIT_KINDS } from '../../src/lib/api/visits.ts';
import { VISIT_WINDOWS_DAYS } from '../../src/lib/coverage-rules.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';
import * as v from 'valibot';

const actor = (role: Role, accountId = 7): VisitActor => ({ accountId, username: `u_${role}_${accountId}`, role });
const leader = actor('grid_leader', 7);

/** the refusal a promise ends with ('ok' when it does not) */
async function refusal(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'ok';
	} catch (e) {
		if (e instanceof VisitError) return `${e.status} ${e.code}`;
		throw e;
	}
}

describe('the visit inputs', () => {
	it('accept a visit as the form sends it and refuse what the table would', () => {
		const ok = { client_id: newClientId(), household_id: 12, kind: 'help', visited_on: '2026-12-01', note: '送米面油', follow_up_on: '2026-12-08' };
		expect(v.safeParse(newVisitInput, ok).success).toBe(true);
		expect(v.safeParse(newVisitInput, { ...ok, kind: 'party' }).success).toBe(false);
		expect(v.safeParse(newVisitInput, { ...ok, client_id: 'short' }).success).toBe(false);
		expect(v.safeParse(newVisitInput, { ...ok, note: 'x'.repeat(501) }).success).toBe(false);
		expect(v.safeParse(newVisitInput, { ...ok, visited_on: '2026-02-30' }).success).toBe(false);
		expect(v.safeParse(newVisitInput, { ...ok, household_id: '12' }).success).toBe(false);
		expect(VISIT_KINDS).toEqual(['routine', 'help', 'follow_up', 'event']);
	});

	it('makes client ids the server accepts without crypto.randomUUID', () => {
		const saved = globalThis.crypto.randomUUID;
		const ids = new Set<string>();
		try {
			// a plain-http page: the function is missing
			Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
			for (let i = 0; i < 200; i++) ids.add(newClientId());
		} finally {
			Object.defineProperty(globalThis.crypto, 'randomUUID', { value: saved, configurable: true });
		}
		expect(ids.size).toBe(200);
		expect(everyOf([...ids], (id) => /^[A-Za-z0-9_-]{8,64}$/.test(id) && id.startsWith('v-'))).toBe(true);
	});
});

describe.each(backends)('visits on %s PostGIS', (backend) => {
	let db: TestDb;
	let grid: string;
	let otherGrid: string;
	let community: string;
	let household: number;
	let otherHousehold: number;
	let gridHouseholds: number[];
	const as = <T>(scope: string, fn: (trx: Scoped) => Promise<T>, clock?: string) =>
		withScope(db, scope, async (trx) => {
			if (clock) await sql`select set_config('jiceng.clock', ${clock}, true)`.execute(trx);
			return fn(trx);
		});
	const input = (over: Partial<v.InferOutput<typeof newVisitInput>> = {}) => ({
		client_id: randomUUID(),
		household_id: household,
		kind: 'routine' as const,
		...over
	});

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		const { rows } = await sql<{ grid: string; community: string; hh: number[] }>`
			select g.code as grid, g.parent_code as community, array_agg(h.id::int order by h.id) as hh
			from area g join household h on h.grid_code = g.code
			where g.level = 'grid' group by g.code, g.parent_code order by g.code`.execute(db.kysely);
		// two grids of the same community: its secretary sees both
		const second = rows.findIndex((r, i) => i > 0 && r.community === rows[0].community);
		expect(second).toBeGreaterThan(0);
		[grid, otherGrid] = [rows[0].grid, rows[second].grid];
		community = rows[0].community;
		gridHouseholds = rows[0].hh;
		household = gridHouseholds[0];
		otherHousehold = rows[second].hh[0];
		await new CoverageEngine(db).ensure();
		await ensureAreaStats(db);
	}, 240_000);
	afterAll(() => db?.drop());

	it('records a visit, and a retry with the same client id returns it without a second row', async () => {
		const first = input({ kind: 'help', note: '  帮助申请低保  ', follow_up_on: '2099-01-01' });
		const a = await as(grid, (trx) => recordVisit(trx, leader, first));
		expect(a.created).toBe(true);
		expect(a.visit).toMatchObject({ household_id: household, grid_code: grid, kind: 'help', note: '帮助申请低保', follow_up_on: '2099-01-01', editable: true });
		const today = (await sql<{ d: string }>`select current_date::text as d`.execute(db.kysely)).rows[0].d;
		expect(a.visit.visited_on).toBe(today);
		// the same submission again (a flaky network's retry), even with other fields: the first visit
		const b = await as(grid, (trx) => recordVisit(trx, leader, { ...first, kind: 'event' }));
		expect(b).toEqual({ visit: a.visit, created: false });
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from visit where client_id = ${first.client_id}`.execute(db.kysely);
		expect(rows[0].n).toBe(1);
		// the same id for another household is not a retry
		expect(await refusal(as(grid, (trx) => recordVisit(trx, leader, { ...first, household_id: gridHouseholds[1] })))).toBe('409 client_id_reused');
		// one audit row for the record, none for the retry
		const audit = await sql<{ n: number; username: string }>`
			select count(*)::int as n, min(username) as username from audit_log where object = ${`visit:${a.visit.id}:record household:${household}`}`.execute(db.kysely);
		expect(audit.rows[0]).toEqual({ n: 1, username: leader.username });
	});

	it('refuses a day in the future, a follow-up before the visit, and roles that do not visit', async () => {
		expect(await refusal(as(grid, (trx) => recordVisit(trx, leader, input({ visited_on: '2099-01-01' }))))).toBe('400 future_day');
		expect(await refusal(as(grid, (trx) => recordVisit(trx, leader, input({ visited_on: '2026-01-10', follow_up_on: '2026-01-09' }))))).toBe(
			'400 follow_up_before'
		);
		for (const role of ['district_admin', 'planner', 'auditor'] as const) {
			expect(await refusal(as(grid.slice(0, 6), (trx) => recordVisit(trx, actor(role), input()))), role).toBe('403 forbidden');
		}
		expect(await refusal(as(grid, (trx) => visitsOfHousehold(trx, actor('planner'), household)))).toBe('403 forbidden');
	});

	it('lets the visitor edit within 24 hours, and no one else, and not later', async () => {
		const t0 = '2026-06-01T08:00:00Z';
		const rec = await as(grid, (trx) => recordVisit(trx, leader, input({ visited_on: '2026-06-01' })), t0);
		const id = rec.visit.id;
		// 23 hours later: the visitor may; the note changes, audited with the fields
		const edited = await as(grid, (trx) => editVisit(trx, leader, id, { note: '复查', follow_up_on: '2026-06-10' }), '2026-06-02T07:00:00Z');
		expect(edited).toMatchObject({ id, note: '复查', follow_up_on: '2026-06-10', kind: 'routine' });
		const audit = await sql<{ object: string }>`select object from audit_log where object like ${`visit:${id}:edit%`} order by seq`.execute(db.kysely);
		expect(audit.rows.map((r) => r.object)).toEqual([`visit:${id}:edit follow_up_on,note`]);
		// null clears
		expect((await as(grid, (trx) => editVisit(trx, leader, id, { follow_up_on: null }), '2026-06-02T07:30:00Z')).follow_up_on).toBeNull();
		// someone else — the community secretary, another grid leader of the same scope — may not
		expect(await refusal(as(community, (trx) => editVisit(trx, actor('community_secretary', 8), id, { note: 'x' }), '2026-06-01T09:00:00Z'))).toBe(
			'403 not_yours'
		);
		expect(await refusal(as(grid, (trx) => editVisit(trx, actor('grid_leader', 9), id, { note: 'x' }), '2026-06-01T09:00:00Z'))).toBe('403 not_yours');
		// 24 hours after recording it: too old, even for the visitor
		expect(await refusal(as(grid, (trx) => editVisit(trx, leader, id, { note: 'late' }), '2026-06-02T08:00:00Z'))).toBe('403 too_old');
		const list = await as(grid, (trx) => visitsOfHousehold(trx, leader, household), '2026-06-02T08:00:00Z');
		const row = list!.find((r) => r.id === id)!;
		expect(row).toMatchObject({ note: '复查', editable: false });
		// and, within the window, the list says the visitor may edit it
		expect((await as(grid, (trx) => visitsOfHousehold(trx, leader, household), '2026-06-01T10:00:00Z'))!.find((r) => r.id === id)!.editable).toBe(true);
	});

	it('keeps another grid’s leader from reading or writing a grid’s visits', async () => {
		const mine = await as(grid, (trx) => recordVisit(trx, leader, input({ kind: 'event' })));
		const other = actor('grid_leader', 21);
		// the application: a household outside the grid does not exist for them
		expect(await refusal(as(otherGrid, (trx) => recordVisit(trx, other, input())))).toBe('404 not_found');
		expect(await as(otherGrid, (trx) => visitsOfHousehold(trx, other, household))).toBeNull();
		expect(await refusal(as(otherGrid, (trx) => editVisit(trx, other, mine.visit.id, { note: 'x' })))).toBe('404 not_found');
		expect([...(await as(otherGrid, (trx) => lastVisitsByHousehold(trx, [household]))).keys()]).toEqual([]);
		expect(await as(otherGrid, (trx) => lastVisitsOfArea(trx, grid))).toEqual([]);
		// a retry of this grid's submission from the other grid finds nothing of it, and makes nothing
		expect(
			await refusal(as(otherGrid, (trx) => recordVisit(trx, other, { client_id: mine.visit.client_id, household_id: otherHousehold, kind: 'routine' })))
		).toBe('409 client_id_reused');
		// the community secretary above both grids reads them
		const secretary = actor('community_secretary', 30);
		expect((await as(community, (trx) => visitsOfHousehold(trx, secretary, household)))!.map((r) => r.id)).toContain(mine.visit.id);
	});

	it.runIf(backend === 'server')('row-level security alone keeps the app role in its grid', async () => {
		const app = await openDb({ backend: 'server', url: db.url!, poolSize: 2 }, { appRole: true });
		try {
			await as(otherGrid, (trx) => recordVisit(trx, actor('grid_leader', 21), input({ household_id: otherHousehold })));
			await as(grid, (trx) => recordVisit(trx, leader, input()));
			const seen = await withScope(app, grid, async (trx) => {
				expect((await sql<{ u: string }>`select current_user as u`.execute(trx)).rows[0].u).toBe(APP_ROLE);
				// no WHERE clause: the policy is the only filter
				return (await sql<{ grid_code: string }>`select grid_code from visit`.execute(trx)).rows;
			});
			expect(seen.length).toBeGreaterThan(0);
			expect(everyOf(seen, (r) => r.grid_code === grid)).toBe(true);
			// writing a visit to another grid's household: its key from the household, refused by the policy
			const attempt = (fn: (trx: Scoped) => Promise<unknown>) =>
				withScope(app, grid, fn).then(
					() => 'ok',
					(e: Error) => e.message
				);
			expect(
				await attempt((trx) => sql`insert into visit (client_id, household_id, kind) values (${randomUUID()}, ${otherHousehold}, 'routine')`.execute(trx))
			).toMatch(/outside the scope|row-level security/);
			expect(
				await attempt((trx) =>
					sql`insert into visit (client_id, household_id, grid_code, kind) values (${randomUUID()}, ${otherHousehold}, ${otherGrid}, 'routine')`.execute(trx)
				)
			).toMatch(/row-level security/);
			// nor can it move or delete visits it cannot see
			const moved = await withScope(app, grid, (trx) => sql`update visit set note = 'x' where grid_code = ${otherGrid}`.execute(trx));
			expect(Number(moved.numAffectedRows)).toBe(0);
			expect(await attempt((trx) => sql`delete from visit where grid_code = ${grid}`.execute(trx))).toMatch(/permission denied/);
			// a household the app deletes takes its visits along: the cascade runs as the table's owner
			const hh = gridHouseholds[1];
			await as(grid, (trx) => recordVisit(trx, leader, input({ household_id: hh })));
			const left = await attempt(async (trx) => {
				await sql`delete from household where id = ${hh}`.execute(trx);
				const { rows } = await sql<{ n: number }>`select count(*)::int as n from visit where household_id = ${hh}`.execute(trx);
				throw new Error(`left ${rows[0].n}`);
			});
			expect(left).toBe('left 0');
		} finally {
			await app.close();
		}
	});

	it('follows its household to another grid', async () => {
		const hh = gridHouseholds[gridHouseholds.length - 1];
		const rec = await as(grid, (trx) => recordVisit(trx, leader, input({ household_id: hh })));
		await withScope(db, '*', async (trx) => {
			const { rows } = await sql<{ building_id: number }>`select building_id::int as building_id from household where id = ${hh}`.execute(trx);
			await sql`update building set grid_code = ${otherGrid} where id = ${rows[0].building_id}`.execute(trx);
			const after = await sql<{ grid_code: string }>`select grid_code from visit where id = ${rec.visit.id}`.execute(trx);
			expect(after.rows[0].grid_code).toBe(otherGrid);
			// put it back for the other tests
			await sql`update building set grid_code = ${grid} where id = ${rows[0].building_id}`.execute(trx);
		});
	});

	it('gives the last visit per household of a grid', async () => {
		const hh = gridHouseholds[2];
		await as(grid, (trx) => recordVisit(trx, leader, input({ household_id: hh, visited_on: '2026-03-01' })));
		const late = await as(grid, (trx) =>
			recordVisit(trx, leader, input({ household_id: hh, visited_on: '2026-03-05', kind: 'follow_up', follow_up_on: '2026-04-01' }))
		);
		await as(grid, (trx) => recordVisit(trx, leader, input({ household_id: hh, visited_on: '2026-02-01' })));
		const last = await as(grid, (trx) => lastVisitsOfArea(trx, grid));
		expect(last.find((r) => r.household_id === hh)).toEqual({
			household_id: hh,
			visit_id: late.visit.id,
			kind: 'follow_up',
			visited_on: '2026-03-05',
			follow_up_on: '2026-04-01',
			visits: 3
		});
		expect(everyOf(last, (r) => gridHouseholds.includes(r.household_id))).toBe(true);
		const byHousehold = await as(community, (trx) => lastVisitsByHousehold(trx, [hh, otherHousehold]));
		expect(byHousehold.get(hh)?.visit_id).toBe(late.visit.id);
	});

	it('gives the big screen its week of visits and ticker lines, with no person in them', async () => {
		const direct = (
			await sql<{
				n: number;
			}>`select count(*)::int as n from visit where grid_code like ${`${community}%`} and visited_on > current_date - ${VISITS_WEEK_DAYS}::int`.execute(
				db.kysely
			)
		).rows[0].n;
		expect(direct).toBeGreaterThan(0);
		const a = await as(community, (trx) => visitActivity(trx, community, 5));
		expect(a.visits_week).toBe(direct);
		expect(a.latest.length).toBe(5);
		expect(everyOf(a.latest, (x) => x.kind === 'visit' && x.grid_code.startsWith(community) && (VISIT_KINDS as readonly string[]).includes(x.category!))).toBe(
			true
		);
		expect(JSON.stringify(a.latest)).not.toMatch(/household|visitor|note|帮助|复查/);
		// another grid's scope sees none of this grid's
		const other = await as(otherGrid, (trx) => visitActivity(trx, grid, 5));
		expect(other).toEqual({ visits_week: 0, latest: [] });
	});

	it('counts households visited in the last 30 and 90 days where the other coverage figures are read, as a direct count does', async () => {
		// a deterministic spread: households of the grid visited 0–120 days ago, some twice
		const secretary = actor('community_secretary', 30);
		for (const [i, hh] of gridHouseholds.slice(3, 23).entries()) {
			const ago = (i * 37) % 121;
			await as(community, async (trx) => {
				const { rows } = await sql<{ d: string }>`select (current_date - ${ago}::int)::text as d`.execute(trx);
				await recordVisit(trx, secretary, input({ household_id: hh, visited_on: rows[0].d }));
				if (i % 4 === 0) await recordVisit(trx, secretary, input({ household_id: hh, visited_on: rows[0].d }));
			});
		}
		await as(community, (trx) => recordVisit(trx, secretary, input({ household_id: otherHousehold })));
		// the pass after the commits that puts their changes in the figures, as the route waits for it
		await visitChanges(db).pass();
		const direct = async (code: string, days: number) =>
			(
				await sql<{ n: number }>`select count(distinct household_id)::int as n from visit
					where grid_code like ${`${code}%`} and visited_on > current_date - ${days}::int`.execute(db.kysely)
			).rows[0].n;
		const households = async (code: string) =>
			(await sql<{ n: number }>`select count(*)::int as n from household where grid_code like ${`${code}%`}`.execute(db.kysely)).rows[0].n;
		for (const code of [grid, otherGrid, community, grid.slice(0, 9), grid.slice(0, 6)]) {
			const row = (await as(code, (trx) => areaCoverage(trx, code, code)))!;
			expect(row, code).toBeTruthy();
			const n = await households(code);
			expect(row.households, code).toBe(n);
			for (const days of VISIT_WINDOWS_DAYS) {
				const want = await direct(code, days);
				expect(row[`hh_visited_${days}d`], `${code} ${days}`).toBe(want);
				expect(row[`share_visited_${days}d`], `${code} ${days}`).toBe(Math.round((want / n) * 10_000) / 10_000);
			}
		}
		// the grid's figure is not zero, and the windows differ: the test can tell them apart
		const g = (await as(grid, (trx) => areaCoverage(trx, grid, grid)))!;
		expect(g.hh_visited_30d).toBeGreaterThan(0);
		expect(g.hh_visited_90d).toBeGreaterThan(g.hh_visited_30d);
		// the rankings (and the screen, which reads them) carry the same numbers
		const ranked = await as(community, (trx) => rankings(trx, 'grid', community));
		const r = ranked.find((x) => x.code === grid)!;
		expect([r.hh_visited_30d, r.hh_visited_90d, r.share_visited_30d, r.share_visited_90d]).toEqual([
			g.hh_visited_30d,
			g.hh_visited_90d,
			g.share_visited_30d,
			g.share_visited_90d
		]);
		// small counts are withheld, with their shares, from viewers who see no persons
		const planner = viewerFor('planner', grid, 1, 'planner');
		const shown = areaCoverageFor({ ...g, hh_visited_30d: 2 }, planner);
		expect([shown.hh_visited_30d, shown.share_visited_30d]).toEqual([null, null]);
		expect(shown.suppressed).toContain('hh_visited_30d');
	});
});
