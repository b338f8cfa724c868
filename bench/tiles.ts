// npm run bench:tiles — tile speed as deployed, on server PostGIS with the `district` and `chaoyang`
// demos.
//
// The app runs as `npm start` runs it (the built adapter-node server, bench/lib/app-server.ts) with
// a DATABASE_URL whose login steps down into the app role, so row-level security applies
// (bench/lib/bench-postgis.ts appLogin; checked with `select current_user` through the app's own
// openDb, and by the login itself, which can read nothing as itself). Three accounts, each signed
// in through POST /login with a real session: a district admin (the district), a street secretary
// (a street) and a grid leader (a grid in that street). Each requests its own tiles: POINTS
// buildings picked in its area by a seeded hash, and over each a tile per layer and zoom z12–z16.
//
// Per dataset: uncached p50/p95 per role (BENCH_ROUNDS rounds, default 3, each after a new data
// version: a statement that writes nothing bumps data_version, so every key of the app's tile LRU
// is stale; the derived area_stats and coverage results, unchanged by it, are stamped with the new
// version, so nothing is recomputed on the app's side); the floor: the same tiles' SQL from the
// same builder with the role's scope and audience, run as the owner on a connection of this
// process, JIT off as the app runs it, timed alongside each request (who goes first turns; beside
// them, for stderr only, the same SQL as jiceng_app in a transaction with the scope set, as the
// app's database session runs it: what row-level security costs, apart from the app's own time);
// cached p95 (the LRU warm); requests/s at concurrency 16 (warm; uncached on stderr); the slowest
// single tile. Goals: every role's uncached p95 ≤ 1.25 × the SQL p95; no tile over 500 ms at
// chaoyang (all tiles here are z12–z16); cached p95 < 5 ms.
// Per-layer lines on stderr; ends with one JSON line on stdout:
//   {"district": {"admin_p95_ms", "street_p95_ms", "grid_p95_ms", "sql_p95_ms", "ratio_p95",
//     "cached_p95_ms", "rps_c16", "slowest_ms", "slowest_tile"}, "chaoyang": {…}}
// sql_p95_ms is over every role's tiles; ratio_p95 is the worst role's p95 over it.
//
// The server cluster lives in data/bench-postgis/ (gitignored) and is kept between runs, stopped at
// the end; each dataset is seeded into its own database when missing (`BENCH_SCALES=district` to
// run one). BENCH_MAP_BUILD=never serves build/ as it is (else it is rebuilt when older than the
// sources, as `npm start` would).
import { Agent, request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import pg from 'pg';
import { openDb, APP_ROLE, type Db } from '../src/lib/server/db/open.ts';
import { ensureAreaStats } from '../src/lib/server/db/queries/area-stats.ts';
import { coverageEngine } from '../src/lib/server/coverage/engine.ts';
import { createAccount } from '../src/lib/server/auth/accounts.ts';
import { viewerFor } from '../src/lib/server/auth/viewer.ts';
import type { Role } from '../src/lib/server/auth/roles.ts';
import { startCluster, ensureDataset, appLogin, appRoleCheck, APP_LOGIN, SEED } from './lib/bench-postgis.ts';
import { prepareBuild, startApp, signIn } from './lib/app-server.ts';
import { tileBox, tileOf, type TileId } from '../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES, emptyByDesign, type LayerName } from '../src/lib/server/tiles/sources.ts';
import { mvtQuery } from '../src/lib/server/tiles/tile-sql.ts';
import { TILE_PLANNER } from '../src/lib/server/tiles/service.ts';
import { quantile, r2 } from './lib/figures.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const SCALES = (process.env.BENCH_SCALES ?? 'district,chaoyang').split(',') as ('district' | 'chaoyang')[];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POINTS = 8; // places per role; each gives one tile per layer and zoom
const ZOOMS = [12, 13, 14, 15, 16];
const PASSWORD = 'Bench-Tiles-2026!';
/** the app's TileService trusts a read of data_version this long (service.ts versionTtlMs) */
const VERSION_TTL_MS = 1000;
const SLOW_MS = 500;

const ROLES = [
	{ key: 'admin', role: 'district_admin', level: 'district' },
	{ key: 'street', role: 'street_secretary', level: 'street' },
	{ key: 'grid', role: 'grid_leader', level: 'grid' }
] as const satisfies readonly { key: string; role: Role; level: string }[];
type RoleKey = (typeof ROLES)[number]['key'];

interface Account {
	key: RoleKey;
	role: Role;
	username: string;
	scope: string;
	persons: boolean;
	cookie: string;
}

interface Entry {
	account: Account;
	layer: LayerName;
	t: TileId;
	path: string;
}

// ---------------------------------------------------------------- the areas, accounts and tiles
/** The district; a street by a seeded hash; a grid in that street by the same. */
async function pickAreas(db: Db): Promise<Record<RoleKey, string>> {
	const pick = async (level: string, under: string) => {
		const { rows } = await sql<{ code: string }>`
			select code from area where level = ${level} and starts_with(code, ${under}::text)
			order by md5(${String(SEED)} || code) limit 1`.execute(db.kysely);
		if (!rows[0]) throw new Error(`no ${level} under "${under}"`);
		return rows[0].code;
	};
	const admin = await pick('district', '');
	const street = await pick('street', admin);
	const grid = await pick('grid', street);
	return { admin, street, grid };
}

/** Active accounts made the way `npm run user:add` makes them (the system actor), afresh each run. */
async function makeAccounts(db: Db, scale: string, areas: Record<RoleKey, string>): Promise<Omit<Account, 'cookie'>[]> {
	const system = { accountId: null, username: 'system', role: 'system' };
	const out: Omit<Account, 'cookie'>[] = [];
	for (const { key, role } of ROLES) {
		const username = `bench-tiles-${role.replace(/_/g, '-')}`;
		await db.kysely.deleteFrom('account').where('username', '=', username).execute();
		await createAccount(
			db.kysely,
			{
				username,
				displayName: `bench ${role}`,
				role,
				areaCode: areas[key],
				password: PASSWORD,
				mustChangePassword: false
			},
			system
		);
		const persons = viewerFor(role, areas[key], null, username).persons;
		out.push({ key, role, username, scope: areas[key], persons });
		log(`[bench] ${scale}: ${username} (${role}) on ${areas[key]}${persons ? '' : ', counts only'}`);
	}
	return out;
}

/** POINTS buildings in the account's area by a seeded hash, then a tile per layer and zoom over each */
async function tileSet(db: Db, account: Account): Promise<Entry[]> {
	const { rows } = await sql<{ lon: number; lat: number }>`
		select ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from building
		where starts_with(grid_code, ${account.scope}::text)
		order by md5(${String(SEED)} || id::text) limit ${POINTS}`.execute(db.kysely);
	const seen = new Set<string>();
	const out: Entry[] = [];
	for (const { lon, lat } of rows) {
		for (const z of ZOOMS) {
			const { x, y } = tileOf(lon, lat, z);
			for (const layer of LAYER_NAMES) {
				// below minzoom, or areas above the account's scope: answered without the database, nothing to time
				if (emptyByDesign(layer, z, account.scope)) continue;
				const key = `${layer}/${z}/${x}/${y}`;
				if (!seen.has(key)) {
					seen.add(key);
					out.push({ account, layer, t: { z, x, y }, path: `/tiles/${key}.mvt` });
				}
			}
		}
	}
	return out;
}

/** The roles' lists merged in turn (one of each role, then the next), so noise falls on all alike. */
function interleave(lists: Entry[][]): Entry[] {
	const out: Entry[] = [];
	for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i++) for (const l of lists) if (i < l.length) out.push(l[i]);
	return out;
}

// ---------------------------------------------------------------- the clients
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(port: number, e: Entry): Promise<{ status: number; bytes: number; cache: string; body: string }> {
	return new Promise((ok, fail) => {
		const headers = { 'accept-encoding': 'gzip', cookie: e.account.cookie };
		const req = httpRequest({ host: '127.0.0.1', port, path: e.path, agent, headers }, (res) => {
			let bytes = 0;
			let body = '';
			res.on('data', (c: Buffer) => {
				bytes += c.length;
				if ((res.statusCode ?? 0) >= 300 && body.length < 500) body += c.toString();
			});
			res.on('end', () => ok({ status: res.statusCode ?? 0, bytes, cache: String(res.headers['x-tile-cache'] ?? ''), body }));
			res.on('error', fail);
		});
		req.on('error', fail);
		req.end();
	});
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * A new data version without a change of data: a statement that writes no row still fires the
 * statement-level bump trigger (sql/004), so the app's LRU keys, which carry the version, are all
 * stale. The derived results were fresh for the old version and no data moved: they are stamped
 * with the new one in the same transaction, so neither the app nor anyone recomputes them.
 */
async function newVersion(owner: Db): Promise<number> {
	const v = await owner.kysely.transaction().execute(async (trx) => {
		const {
			rows: [before]
		} = await sql<{ v: number; stats: number | null; coverage: number | null }>`
			select (select version from data_version where id = 1) as v,
			       (select data_version from area_stats_state where id = 1) as stats,
			       (select data_version from coverage_run where id = 1) as coverage`.execute(trx);
		if (Number(before.stats) !== Number(before.v) || Number(before.coverage) !== Number(before.v)) {
			throw new Error(`derived results not fresh before the bump: ${JSON.stringify(before)}`);
		}
		await sql`update service_centre set name = name where false`.execute(trx);
		const {
			rows: [after]
		} = await sql<{ v: number }>`select version as v from data_version where id = 1`.execute(trx);
		if (Number(after.v) <= Number(before.v)) throw new Error('data_version did not move');
		await sql`update area_stats_state set data_version = ${after.v} where id = 1 and data_version = ${before.v}`.execute(trx);
		await sql`update coverage_run set data_version = ${after.v} where id = 1 and data_version = ${before.v}`.execute(trx);
		return Number(after.v);
	});
	await sleep(VERSION_TTL_MS + 200); // the app reads it afresh at its next request
	return v;
}

// ---------------------------------------------------------------- one dataset
async function benchDataset(ownerUrl: string, scale: string, build: string) {
	const owner = await openDb({ backend: 'server', url: ownerUrl, poolSize: 2 });
	// the derived results fresh before the app starts (it would recompute coverage in the background)
	await ensureAreaStats(owner);
	await coverageEngine(owner).ensure((l) => log(`[bench] ${scale}: coverage ${l}`));
	const areas = await pickAreas(owner);
	const made = await makeAccounts(owner, scale, areas);

	const appUrl = await appLogin(ownerUrl);
	const check = await appRoleCheck(appUrl);
	log(
		`[bench] ${scale}: the app logs in as ${check.session_user} and runs as current_user ${check.current_user} (superuser ${check.superuser}, bypassrls ${check.bypassrls}; members seen without a scope: ${check.members_unscoped})`
	);
	const app = await startApp(appUrl, { build });
	try {
		const accounts: Account[] = [];
		for (const a of made) accounts.push({ ...a, cookie: await signIn(app.origin, a.username, PASSWORD) });
		const port = Number(new URL(app.origin).port);
		// the app restamps (or recomputes) its coverage results in the background after a new data
		// version, and coverage tiles are keyed by the results' generation: time nothing until the
		// app says its results are those of version v and nothing is updating
		const adminAccount = accounts.find((a) => a.key === 'admin')!;
		const {
			rows: [district]
		} = await sql<{ code: string }>`select code from area where level = 'district'`.execute(owner.kysely);
		const settle = async (v: number) => {
			const deadline = Date.now() + 180_000;
			for (;;) {
				const r = await fetch(`${app.origin}/api/coverage/area/${district.code}`, { headers: { cookie: adminAccount.cookie } });
				const body = r.ok ? ((await r.json()) as { computed_version?: number | null; updating?: boolean }) : null;
				if (body && body.updating === false && (body.computed_version ?? 0) >= v) break;
				if (Date.now() > deadline) throw new Error(`the app's coverage did not settle on version ${v} in 180 s`);
				await sleep(200);
			}
			await sleep(VERSION_TTL_MS + 200);
		};
		const freshVersion = async () => {
			const v = await newVersion(owner);
			await settle(v);
			return v;
		};
		const byRole = await Promise.all(accounts.map((a) => tileSet(owner, a)));
		const entries = interleave(byRole);
		log(
			`[bench] ${scale}: ${byRole.map((l, i) => `${accounts[i].key} ${l.length}`).join(', ')} tiles (≤ ${POINTS} places each × z${ZOOMS[0]}–${ZOOMS.at(-1)} × layers)`
		);

		// the floor: the same SQL, as the owner, on a connection of this process, planned as the app
		// plans it (tiles/service.ts tileTransactionSettings: no JIT, no parallel workers)
		const PLANNER = Object.entries(TILE_PLANNER)
			.map(([name, value]) => `set ${name} = ${value}`)
			.join('; ');
		const raw = new pg.Client({ connectionString: ownerUrl });
		await raw.connect();
		await raw.query(PLANNER);
		const compiled = new Map<Entry, { sql: string; parameters: unknown[] }>();
		for (const e of entries) {
			const ctx = { box: tileBox(e.t), scope: e.account.scope, persons: e.account.persons };
			const q = mvtQuery(e.layer, SOURCES[e.layer].sql(ctx), SOURCES[e.layer].hasId).compile(owner.kysely);
			compiled.set(e, { sql: q.sql, parameters: [...q.parameters] });
		}
		const rawSql = async (e: Entry) => {
			const q = compiled.get(e)!;
			const started = performance.now();
			await raw.query(q.sql, q.parameters);
			return performance.now() - started;
		};
		// a diagnostic beside it (stderr only): the same SQL as the app's database session runs it —
		// as jiceng_app, row-level security on, in a transaction with the scope set — without the app
		const asApp = new pg.Client({ connectionString: ownerUrl });
		await asApp.connect();
		await asApp.query(PLANNER);
		await asApp.query(`set role ${APP_ROLE}`);
		const appSql = async (e: Entry) => {
			const q = compiled.get(e)!;
			const started = performance.now();
			await asApp.query('begin');
			await asApp.query(`select set_config('jiceng.scope', $1::text, true)`, [e.account.scope || '*']);
			await asApp.query(q.sql, q.parameters);
			await asApp.query('commit');
			return performance.now() - started;
		};
		const http = async (e: Entry, expect: 'miss' | 'hit') => {
			const started = performance.now();
			const r = await get(port, e);
			const ms = performance.now() - started;
			if (r.status !== 200 && r.status !== 204) throw new Error(`${e.path} as ${e.account.role} → ${r.status} ${r.body}`);
			if (r.cache !== expect) throw new Error(`${e.path} as ${e.account.role}: expected a cache ${expect}, got "${r.cache}"`);
			return { ms, bytes: r.bytes };
		};

		// warm-up: PROJ and the buffers on every pooled connection of the app, and the raw ones
		for (const e of entries) await rawSql(e);
		for (const e of entries) await appSql(e);
		{
			let next = 0;
			await Promise.all(
				Array.from({ length: 4 }, async () => {
					while (next < entries.length) await http(entries[next++], 'miss');
				})
			);
		}
		// the app's own connections: the bench's login, stepped down (the login alone reads no tile data)
		const { rows: conns } = await sql<{ usename: string; n: number }>`
			select usename::text, count(*)::int as n from pg_stat_activity
			where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' group by 1`.execute(owner.kysely);
		const appConns = conns.find((c) => c.usename === APP_LOGIN)?.n ?? 0;
		if (!appConns || /could not switch to role/.test(app.output()))
			throw new Error(`the app is not connected as ${APP_LOGIN} stepping down: ${JSON.stringify(conns)}\n${app.output().slice(-2000)}`);
		log(`[bench] ${scale}: the app holds ${appConns} connection(s) as ${APP_LOGIN} (NOINHERIT: every tile it served ran as jiceng_app)`);

		// uncached rounds, each after a new data version
		type Sample = { e: Entry; sql: number; rls: number; http: number; bytes: number };
		const samples: Sample[] = [];
		for (let round = 0; round < ROUNDS; round++) {
			const v = await freshVersion();
			const started = performance.now();
			for (const [i, e] of entries.entries()) {
				// who goes first turns, so none gets the others' warm pages
				let s = 0;
				let a = 0;
				let h = { ms: 0, bytes: 0 };
				const steps = [async () => (s = await rawSql(e)), async () => (h = await http(e, 'miss')), async () => (a = await appSql(e))];
				for (let k = 0; k < 3; k++) await steps[(i + round + k) % 3]();
				samples.push({ e, sql: s, rls: a, http: h.ms, bytes: h.bytes });
			}
			log(`[bench] ${scale}: round ${round + 1}/${ROUNDS} (data version ${v}) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
		}

		// per layer, per role: http p50/p95 and the SQL p95 of the same tiles
		const of = (f: (s: Sample) => boolean) => samples.filter(f);
		log(`[bench] ${scale} per layer, uncached http p50/p95 (owner sql p95 / the same as jiceng_app in a transaction p95) ms:`);
		for (const layer of LAYER_NAMES) {
			const cols = accounts.map((a) => {
				const xs = of((s) => s.e.layer === layer && s.e.account === a);
				if (!xs.length) return `${a.key} –`;
				return `${a.key} ${f1(
					quantile(
						xs.map((s) => s.http),
						0.5
					)
				)}/${f1(
					quantile(
						xs.map((s) => s.http),
						0.95
					)
				)} (${f1(
					quantile(
						xs.map((s) => s.sql),
						0.95
					)
				)}/${f1(
					quantile(
						xs.map((s) => s.rls),
						0.95
					)
				)})`;
			});
			if (of((s) => s.e.layer === layer).length) log(`[bench] ${scale} ${layer.padEnd(18)} ${cols.map((c) => c.padEnd(36)).join(' ')}`);
		}
		const perRole = Object.fromEntries(
			accounts.map((a) => {
				const xs = of((s) => s.e.account === a);
				const hp95 = quantile(
					xs.map((s) => s.http),
					0.95
				);
				const sp95 = quantile(
					xs.map((s) => s.sql),
					0.95
				);
				log(
					`[bench] ${scale} ${a.key.padEnd(6)} (${a.role} on ${a.scope}): http p50 ${f1(
						quantile(
							xs.map((s) => s.http),
							0.5
						)
					)} p95 ${f1(hp95)} ms · owner sql p50 ${f1(
						quantile(
							xs.map((s) => s.sql),
							0.5
						)
					)} p95 ${f1(sp95)} ms · ratio ${(hp95 / sp95).toFixed(2)} · as jiceng_app p50 ${f1(
						quantile(
							xs.map((s) => s.rls),
							0.5
						)
					)} p95 ${f1(
						quantile(
							xs.map((s) => s.rls),
							0.95
						)
					)} ms · ${xs.length} requests`
				);
				return [a.key, { p95: hp95, sqlP95: sp95 }];
			})
		) as Record<RoleKey, { p95: number; sqlP95: number }>;
		const slowest = samples.reduce((m, s) => (s.http > m.http ? s : m));
		const slow = samples.filter((s) => s.http > SLOW_MS);
		const slowTiles = [...new Map(slow.map((s) => [`${s.e.path} ${s.e.account.key}`, s])).values()];
		log(
			`[bench] ${scale}: slowest tile ${slowest.e.path} as ${slowest.e.account.role}: ${f1(slowest.http)} ms (owner sql ${f1(slowest.sql)} ms, as jiceng_app ${f1(slowest.rls)} ms)`
		);
		log(
			`[bench] ${scale}: ${slow.length} of ${samples.length} uncached requests over ${SLOW_MS} ms${
				slowTiles.length
					? `: ${slowTiles
							.slice(0, 12)
							.map((s) => `${s.e.layer}/${s.e.t.z}/${s.e.t.x}/${s.e.t.y} ${s.e.account.key} ${f1(s.http)} (sql ${f1(s.sql)}, as jiceng_app ${f1(s.rls)})`)
							.join(', ')}`
					: ''
			}`
		);

		// cached: the LRU holds every role's tiles of the last version now — but a live layer's
		// (requests: they change without a data version) are built for every request, never kept
		const kept = entries.filter((e) => !SOURCES[e.layer].live);
		const cachedMs: number[] = [];
		for (let round = 0; round < 3; round++) for (const e of kept) cachedMs.push((await http(e, 'hit')).ms);

		// throughput at concurrency 16: warm LRU (every tile of every role, again and again), then uncached
		const throughput = async (requests: Entry[], expect: 'miss' | 'hit') => {
			let next = 0;
			const started = performance.now();
			await Promise.all(
				Array.from({ length: 16 }, async () => {
					while (next < requests.length) {
						const e = requests[next++];
						const r = await get(port, e);
						if (r.status !== 200 && r.status !== 204) throw new Error(`${e.path} as ${e.account.role} → ${r.status} ${r.body}`);
						if (expect === 'hit' && r.cache !== 'hit') throw new Error(`${e.path}: expected a cache hit, got "${r.cache}"`);
					}
				})
			);
			return requests.length / ((performance.now() - started) / 1000);
		};
		const warm: Entry[] = [];
		while (warm.length < 3000) warm.push(...kept);
		const rpsWarm = await throughput(warm, 'hit');
		await freshVersion();
		const rpsCold = await throughput(entries, 'miss');
		await raw.end();
		await asApp.end();

		const all = samples.map((s) => s.http);
		const sqlP95 = quantile(
			samples.map((s) => s.sql),
			0.95
		);
		const worst = Math.max(...accounts.map((a) => perRole[a.key].p95));
		const result = {
			admin_p95_ms: r2(perRole.admin.p95),
			street_p95_ms: r2(perRole.street.p95),
			grid_p95_ms: r2(perRole.grid.p95),
			sql_p95_ms: r2(sqlP95),
			ratio_p95: r2(worst / sqlP95),
			cached_p95_ms: r2(quantile(cachedMs, 0.95)),
			rps_c16: Math.round(rpsWarm),
			slowest_ms: r2(slowest.http),
			slowest_tile: `${slowest.e.layer} ${slowest.e.t.z}/${slowest.e.t.x}/${slowest.e.t.y} as ${slowest.e.account.role}`
		};
		log(
			`[bench] ${scale}: uncached http p50 ${f1(quantile(all, 0.5))} ms, sql p50 ${f1(
				quantile(
					samples.map((s) => s.sql),
					0.5
				)
			)} ms; per-role ratios ${accounts.map((a) => `${a.key} ${(perRole[a.key].p95 / perRole[a.key].sqlP95).toFixed(2)}`).join(', ')}; uncached rps at c16 ${Math.round(rpsCold)}; avg gzip ${f1(samples.reduce((t, s) => t + s.bytes, 0) / samples.length / 1024)} kB`
		);
		const goals = [
			`p95 ≤ 1.25 × sql p95 for every role: ${accounts.every((a) => perRole[a.key].p95 <= 1.25 * perRole[a.key].sqlP95) ? 'met' : 'MISSED'} per role's own tiles, ${worst <= 1.25 * sqlP95 ? 'met' : 'MISSED'} against the pooled sql p95 (${result.ratio_p95})`,
			`cached p95 < 5 ms: ${result.cached_p95_ms < 5 ? 'met' : 'MISSED'} (${result.cached_p95_ms})`,
			...(scale === 'chaoyang'
				? [`no tile over ${SLOW_MS} ms: ${slow.length ? `MISSED (${slowTiles.length} tiles, slowest ${f1(slowest.http)} ms)` : 'met'}`]
				: [])
		];
		log(`[bench] ${scale} goals: ${goals.join('; ')}`);
		log(`[bench] ${scale}: ${JSON.stringify(result)}`);
		return result;
	} catch (e) {
		log(`[bench] ${scale}: the app's last output:\n${app.output().slice(-3000)}`);
		throw e;
	} finally {
		await app.stop();
		await owner.close();
	}
}

const cluster = await startCluster();
process.on('exit', () => cluster.stop());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const results: Record<string, unknown> = {};
try {
	const build = prepareBuild('data/tmp/bench-tiles/build');
	for (const scale of SCALES) {
		const url = await ensureDataset(cluster.url, scale);
		results[scale] = await benchDataset(url, scale, build);
	}
} finally {
	cluster.stop();
}
console.log(JSON.stringify(results));
