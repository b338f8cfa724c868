// The incremental recompute (issue 9 part 3, src/lib/server/coverage/incremental.ts), on both
// backends over the hand-built district: after each kind of write whose effect is local — a
// service centre added, moved, removed; a party member added, moved to another workplace,
// removed; a centre and a member together — the engine brings the results up to date
// incrementally (its log says `local`, and it touched fewer buildings than there are), and what it
// serves equals a full recompute of the same data row for row: building_coverage, area_coverage
// (counts, scores, index, ranks), org_coverage, coverage_gap, blind_spot (geometry included) and
// reach_area. A write it cannot bound (a household) falls back to the full recompute.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { DEFAULT_PARAMS } from '../../src/lib/server/coverage/service.ts';
import { recomputeCoverage } from '../../src/lib/server/coverage/store.ts';
import { servedGeneration } from '../../src/lib/server/coverage/incremental.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { gapCounts } from '../../src/lib/server/db/queries/coverage.ts';
import { GAP_RULES } from '../../src/lib/server/coverage/gaps.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { C12, insertFixture, lat, lon } from './fixture.ts';

/** every stored row the readers see, through the views of sql/011, in a fixed order */
async function served(db: TestDb) {
	return withScope(db, '*', async (trx) => {
		const q = async (query: ReturnType<typeof sql>) => (await query.execute(trx)).rows as Record<string, unknown>[];
		return {
			building_coverage: await q(sql`select * from building_coverage order by building_id`),
			area_coverage: await q(sql`select * from area_coverage order by code`),
			org_coverage: await q(sql`select * from org_coverage order by org_id`),
			coverage_gap: await q(sql`select * from coverage_gap order by rule, object_id`),
			blind_spot: await q(sql`select id, grid_code, households, buildings, gap_kinds, gap_rules, building_ids,
				encode(ST_AsBinary(geom), 'hex') as geom from blind_spot order by id`),
			reach_area: await q(sql`select centre_id, circle, threshold_m, level, area_code, hash, md5(ST_AsBinary(geom)) as geom
				from reach_area order by centre_id, circle`)
		};
	});
}

describe.each(backends)('the incremental coverage recompute on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the engine's handle as the web server opens it: on a server, the app role, row-level security on */
	let app: Db;
	let lines: string[] = [];
	const chunked = backend === 'embedded';

	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		await new CoverageEngine(db, DEFAULT_PARAMS, { debounceMs: 0, log: () => {} }).ensure();
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
	});
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});

	/**
	 * An engine as a running app holds one (its model loaded while the results are current), the
	 * write, then the results brought up to date by it; returns what it served and how it got there.
	 */
	async function afterWrite(write: (trx: Parameters<Parameters<typeof withScope>[2]>[0]) => Promise<unknown>) {
		lines = [];
		const engine = new CoverageEngine(app, DEFAULT_PARAMS, { debounceMs: 0, log: (l) => lines.push(l) });
		await engine.model();
		const gensBefore = await gens();
		// the panels' gap counts, kept by generation (queries/coverage.ts): read before the write…
		await withScope(app, '*', (trx) => gapCounts(trx, ''));
		await withScope(db, '*', write);

		await engine.ensure();
		const incremental = await served(db);
		// … and after it they are the new results' (a generation written in place would show the old)
		const counts = { kept: await withScope(app, '*', (trx) => gapCounts(trx, '')), live: await liveGapCounts() };
		const gensAfter = await gens();
		// the same data recomputed from scratch
		await recomputeCoverage(db.kysely, DEFAULT_PARAMS, { kind: 'full', chunked });
		const full = await served(db);
		const run = lines.find((l) => /^data version \d+ \(/.test(l)) ?? '';
		return {
			incremental,
			full,
			kind: /\((\w+), generation/.exec(run)?.[1],
			touched: Number(/(\d+) buildings touched/.exec(run)?.[1] ?? NaN),
			gensBefore,
			gensAfter,
			counts
		};
	}

	/** the gap counts of the generation served, counted now */
	async function liveGapCounts() {
		const { rows } = await sql<{ rule: string; n: number; hh: number }>`
			select rule, count(*)::int4 as n, coalesce(sum(households), 0)::int4 as hh from coverage_gap group by rule`.execute(db.kysely);
		const out: Record<string, { objects: number; households: number }> = {};
		for (const rule of GAP_RULES) out[rule] = { objects: 0, households: 0 };
		for (const r of rows) out[r.rule] = { objects: r.n, households: r.hh };
		return out;
	}

	/** the generations served of the three parts */
	async function gens() {
		const { rows } = await sql<{ building: number; reach: number; result: number }>`
			select building_gen as building, reach_gen as reach, gen as result from coverage_run where id = 1`.execute(db.kysely);
		return rows[0];
	}

	const expectLocal = (r: Awaited<ReturnType<typeof afterWrite>>) => {
		expect(r.kind).toBe('local');
		expect(r.touched).toBeLessThan(12);
		for (const table of Object.keys(r.full) as (keyof typeof r.full)[]) expect(r.incremental[table], table).toEqual(r.full[table]);
		expect(r.counts.kept).toEqual(r.counts.live);
	};

	it('a convenience station added: distances move near it, the rest is copied, and it equals a full recompute', async () => {
		const r = await afterWrite((trx) =>
			sql`insert into service_centre (level, name, area_code, geom) values ('station', '新站', ${C12}, ST_SetSRID(ST_MakePoint(${lon(1500)}, ${lat(260)}), 4326))`.execute(
				trx
			)
		);
		expectLocal(r);
		// the write did move figures: building 3 (by the dead end at x 1500) now has a station nearby
		const b3 = r.incremental.building_coverage.find((b) => Number(b.building_id) === 3)!;
		expect(b3.station_m).not.toBeNull();
		expect(r.touched).toBeGreaterThan(0);
		// a server rewrites the distance rows and reach polygons that moved where they are served (one
		// transaction); the embedded database's short transactions write new generations
		expect(r.gensAfter.result).toBeGreaterThan(r.gensBefore.result);
		if (chunked) expect([r.gensAfter.building, r.gensAfter.reach]).toEqual([r.gensAfter.result, r.gensAfter.result]);
		else expect([r.gensAfter.building, r.gensAfter.reach]).toEqual([r.gensBefore.building, r.gensBefore.reach]);
	});

	it('a centre moved', async () => {
		expectLocal(
			await afterWrite((trx) => sql`update service_centre set geom = ST_SetSRID(ST_MakePoint(${lon(700)}, ${lat(250)}), 4326) where id = 1`.execute(trx))
		);
	});

	it('a centre removed', async () => {
		expectLocal(await afterWrite((trx) => sql`delete from service_centre where name = '新站'`.execute(trx)));
	});

	it('a party member added: building 5 now has 3 members and no group', async () => {
		const r = await afterWrite((trx) =>
			sql`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id)
				values ('党员新', 'female', 1990, 'formal', '2015-07-01', 7, 503)`.execute(trx)
		);
		expectLocal(r);
		expect(r.incremental.coverage_gap.some((g) => g.rule === 'member_building_uncovered' && g.object_id === '5')).toBe(true);
	});

	it("a member's workplace moved, then a member removed", async () => {
		expectLocal(await afterWrite((trx) => sql`update party_member set workplace_building_id = 6 where id = 7`.execute(trx)));
		const r = await afterWrite((trx) => sql`delete from party_member where id = 8`.execute(trx));
		expectLocal(r);
		expect(r.incremental.coverage_gap.some((g) => g.rule === 'member_building_uncovered' && g.object_id === '5')).toBe(false);
	});

	it('a centre and a member written together', async () => {
		expectLocal(
			await afterWrite(async (trx) => {
				await sql`insert into service_centre (level, name, area_code, geom) values ('community', '新中心', ${C12}, ST_SetSRID(ST_MakePoint(${lon(1900)}, ${lat(240)}), 4326))`.execute(
					trx
				);
				await sql`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id, workplace_building_id)
					values ('党员二', 'male', 1985, 'formal', '2010-07-01', 7, 104, 3)`.execute(trx);
			})
		);
	});

	it('a write it cannot bound (a household) is recomputed in full, and equals the full recompute too', async () => {
		const r = await afterWrite((trx) => sql`insert into household (building_id, unit, floor, room, residents) values (6, 1, 2, '1-9', 3)`.execute(trx));
		expect(r.kind).toBe('full');
		for (const table of Object.keys(r.full) as (keyof typeof r.full)[]) expect(r.incremental[table], table).toEqual(r.full[table]);
	});

	it("a model left behind by another process's recompute is not searched from, though the generation it names is still served", async () => {
		// two app processes on one database: the first holds a model, the second brings a centre write
		// in (on a server, in place: the building generation stays, its rows change)
		const first = new CoverageEngine(app, DEFAULT_PARAMS, { debounceMs: 0, log: () => {} });
		await first.model();
		const second = new CoverageEngine(app, DEFAULT_PARAMS, { debounceMs: 0, log: () => {} });
		await second.model();
		await withScope(db, '*', (trx) =>
			sql`insert into service_centre (level, name, area_code, geom) values ('station', '第二个进程的站', ${C12}, ST_SetSRID(ST_MakePoint(${lon(1200)}, ${lat(250)}), 4326))`.execute(
				trx
			)
		);
		await second.ensure();
		// the first's next write: its model's distances are not the ones served any more
		lines = [];
		first.log = (l) => lines.push(l);
		await withScope(db, '*', (trx) =>
			sql`update service_centre set geom = ST_SetSRID(ST_MakePoint(${lon(1300)}, ${lat(250)}), 4326) where name = '第二个进程的站'`.execute(trx)
		);
		await first.ensure();
		const incremental = await served(db);
		await recomputeCoverage(db.kysely, DEFAULT_PARAMS, { kind: 'full', chunked });
		const full = await served(db);
		for (const table of Object.keys(full) as (keyof typeof full)[]) expect(incremental[table], table).toEqual(full[table]);
		expect(lines.some((l) => /^data version \d+ \(full,/.test(l))).toBe(true);
		await withScope(db, '*', (trx) => sql`delete from service_centre where name = '第二个进程的站'`.execute(trx));
		await new CoverageEngine(db, DEFAULT_PARAMS, { debounceMs: 0, log: () => {} }).ensure();
	});

	it('a model read before a centre write still answers for the distances served (the write is the next recompute’s)', async () => {
		// a model loading while a centre is written: its network was read at the version before the
		// write, which must not count against it (a start followed by a write was recomputed in full)
		await new CoverageEngine(db, DEFAULT_PARAMS, { debounceMs: 0, log: () => {} }).ensure();
		const before = Number((await sql<{ v: string }>`select version as v from data_version where id = 1`.execute(db.kysely)).rows[0].v);
		const gen = (await sql<{ g: number }>`select building_gen as g from coverage_run where id = 1`.execute(db.kysely)).rows[0].g;
		await withScope(db, '*', (trx) =>
			sql`insert into service_centre (level, name, area_code, geom) values ('station', '载入时的站', ${C12}, ST_SetSRID(ST_MakePoint(${lon(900)}, ${lat(250)}), 4326))`.execute(
				trx
			)
		);
		const after = Number((await sql<{ v: string }>`select version as v from data_version where id = 1`.execute(db.kysely)).rows[0].v);
		expect(after).toBeGreaterThan(before);
		// read before the write: the distances served are its own; read after it: they are not
		expect((await servedGeneration(db.kysely, before))?.buildingGen).toBe(gen);
		expect(await servedGeneration(db.kysely, after)).toBeNull();
		await withScope(db, '*', (trx) => sql`delete from service_centre where name = '载入时的站'`.execute(trx));
	});
});
