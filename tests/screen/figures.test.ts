// The big screen (issue 12) reads every figure through the panel's query path: its counters equal
// what the area panel (selectionSummary) and the coverage panel (areaCoverage) say for the same
// area, with the same small-cell rules; the daily snapshot copies those figures and the trend
// reads them back; a display sees no building ids, no persons. Both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { areaCoverage, rankings } from '../../src/lib/server/db/queries/coverage.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { selectionSummary } from '../../src/lib/server/db/queries/selection.ts';
import { SYSTEM, withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { viewerFor, type Viewer } from '../../src/lib/server/auth/viewer.ts';
import { screenFigures, screenTag } from '../../src/lib/server/screen/figures.ts';
import { snapshotAreas, snapshotBlindSpots, snapshotDays, snapshotTrend, takeSnapshot } from '../../src/lib/server/db/queries/snapshots.ts';
import { areaCoverageFor } from '../../src/lib/server/privacy/coverage.ts';
import { D, G111, G211, S1, insertFixture } from '../coverage/fixture.ts';
import { recordVisit } from '../../src/lib/server/db/queries/visits.ts';
import { visitChanges } from '../../src/lib/server/coverage/visit-changes.ts';
import { createRequest } from '../../src/lib/server/db/queries/requests.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { takeDailySnapshot } from '../../src/lib/server/screen/snapshot-timer.ts';

const scopedFor =
	(db: Db, viewer: Viewer) =>
	<R>(fn: (trx: Scoped) => Promise<R>, o?: { snapshot?: boolean }) =>
		withScope(db, viewer.scope, fn, o);

describe.each(backends)('the big screen on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the screen's handle as the web server opens it: on a server, the app role, row-level security on (fixtures are written as the owner) */
	let app: Db;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
		await new CoverageEngine(app).ensure();
		await ensureAreaStats(app);
		// the grid leaders' work: visits in two grids, requests (one of them long overdue) with a description no screen may show
		const households = async (grid: string) =>
			(
				await withScope(db, grid, (trx) =>
					sql<{
						id: number;
					}>`select h.id::int as id from household h join building b on b.id = h.building_id where b.grid_code = ${grid} order by h.id limit 3`.execute(trx)
				)
			).rows.map((r) => r.id);
		const leader = { accountId: 7, username: 'leader', role: 'grid_leader' as const };
		for (const [grid, n] of [
			[G111, 3],
			[G211, 1]
		] as const) {
			const hh = await households(grid);
			for (let i = 0; i < n; i++)
				await withScope(db, grid, (trx) => recordVisit(trx, leader, { client_id: `visit-${grid}-${i}`, household_id: hh[i % hh.length], kind: 'routine' }));
			// the pass after the commit that puts their changes in the figures, as the route waits for it
			await visitChanges(db).pass();
			await withScope(db, grid, (trx) =>
				createRequest(trx, leader, {
					clientId: `request-${grid}`,
					category: 'facilities',
					urgency: 'normal',
					description: '三楼王大爷家灯坏了',
					householdId: hh[0]
				})
			);
		}
		await withScope(db, SYSTEM, (trx) => sql`update request set created_at = now() - interval '30 days' where client_id = ${`request-${G111}`}`.execute(trx));
	});
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});

	for (const [who, code] of [
		['district', D],
		['street', S1]
	] as const) {
		it(`shows the ${who} screen the panel's figures for the same area`, async () => {
			const display = viewerFor('display', code, null, 'screen:1:test');
			const f = (await screenFigures(app, scopedFor(app, display), display, 20))!;
			const summary = (await withScope(db, code, (trx) => selectionSummary(trx, code, display)))!;
			if (summary.type !== 'area') throw new Error('not an area');
			const panel = summary;
			const cov = areaCoverageFor((await withScope(db, code, (trx) => areaCoverage(trx, code, code)))!, display);
			expect(panel.type).toBe('area');
			expect(f.area.code).toBe(code);
			expect(f.counters.members).toBe(panel.figures.members);
			expect(f.counters.organisations).toBe(panel.figures.organisations);
			expect(f.counters.service_centres).toBe(panel.figures.service_centres);
			expect(f.panel).toEqual(panel.figures);
			for (const k of ['share_5min', 'share_10min', 'share_15min', 'coverage_index', 'blind_spots'] as const) expect(f.counters[k], k).toBe(cov[k]);
			// organisations per level add up to the panel's total
			expect(Object.values(f.counters.organisations_by_level).reduce((a, b) => a + b, 0)).toBe(panel.figures.organisations);
			// the ranking is the rankings route's, in its order, the bottom five marked
			const level = f.ranked[0].level;
			const ranked = await withScope(db, code, (trx) => rankings(trx, level, code));
			expect(f.ranked[0].rows.map((r) => [r.code, r.coverage_index])).toEqual(ranked.map((r) => [r.code, r.coverage_index]));
			const withIndex = ranked.filter((r) => r.coverage_index !== null);
			const k = Math.min(5, Math.floor(withIndex.length / 2));
			expect(f.ranked[0].rows.filter((r) => r.bottom).map((r) => r.code)).toEqual(withIndex.slice(withIndex.length - k).map((r) => r.code));
			// the wall gets no ids of buildings, households or members
			expect(JSON.stringify(f)).not.toMatch(/building_ids|household_id|member_id|secretary"/);
			// visits and requests: the counts a direct query gives, in the area
			const direct = await withScope(db, SYSTEM, (trx) =>
				sql<{ visits: number; open: number }>`select (select count(*)::int from visit where grid_code like ${`${code}%`}) as visits,
				       (select count(*)::int from request where grid_code like ${`${code}%`} and state <> 'confirmed') as open`.execute(trx)
			);
			expect(f.activity_available).toBe(true);
			expect(f.counters.visits_week).toBe(direct.rows[0].visits);
			expect(f.counters.requests_open).toBe(direct.rows[0].open);
			expect(f.counters.requests_overdue).toBe(1);
			expect(f.tour.overdue.map((o) => [o.grid_code, o.n])).toEqual([[G111, 1]]);
			expect(f.ticker.length).toBe(direct.rows[0].visits + direct.rows[0].open);
			// the ticker says what and where, never who or what was written
			expect(JSON.stringify(f.ticker)).not.toMatch(/王大爷|leader|household/);
		});
	}

	it('withholds small counts from the display as the panel does', async () => {
		const display = viewerFor('display', S1, null, 'screen:1:test');
		const f = (await screenFigures(app, scopedFor(app, display), display, 20))!;
		for (const s of f.blind_spots) if (s.households !== null) expect(s.households === 0 || s.households >= 3).toBe(true);
		const admin = viewerFor('district_admin', S1, 1, 'admin');
		const g = (await screenFigures(app, scopedFor(app, admin), admin, 20))!;
		expect(g.blind_spots.map((s) => s.grid_code)).toEqual(f.blind_spots.map((s) => s.grid_code));
		if (g.blind_spots.some((s) => s.households !== null && s.households > 0 && s.households < 3))
			expect(f.blind_spots.some((s) => s.households === null)).toBe(true);
	});

	it('keeps a daily snapshot of every area and draws the trend from it', async () => {
		const r = await withScope(app, SYSTEM, (trx) => takeSnapshot(trx, '2026-11-20'));
		const areas = Number((await sql<{ n: number }>`select count(*)::int as n from area`.execute(db.kysely)).rows[0].n);
		expect(r.areas).toBe(areas);
		// a second snapshot of the same day replaces the first
		await withScope(app, SYSTEM, (trx) => takeSnapshot(trx, '2026-11-20'));
		const today = await withScope(app, SYSTEM, (trx) => takeSnapshot(trx));
		expect(Number((await sql<{ n: number }>`select count(*)::int as n from area_snapshot`.execute(db.kysely)).rows[0].n)).toBe(areas * 2);
		expect(await withScope(db, D, (trx) => snapshotDays(trx))).toEqual(['2026-11-20', today.day].sort());

		const display = viewerFor('display', D, null, 'screen:1:test');
		const f = (await screenFigures(app, scopedFor(app, display), display, 20))!;
		// 2026-11-20 is more than 30 days before today only when today is after 2026-12-20
		const trend = await withScope(db, D, (trx) => snapshotTrend(trx, D, 30));
		expect(f.trend.length).toBe(trend.length);
		const last = f.trend.at(-1)!;
		expect(last.day).toBe(today.day);
		expect(last.share_15min).toBe(f.counters.share_15min);
		expect(last.coverage_index).toBe(f.counters.coverage_index);
		expect(last.members).toBe(f.counters.members);

		// the time slider's day: the areas and blind spots of the caller's scope only
		const rows = await withScope(db, S1, (trx) => snapshotAreas(trx, today.day, 'community'));
		expect(rows.length).toBeGreaterThan(0);
		expect(rows.filter((a) => !a.code.startsWith(S1))).toEqual([]);
		const spots = await withScope(db, S1, (trx) => snapshotBlindSpots(trx, today.day));
		expect(spots.filter((s) => !s.grid_code.startsWith(S1))).toEqual([]);
		expect(spots.length).toBe(f.blind_spots.filter((s) => s.grid_code.startsWith(S1)).length > 0 ? spots.length : 0);
		// a snapshot outside a scope is refused as the system's work only
		await expect(withScope(app, S1, (trx) => takeSnapshot(trx))).rejects.toThrow(/SYSTEM/);
		// the server's daily timer: today has one already; forced, it copies every area again
		expect(await takeDailySnapshot(app)).toBeNull();
		expect(await takeDailySnapshot(app, true)).toEqual({ day: today.day, areas, blind_spots: today.blind_spots });
	});

	it('changes its tag when the data change, and only then', async () => {
		const a = await screenTag(app, 1, 20);
		expect(await screenTag(app, 1, 20)).toBe(a);
		expect(await screenTag(app, 1, 30)).not.toBe(a);
		await sql`update service_centre set name = name || ' ' where id = (select min(id) from service_centre)`.execute(db.kysely);
		const b = await screenTag(app, 1, 20);
		expect(b).not.toBe(a);
		// a visit moves no data version (tile caches stay) but changes the counters and ticker: a new tag
		const leader = { accountId: 7, username: 'leader', role: 'grid_leader' as const };
		const [h] = (
			await withScope(db, G111, (trx) =>
				sql<{ id: number }>`select h.id::int as id from household h join building b on b.id = h.building_id where b.grid_code = ${G111} limit 1`.execute(trx)
			)
		).rows;
		await withScope(db, G111, (trx) => recordVisit(trx, leader, { client_id: 'visit-tag-check', household_id: h.id, kind: 'help' }));
		expect(await screenTag(app, 1, 20)).not.toBe(b);
	});
});
