// Fresh figures without anyone waiting (issue 9 part 3), on both backends, over the hand-built
// district: writes, background recomputes, a second writer (another process on a server) and
// readers all at once — no error anywhere, and every read sees one whole generation (the
// communities add up to the district, the buildings to the district's households, the blind
// spots to its count); the area summary (area_stats, refreshed under its lock by every writer)
// never fails; readers are answered while a recompute runs; the results after it all equal a
// recompute from scratch; before the first results the routes answer 503 with Retry-After; tiles
// of coverage layers follow the generation; the index prints with one decimal; the gap list says
// when it is a page.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHttpError } from '@sveltejs/kit';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine, coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { readCoverage } from '../../src/lib/server/coverage/respond.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';
import { coverageState } from '../../src/lib/server/coverage/store.ts';
import { rankings } from '../../src/lib/server/db/queries/coverage.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { viewerFor, type Viewer } from '../../src/lib/server/auth/viewer.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { serveTiles } from '../../src/lib/server/tiles/http.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { decode } from '../tiles/decode.ts';
import * as areaCoverageRoute from '../../src/routes/api/coverage/area/[code=areacode]/+server.ts';
import * as areaSummaryRoute from '../../src/routes/api/areas/[code=areacode]/summary/+server.ts';
import * as gapsRoute from '../../src/routes/api/coverage/gaps/+server.ts';
import * as rankingsRoute from '../../src/routes/api/coverage/rankings/+server.ts';
import { D, S2, insertFixture, lat, lon } from './fixture.ts';

const DB_KEY = Symbol.for('jiceng.db');
const holder = globalThis as Record<symbol, unknown>;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

type Route = { GET: (event: never) => Promise<Response> };

async function call(route: Route, viewer: Viewer, path: string, params: Record<string, string> = {}) {
	const event = { url: new URL(`http://localhost${path}`), params, locals: { viewer, user: null }, getClientAddress: () => '10.0.0.9' };
	try {
		const r = await route.GET(event as never);
		const text = await r.text();
		return { status: r.status, headers: r.headers, text, body: /json/.test(r.headers.get('content-type') ?? '') ? JSON.parse(text) : null };
	} catch (e) {
		if (isHttpError(e)) return { status: e.status, headers: new Headers(), text: e.body.message, body: null };
		throw e;
	}
}

const FIGURES = ['households', 'hh_5min', 'hh_10min', 'hh_15min', 'hh_cared', 'blind_spots', 'hh_in_blind_spots'] as const;

describe.each(backends)('coverage recomputed in the background on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the handle the web server serves with: on a server, the app role, row-level security on (fixtures are written as the owner) */
	let app: Db;
	let previous: unknown;
	const admin = viewerFor('district_admin', D, null, 'admin.a');

	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(app);
	});
	afterAll(async () => {
		holder[DB_KEY] = previous;
		if (app !== db) await app?.close();
		await db?.drop();
	});

	it('answers 503 with Retry-After before the first results exist, and starts computing them', async () => {
		const r = await call(areaCoverageRoute, admin, `/api/coverage/area/${D}`, { code: D });
		expect(r.status).toBe(503);
		expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(r.body).toMatchObject({ computed_version: null, updating: true });
		// the request started the recompute: it finishes without anyone asking again
		for (let k = 0; k < 600 && (await coverageState(db.kysely)).computed === null; k++) await sleep(50);
		expect((await coverageState(db.kysely)).computed).not.toBeNull();
		const again = await call(areaCoverageRoute, admin, `/api/coverage/area/${D}`, { code: D });
		expect(again.status).toBe(200);
		expect(again.body).toMatchObject({ updating: false, computed_version: expect.any(Number), computed_at: expect.any(String) });
	});

	it('serves every read from one whole generation while writes and recomputes run, and never fails', async () => {
		const engine = coverageEngine(app);
		await engine.ensure();
		// another writer: a second process on a server (its own session and lock), a second queue entry on the embedded database
		const other = new CoverageEngine(app, undefined, { debounceMs: 0, log: () => {} });
		const errors: unknown[] = [];
		const catching = (p: Promise<unknown>) => p.catch((e) => errors.push(e));
		let writing = true;
		let reads = 0;
		let updatingSeen = false;
		const inconsistent: string[] = [];

		const writes = [
			// organisations and care: the `result` part only
			() => withScope(db, '*', (trx) => sql`insert into building_leader (role, building_id, unit, name) values ('unit', 1, 2, '单元长二')`.execute(trx)),
			() => withScope(db, '*', (trx) => sql`delete from building_leader where name = '单元长二'`.execute(trx)),
			// households and centres: everything
			() => withScope(db, '*', (trx) => sql`insert into household (building_id, unit, floor, room, residents) values (3, 1, 2, '并发', 2)`.execute(trx)),
			() =>
				withScope(db, '*', (trx) =>
					sql`insert into service_centre (level, name, area_code, geom)
				values ('station', '并发站', ${'420105002001'}, ST_SetSRID(ST_MakePoint(${lon(2450)}, ${lat(480)}), 4326))`.execute(trx)
				),
			() => withScope(db, '*', (trx) => sql`delete from household where room = '并发'`.execute(trx)),
			() => withScope(db, '*', (trx) => sql`delete from service_centre where name = '并发站'`.execute(trx)),
			// a table the results are not made of
			() => sql`update data_version set version = version + 1`.execute(db.kysely)
		];
		const writer = async () => {
			try {
				for (let round = 0; round < 3; round++) {
					for (const write of writes) {
						await write();
						await sleep(backend === 'embedded' ? 60 : 30);
					}
				}
			} finally {
				writing = false;
			}
		};
		const recomputer = async () => {
			while (writing) {
				await other.ensure();
				await sleep(40);
			}
		};
		const statsRefresher = async () => {
			while (writing) {
				await ensureAreaStats(app);
				const r = await call(areaSummaryRoute, admin, `/api/areas/${S2}/summary`, { code: S2 });
				if (r.status !== 200) inconsistent.push(`area summary answered ${r.status}: ${r.text.slice(0, 200)}`);
				const {
					rows: [s]
				} = await sql<{ district: number; communities: number }>`
					select (select households from area_stats where level = 'district') as district,
					       (select sum(households)::int4 from area_stats where level = 'community') as communities`.execute(db.kysely);
				if (s.district !== s.communities) inconsistent.push(`area_stats: district ${s.district} ≠ communities ${s.communities}`);
				await sleep(20);
			}
		};
		const reader = async () => {
			while (writing) {
				const status = await engine.status();
				updatingSeen ||= status.updating;
				const { value, meta } = await readCoverage(
					(fn, o) => withScope(app, SYSTEM, fn, o),
					status,
					async (trx) => {
						const areas = (await sql<Record<string, number | string>>`select * from area_coverage`.execute(trx)).rows;
						const {
							rows: [x]
						} = await sql<{ hh: number; spots: number; uncared: number }>`
						select (select coalesce(sum(households), 0)::int4 from building_coverage) as hh,
						       (select count(*)::int4 from blind_spot) as spots,
						       (select coalesce(sum(least(g.households, coalesce(bc.households, 0))), 0)::int4
						        from coverage_gap g left join building_coverage bc on bc.building_id = g.object_id::int8
						        where g.rule = 'household_uncared') as uncared`.execute(trx);
						return { areas, x };
					}
				);
				reads++;
				const d = value.areas.find((a) => a.level === 'district')!;
				for (const level of ['street', 'community', 'grid']) {
					for (const f of FIGURES) {
						const sum = value.areas.filter((a) => a.level === level).reduce((s, a) => s + Number(a[f]), 0);
						if (sum !== Number(d[f])) inconsistent.push(`v${meta.computed_version}: ${level} ${f} ${sum} ≠ district ${d[f]}`);
					}
				}
				if (value.x.hh !== d.households) inconsistent.push(`v${meta.computed_version}: buildings hold ${value.x.hh} households, the district ${d.households}`);
				if (value.x.spots !== d.blind_spots) inconsistent.push(`v${meta.computed_version}: ${value.x.spots} blind spots, the district counts ${d.blind_spots}`);
				if (Number(d.households) - value.x.uncared !== d.hh_cared)
					inconsistent.push(`v${meta.computed_version}: cared ${d.hh_cared} ≠ ${d.households} − ${value.x.uncared}`);
				// the panel's route, too
				const r = await call(rankingsRoute, admin, `/api/coverage/rankings?level=community&within=${D}`);
				if (r.status !== 200) inconsistent.push(`rankings answered ${r.status}`);
				await sleep(10);
			}
		};
		await Promise.all([writer(), recomputer(), statsRefresher(), reader(), reader()].map(catching));
		expect(errors).toEqual([]);
		expect(inconsistent).toEqual([]);
		expect(reads).toBeGreaterThan(5);
		expect(updatingSeen).toBe(true);

		// quiet again: the results catch up, and equal a recompute from scratch
		const v = await engine.ensure();
		expect(v).toBe((await coverageState(db.kysely)).current);
		const snapshot = async () =>
			withScope(db, '*', async (trx) => ({
				areas: (await sql`select * from area_coverage order by code`.execute(trx)).rows,
				orgs: (await sql`select * from org_coverage order by org_id`.execute(trx)).rows,
				gaps: (await sql`select * from coverage_gap order by rule, object_id`.execute(trx)).rows,
				spots: (await sql`select id, grid_code, households, buildings, gap_kinds, gap_rules, building_ids from blind_spot order by id`.execute(trx)).rows,
				buildings: (await sql`select * from building_coverage order by building_id`.execute(trx)).rows,
				reach: (
					await sql`select centre_id, circle, threshold_m, level, area_code, hash, md5(ST_AsBinary(geom)) as g from reach_area order by centre_id, circle`.execute(
						trx
					)
				).rows
			}));
		const incremental = await snapshot();
		await sql`delete from coverage_run`.execute(db.kysely);
		// from scratch as the owner, whom row-level security does not hide rows from: the app role's results must count them all
		await (app === db ? engine : new CoverageEngine(db, undefined, { log: () => {} })).ensure();
		expect(await snapshot()).toEqual(incremental);
	});

	it('answers readers while a recompute runs, from the results before it, marked updating', async () => {
		const engine = coverageEngine(app);
		await engine.ensure();
		const before = (await withScope(app, SYSTEM, (trx) => rankings(trx, 'street', ''))).find((r) => r.code === S2)!;
		await withScope(db, '*', (trx) =>
			sql`insert into service_centre (level, name, area_code, geom)
			values ('station', '读者站', ${'420105002001'}, ST_SetSRID(ST_MakePoint(${lon(2450)}, ${lat(480)}), 4326))`.execute(trx)
		);
		let recomputed = 0;
		const recompute = engine.ensure().then(() => (recomputed = performance.now()));
		await sleep(0);
		const r = await call(areaCoverageRoute, admin, `/api/coverage/area/${S2}`, { code: S2 });
		const answered = performance.now();
		expect(r.status).toBe(200);
		expect(r.body.updating).toBe(true);
		await recompute;
		// the reader did not wait for the recompute: it answered first, from the results before it
		// (on a loaded machine the recompute can be done before the read has even started; then
		// the answer may hold the new results, still marked updating from the status read first)
		if (r.body.area.hh_5min === before.hh_5min) expect(answered).toBeLessThan(recomputed);
		else expect(r.body.area.hh_5min).toBe(before.hh_5min + 7);
		const after = await call(areaCoverageRoute, admin, `/api/coverage/area/${S2}`, { code: S2 });
		expect(after.body).toMatchObject({ updating: false });
		// B4's seven households are within the new station's 5-minute circle
		expect(after.body.area.hh_5min).toBe(before.hh_5min + 7);
		await withScope(db, '*', (trx) => sql`delete from service_centre where name = '读者站'`.execute(trx));
		await engine.ensure();
	});

	it('keys coverage tiles on the generation served, and says which data a tile shows', async () => {
		const engine = coverageEngine(app);
		await engine.ensure();
		const tiles = new TileService(app, { versionTtlMs: 0 });
		const t = tileOf(lon(2500), lat(500), 13);
		const path = `coverage_street/${t.z}/${t.x}/${t.y}.mvt`;
		const first = await serveTiles(tiles, path, new Headers(), { persons: true });
		expect(first.status).toBe(200);
		expect(Number(first.headers['x-data-version'])).toBe((await coverageState(db.kysely)).current);
		expect(first.headers['x-coverage-version']).toBe(String((await coverageState(db.kysely)).computed));
		await withScope(db, '*', (trx) =>
			sql`insert into service_centre (level, name, area_code, geom)
			values ('station', '瓦片站', ${'420105002001'}, ST_SetSRID(ST_MakePoint(${lon(2450)}, ${lat(480)}), 4326))`.execute(trx)
		);
		const stale = await serveTiles(tiles, path, new Headers(), { persons: true });
		// the previous results, said to be updating: nobody waited
		expect(stale.headers['x-coverage-updating']).toBe('1');
		expect(stale.headers.etag).toBe(first.headers.etag);
		await engine.ensure();
		const fresh = await serveTiles(tiles, path, new Headers(), { persons: true });
		expect(fresh.headers['x-coverage-updating']).toBe('0');
		expect(fresh.headers.etag).not.toBe(first.headers.etag);
		await withScope(db, '*', (trx) => sql`delete from service_centre where name = '瓦片站'`.execute(trx));
		await engine.ensure();
	});

	it('prints the coverage index with the one decimal it is shown with, in JSON, CSV and tiles', async () => {
		await coverageEngine(app).ensure();
		const r = await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}`);
		const indices = [...r.text.matchAll(/"coverage_index":([^,}]+)/g)].map((m) => m[1]);
		expect(indices.length).toBeGreaterThan(0);
		for (const i of indices) expect(i).toMatch(/^(null|\d{1,3}(\.\d)?)$/);
		const csv = await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}&format=csv`);
		const [head, ...lines] = csv.text
			.replace(/^\uFEFF/, '')
			.trimEnd()
			.split('\r\n');
		const column = head.split(',').findIndex((h) => h.endsWith('(coverage_index)'));
		for (const line of lines) expect(line.split(',')[column]).toMatch(/^(\d{1,3}(\.\d)?)?$/);
		const tile = decode(await new TileService(app, { versionTtlMs: 0 }).build('coverage_grid', tileOf(lon(1500), lat(500), 12), '', true), 'coverage_grid');
		expect(tile.length).toBeGreaterThan(0);
		for (const f of tile) expect(String(f.properties.coverage_index)).toMatch(/^\d{1,3}(\.\d)?$/);
	});

	it('says when the rankings are a page: total, limit and offset, pages in rank order, and the CSV holds them all', async () => {
		await coverageEngine(app).ensure();
		const all = await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}`);
		expect(all.status).toBe(200);
		expect(all.body.total).toBe(all.body.rows.length);
		expect(all.body.total).toBeGreaterThan(3);
		expect(all.body).toMatchObject({ limit: 500, offset: 0, updating: false });
		const codes = all.body.rows.map((r: { code: string }) => r.code);
		// pages of two, one after another, are the whole list in the same order, each row as the full answer has it
		const paged: unknown[] = [];
		for (let offset = 0; offset < all.body.total; offset += 2) {
			const page = await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}&limit=2&offset=${offset}`);
			expect(page.body).toMatchObject({ total: all.body.total, limit: 2, offset });
			paged.push(...page.body.rows);
		}
		expect(paged).toEqual(all.body.rows);
		const ranks = all.body.rows.map((r: { rank: number | null }) => r.rank ?? Infinity);
		expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
		expect((await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}&limit=501`)).status).toBe(400);
		expect((await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}&offset=-1`)).status).toBe(400);
		const csv = await call(rankingsRoute, admin, `/api/coverage/rankings?level=grid&within=${D}&format=csv`);
		const lines = csv.text
			.replace(/^\uFEFF/, '')
			.trimEnd()
			.split('\r\n');
		expect(lines).toHaveLength(all.body.total + 1);
		const codeColumn = lines[0].split(',').findIndex((h) => h.endsWith('(code)'));
		expect(lines.slice(1).map((l) => l.split(',')[codeColumn].replace(/"/g, ''))).toEqual(codes);
	});

	it('says when the gap list is a page: total, limit and offset, and the CSV holds them all', async () => {
		await coverageEngine(app).ensure();
		const all = await call(gapsRoute, admin, `/api/coverage/gaps?rule=household_uncared&within=${D}`);
		expect(all.status).toBe(200);
		expect(all.body.total).toBe(all.body.rows.length);
		expect(all.body.total).toBeGreaterThan(1);
		expect(all.body).toMatchObject({ limit: 500, offset: 0, updating: false });
		const page = await call(gapsRoute, admin, `/api/coverage/gaps?rule=household_uncared&within=${D}&limit=1&offset=1`);
		expect(page.body).toMatchObject({ total: all.body.total, limit: 1, offset: 1 });
		expect(page.body.rows).toEqual([all.body.rows[1]]);
		expect((await call(gapsRoute, admin, `/api/coverage/gaps?rule=household_uncared&within=${D}&limit=501`)).status).toBe(400);
		const csv = await call(gapsRoute, admin, `/api/coverage/gaps?rule=household_uncared&within=${D}&format=csv`);
		expect(csv.status).toBe(200);
		expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
		expect(
			csv.text
				.replace(/^\uFEFF/, '')
				.trimEnd()
				.split('\r\n')
		).toHaveLength(all.body.total + 1);
	});
});
