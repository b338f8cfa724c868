// Each organisation and work gap rule on the crafted fixture, the blind spots built from them, and
// the coverage index worked out by hand.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { GAP_RULES, GAP_RULE_SPECS, gapQuery } from '../../src/lib/server/coverage/gaps.ts';
import { areaCoverage, blindSpots, gapList, orgRankings, rankings } from '../../src/lib/server/db/queries/coverage.ts';
import { INDEX_FORMULA, INDEX_WEIGHTS } from '../../src/lib/server/coverage/ranking.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { G111, G112, G121, G211, insertFixture } from './fixture.ts';
import { everyOf } from '../helpers/every-of.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';

describe.each(backends)('organisation and work gaps on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the recompute's handle as the web server opens it: on a server, the app role, row-level security on */
	let app: Db;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
		await new CoverageEngine(app).ensure();
	});
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});
	const objects = async (rule: (typeof GAP_RULES)[number]) =>
		(await withScope(db, SYSTEM, (trx) => gapList(trx, rule, ''))).map((r) => [r.object_id, r.area_code, r.households]);

	it('has labels in Chinese and English for every rule', () => {
		for (const r of GAP_RULES) {
			expect(GAP_RULE_SPECS[r].zh).toMatch(/[\u4e00-\u9fff]/);
			expect(GAP_RULE_SPECS[r].en).toMatch(/^[A-Z]/);
		}
	});

	it('grids without a branch', async () => {
		expect(await objects('grid_without_branch')).toEqual([
			[G211, G211, 7],
			[G112, G112, 4]
		]);
	});

	it('buildings where three or more members live or work but no party group covers them', async () => {
		// B1: three members live there, no group; B2: two live + one works, has a group; B5: two only
		expect(await objects('member_building_uncovered')).toEqual([['1', G111, 10]]);
	});

	it('office, market and park buildings with no organisation or liaison station', async () => {
		// B7 office, B10 park building without a park branch, B12 market hall; not B8 (liaison
		// station), B9 (its park branch), B11 (a two-floor shop)
		expect((await objects('key_building_unorganised')).map((r) => r[0]).sort()).toEqual(['10', '12', '7']);
	});

	it('households no central household or building leader looks after', async () => {
		expect(await objects('household_uncared')).toEqual([
			['3', G121, 5],
			['1', G111, 2]
		]);
		const [b1] = await withScope(db, SYSTEM, (trx) => gapList(trx, 'household_uncared', G111));
		expect(b1.detail.household_ids).toEqual([109, 110]);
	});

	it('central households looking after more than 15 households', async () => {
		expect(await objects('central_household_overloaded')).toEqual([['201', G111, 16]]);
	});

	it("organisations whose secretary's seat is empty", async () => {
		expect(await objects('secretary_empty')).toEqual([['8', G121, 0]]);
	});

	it('stores exactly what each rule query returns (run with the system scope)', async () => {
		for (const rule of GAP_RULES) {
			const live = await withScope(db, '*', async (trx) => (await gapQuery(rule).execute(trx)).rows);
			const stored = await withScope(db, SYSTEM, (trx) => gapList(trx, rule, ''));
			expect(stored.map((r) => r.object_id).sort(), rule).toEqual(live.map((r) => r.object_id).sort());
		}
	});

	it('groups gap buildings into blind spots inside each grid, sorted by households affected', async () => {
		const spots = await withScope(db, SYSTEM, (trx) => blindSpots(trx, '', { geometry: true }));
		expect(spots.map((s) => s.households)).toEqual([...spots.map((s) => s.households)].sort((a, b) => b - a));
		for (const s of spots) expect(JSON.parse(s.geojson!).type).toBe('MultiPolygon');
		const byGrid = (g: string) => spots.filter((s) => s.grid_code === g);
		// G211: no branch (organisation), B4 beyond every circle (service): B4 and B10 are 200 m
		// apart, two spots; B4's 7 households affected
		expect(byGrid(G211).map((s) => [s.building_ids, s.households, s.gap_kinds])).toEqual([
			[[4], 7, ['service', 'organisation']],
			[[10], 0, ['organisation']]
		]);
		// G111: B1 (member building, 2 uncared) — all 10 households — B7 office 400 m away, B12 market
		const g111 = byGrid(G111);
		expect(g111.find((s) => s.building_ids.includes(1))!.households).toBe(10);
		expect(g111.find((s) => s.building_ids.includes(1))!.gap_rules).toEqual(['household_uncared', 'member_building_uncovered']);
		expect(byGrid(G121).map((s) => [s.building_ids, s.households, s.gap_kinds])).toEqual([[[3], 5, ['work']]]);
		expect(byGrid(G112).map((s) => s.building_ids)).toEqual([[6]]);
	});

	it('computes the coverage index by the documented formula, and ranks', async () => {
		const g = (await withScope(db, SYSTEM, (trx) => areaCoverage(trx, G111, '')))!;
		// S = 33/33; W = mean(31/33 looked after, 0/33 visited in 90 days: no visits here); O =
		// mean(1/1 grids with a branch, 1/2 member buildings, 0/2 key buildings (B7, B12), 2/2
		// organisations seated here with a secretary)
		expect(g.service_score).toBe(1);
		expect(g.hh_visited_90d).toBe(0);
		expect(g.work_score).toBeCloseTo((31 / 33 + 0 / 33) / 2, 4);
		expect(g.organisation_score).toBeCloseTo((1 + 0.5 + 0 + 1) / 4, 4);
		const index = 100 * (INDEX_WEIGHTS.service * 1 + INDEX_WEIGHTS.organisation * 0.625 + INDEX_WEIGHTS.work * (31 / 33 / 2));
		expect(g.coverage_index).toBeCloseTo(index, 1);
		const grids = await withScope(db, SYSTEM, (trx) => rankings(trx, 'grid', ''));
		expect(grids.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
		expect(everyOf(grids, (r) => r.rank_of === 4 && !r.rectify)).toBe(true); // too few to mark any
		expect(grids.at(-1)!.code).toBe(G211);
		expect(INDEX_FORMULA.zh).toContain('0.4');
		expect(INDEX_FORMULA.en).toContain('0.4');
		const orgs = await withScope(db, SYSTEM, (trx) => orgRankings(trx, '', 'grid_branch'));
		expect(orgs.map((o) => o.org_id)).toEqual([7, 8]);
		expect(orgs[1].secretary).toBe(false);
	});

	it('writing results leaves data_version alone', async () => {
		const before = (await sql<{ v: number }>`select version as v from data_version`.execute(db.kysely)).rows[0].v;
		await sql`delete from coverage_run`.execute(db.kysely);
		await new CoverageEngine(app).ensure();
		const after = (await sql<{ v: number }>`select version as v from data_version`.execute(db.kysely)).rows[0].v;
		expect(after).toBe(before);
	});
});
