// npm run bench:load — the app under a realistic mixed load, as deployed (issue 14 part 1).
//
// The built app (bench/lib/app-server.ts, as `npm start` serves it) with real sessions: a district
// admin and BENCH_LOAD_GRIDS grid leaders (default 40), each a distinct account signed in through
// POST /login and bound to its own area. On server PostGIS the app logs in as a NOINHERIT login
// that steps down into jiceng_app, so row-level security applies (bench/lib/bench-postgis.ts
// appLogin, checked with appRoleCheck); the embedded backend runs the same build on a PGlite
// folder of its own (data/tmp/bench-load/pglite-<dataset>, seeded once and kept).
//
// The mix, closed loop (each connection sends its next request when the last one answered), for
// --duration seconds (default 60): 55 % map tiles (a view — the admin's, or one grid leader's —
// then a tile of that view at z12–z16 over buildings of its area, layers per their minzoom),
// 30 % JSON reads (/api/areas/<code>/summary, /api/search?q=, /api/coverage/area/<code>,
// /api/coverage/rankings, each as the viewer of its own area), 15 % writes: POST /api/visits as
// a grid leader on a household of their own grid (70 %), and POST /api/requests (诉求) from such a
// household (30 %), a fresh client_id each time.
// A tile is "cached" when the app answered it from its LRU (x-tile-cache: hit) and "uncached"
// when it built it (miss) or joined a build under way (shared); one with nothing there by design
// (none: a grid leader's streets) is in neither figure, only in the per-route lines.
// Goals: 0 errors, 0 timeouts (10 s); p99 < 500 ms JSON, < 300 ms cached tiles, < 1 s uncached.
//
// Backends: embedded at 10 connections, then server at 100 (--backend server|embedded|both,
// --connections N overrides both). One JSON line per backend on stdout, the server's last:
//   {"backend", "connections", "rps", "errors", "timeouts", "json_p99_ms", "cached_tile_p99_ms",
//    "uncached_tile_p99_ms", "write_p99_ms"}
// --dataset district|chaoyang (default chaoyang, as issue 14 asks; seeded once into the bench
// cluster, which takes long). --soak: the server backend only, the mix for 10 minutes
// (--duration overrides) with the app's resident memory sampled every 10 s; says whether it stayed
// flat within 10 % after the first minute (the median of its last two minutes against that of the
// two after the first), and adds "rss_mb_first", "rss_mb_last", "rss_growth_pct", "rss_range_pct",
// "rss_flat" to the line.
import { Agent, request as httpRequest } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { ensureAreaStats } from '../src/lib/server/db/queries/area-stats.ts';
import { coverageEngine } from '../src/lib/server/coverage/engine.ts';
import { recountVisits } from '../src/lib/server/coverage/visits.ts';
import { withScope, SYSTEM } from '../src/lib/server/db/scoped.ts';
import { seedDemo } from '../src/lib/server/seed/index.ts';
import { tileOf } from '../src/lib/server/tiles/bounds.ts';
import { SOURCES, type LayerName } from '../src/lib/server/tiles/sources.ts';
import { startCluster, ensureDataset, appLogin, appRoleCheck, SEED } from './lib/bench-postgis.ts';
import { prepareBuild, startApp, signIn } from './lib/app-server.ts';
import { benchAccount } from './lib/accounts.ts';
import { quantile } from './lib/figures.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const { values: args } = parseArgs({
	options: {
		dataset: { type: 'string', default: 'chaoyang' },
		backend: { type: 'string', default: 'both' },
		connections: { type: 'string' },
		duration: { type: 'string' },
		soak: { type: 'boolean', default: false }
	}
});
const DATASET = args.dataset as 'district' | 'chaoyang';
if (DATASET !== 'district' && DATASET !== 'chaoyang') throw new Error(`--dataset district|chaoyang, not ${args.dataset}`);
const SOAK = args.soak;
const DURATION_S = Number(args.duration ?? (SOAK ? 600 : 60));
const BACKENDS = SOAK ? ['server'] : args.backend === 'both' ? ['embedded', 'server'] : [args.backend];
for (const b of BACKENDS) if (b !== 'server' && b !== 'embedded') throw new Error(`--backend server|embedded|both, not ${b}`);
const CONNECTIONS: Record<string, number> = { embedded: Number(args.connections ?? 10), server: Number(args.connections ?? 100) };
const GRIDS = Number(process.env.BENCH_LOAD_GRIDS ?? 40);
const TIMEOUT_MS = 10_000;
const PASSWORD = 'Bench-Load-2026!';
const LAYERS: LayerName[] = ['streets', 'communities', 'grids', 'buildings', 'service_centres', 'members', 'coverage_community'];
const ZOOMS = [12, 13, 14, 15, 16];

type Kind = 'json' | 'tile' | 'write';
interface View {
	username: string;
	cookie: string;
	area: string;
	level: 'district' | 'grid';
	tiles: string[];
	households: number[];
}

// ---------------------------------------------------------------- the dataset's side
/** the district, GRIDS grids by a seeded hash; accounts for each; their tiles, households and search words */
async function prepare(db: Db): Promise<{ views: Omit<View, 'cookie'>[]; words: string[] }> {
	const {
		rows: [district]
	} = await sql<{ code: string }>`select code from area where level = 'district' order by code limit 1`.execute(db.kysely);
	const { rows: grids } = await sql<{ code: string }>`
		select a.code from area a where a.level = 'grid'
		  and exists (select 1 from building b join household h on h.building_id = b.id where b.grid_code = a.code)
		order by md5(${String(SEED)} || a.code) limit ${GRIDS}`.execute(db.kysely);
	const tilesOver = async (area: string, points: number, zooms: number[]) => {
		const { rows } = await sql<{ lon: number; lat: number }>`
			select ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from building
			where starts_with(grid_code, ${area}::text) order by md5(${String(SEED)} || id::text) limit ${points}`.execute(db.kysely);
		const out = new Set<string>();
		for (const { lon, lat } of rows)
			for (const z of zooms) {
				const { x, y } = tileOf(lon, lat, z);
				for (const layer of LAYERS) if (z >= SOURCES[layer].minzoom) out.add(`/tiles/${layer}/${z}/${x}/${y}.mvt`);
			}
		return [...out];
	};
	const views: Omit<View, 'cookie'>[] = [];
	await benchAccount(db, { username: 'bench-load-admin', role: 'district_admin', area: district.code, password: PASSWORD });
	views.push({ username: 'bench-load-admin', area: district.code, level: 'district', tiles: await tilesOver(district.code, 40, ZOOMS), households: [] });
	for (const [i, g] of grids.entries()) {
		const username = `bench-load-grid-${i + 1}`;
		await benchAccount(db, { username, role: 'grid_leader', area: g.code, password: PASSWORD });
		const { rows } = await sql<{ id: number }>`
			select h.id::int as id from household h join building b on b.id = h.building_id where b.grid_code = ${g.code}
			order by md5(${String(SEED)} || h.id::text) limit 30`.execute(db.kysely);
		views.push({ username, area: g.code, level: 'grid', tiles: await tilesOver(g.code, 4, [14, 15, 16]), households: rows.map((r) => r.id) });
	}
	// two-character stems of area and road names: what people type into the search box
	const { rows: names } = await sql<{ name: string }>`
		(select name from area where level in ('street', 'community') order by md5(code) limit 20)`.execute(db.kysely);
	const words = [...new Set(names.map((n) => n.name.slice(0, 2)))];
	return { views, words };
}

/** the embedded backend's own folder, seeded once with the dataset (and its derived results) */
async function embeddedFolder(): Promise<string> {
	const dir = resolve(`data/tmp/bench-load/pglite-${DATASET}`);
	mkdirSync(resolve('data/tmp/bench-load'), { recursive: true });
	const db = await openDb({ backend: 'embedded', dataDir: dir });
	try {
		await migrate(db, (l) => log(`[load] embedded: ${l}`));
		const { rows } = await sql<{ scale: string; seed: number }>`select scale, seed from dataset`.execute(db.kysely);
		if (rows[0]?.scale === DATASET && rows[0]?.seed === SEED) log(`[load] embedded ${DATASET}: already seeded (${dir})`);
		else {
			log(`[load] embedded ${DATASET}: seeding (seed ${SEED}) into ${dir} …`);
			const { seconds } = await seedDemo(db, { scale: DATASET, seed: SEED, log: (l) => log(`[load] ${l}`) });
			log(`[load] embedded ${DATASET}: seeded in ${seconds.toFixed(0)} s`);
		}
	} finally {
		await db.close();
	}
	return dir;
}

// ---------------------------------------------------------------- the load
const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];

interface Outcome {
	status: number;
	cache: string;
	body: string;
	timeout: boolean;
	neterror: string | null;
}

function send(agent: Agent, port: number, method: 'GET' | 'POST', path: string, cookie: string, body?: string): Promise<Outcome> {
	return new Promise((ok) => {
		const headers: Record<string, string> = { 'accept-encoding': 'gzip', accept: 'application/json', cookie };
		if (body !== undefined)
			Object.assign(headers, { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, 'content-length': String(Buffer.byteLength(body)) });
		let done = false;
		const finish = (o: Outcome) => {
			if (done) return;
			done = true;
			ok(o);
		};
		const req = httpRequest({ host: '127.0.0.1', port, path, method, agent, headers, timeout: TIMEOUT_MS }, (res) => {
			let text = '';
			res.on('data', (c: Buffer) => {
				if ((res.statusCode ?? 0) >= 400 && text.length < 400) text += c.toString();
			});
			res.on('end', () =>
				finish({ status: res.statusCode ?? 0, cache: String(res.headers['x-tile-cache'] ?? ''), body: text, timeout: false, neterror: null })
			);
			res.on('error', (e) => finish({ status: 0, cache: '', body: '', timeout: false, neterror: e.message }));
		});
		req.on('timeout', () => {
			finish({ status: 0, cache: '', body: '', timeout: true, neterror: null });
			req.destroy();
		});
		req.on('error', (e) => finish({ status: 0, cache: '', body: '', timeout: false, neterror: e.message }));
		if (body !== undefined) req.write(body);
		req.end();
	});
}

/** one request of the mix: what, as whom, where (route is the path with its codes and numbers blanked, for the error table) */
function nextRequest(views: View[], words: string[]): { kind: Kind; method: 'GET' | 'POST'; path: string; route: string; view: View; body?: string } {
	const admin = views[0];
	const leaders = views.slice(1);
	const r = Math.random();
	if (r < 0.55) {
		// tiles: a third over the admin's view, the rest over grid leaders' own
		const view = Math.random() < 0.33 ? admin : pick(leaders);
		const path = pick(view.tiles);
		return { kind: 'tile', method: 'GET', path, route: `/tiles/${path.split('/')[2]}`, view };
	}
	if (r < 0.85) {
		const view = Math.random() < 0.3 ? admin : pick(leaders);
		const which = Math.floor(Math.random() * 4);
		if (which === 0) return { kind: 'json', method: 'GET', path: `/api/areas/${view.area}/summary`, route: '/api/areas/<code>/summary', view };
		if (which === 1) return { kind: 'json', method: 'GET', path: `/api/search?q=${encodeURIComponent(pick(words))}`, route: '/api/search', view };
		if (which === 2) return { kind: 'json', method: 'GET', path: `/api/coverage/area/${view.area}`, route: '/api/coverage/area/<code>', view };
		const level = view.level === 'district' ? pick(['street', 'community', 'grid']) : 'grid';
		return { kind: 'json', method: 'GET', path: `/api/coverage/rankings?level=${level}&within=${view.area}`, route: '/api/coverage/rankings', view };
	}
	const view = pick(leaders.filter((l) => l.households.length));
	if (Math.random() < 0.3) {
		const body = JSON.stringify({
			client_id: randomUUID(),
			household_id: pick(view.households),
			category: pick(['environment', 'facilities', 'safety', 'neighbours', 'welfare', 'other']),
			urgency: pick(['normal', 'urgent']),
			description: 'bench:load'
		});
		return { kind: 'write', method: 'POST', path: '/api/requests', route: 'POST /api/requests', view, body };
	}
	const body = JSON.stringify({
		client_id: randomUUID(),
		household_id: pick(view.households),
		kind: pick(['routine', 'help', 'follow_up', 'event']),
		note: 'bench:load'
	});
	return { kind: 'write', method: 'POST', path: '/api/visits', route: 'POST /api/visits', view, body };
}

interface Run {
	requests: number;
	seconds: number;
	errors: number;
	timeouts: number;
	ms: Record<'json' | 'cached' | 'uncached' | 'write', number[]>;
	failures: Map<string, { n: number; sample: string }>;
	/** latency per route (tiles per layer and cache outcome), for stderr */
	byRoute: Map<string, number[]>;
	/** uncached tiles over 1 s, per 10 s of the run, and how many of them joined a build under way: where the tail is */
	slowUncached: { byWindow: number[]; shared: number; byTile: Map<string, number> };
	/** answers and uncached tiles per 10 s of the run: how the throughput and the tiles built move */
	perWindow: { answers: number[]; uncached: number[] };
	/** the run's first seconds, second by second: uncached tiles' and JSON answers' times (the herd of a cold start) */
	firstSeconds: { uncached: number[][]; json: number[][] };
}

/** how many of the run's first seconds firstSeconds follows */
const FIRST_SECONDS = 3;

async function drive(port: number, views: View[], words: string[], connections: number, seconds: number, onTick?: () => void): Promise<Run> {
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	const run: Run = {
		requests: 0,
		seconds,
		errors: 0,
		timeouts: 0,
		ms: { json: [], cached: [], uncached: [], write: [] },
		failures: new Map(),
		byRoute: new Map(),
		slowUncached: { byWindow: [], shared: 0, byTile: new Map() },
		perWindow: { answers: [], uncached: [] },
		firstSeconds: { uncached: Array.from({ length: FIRST_SECONDS }, () => []), json: Array.from({ length: FIRST_SECONDS }, () => []) }
	};
	const started = performance.now();
	const end = started + seconds * 1000;
	const ticker = onTick ? setInterval(onTick, 10_000) : null;
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < end) {
				const q = nextRequest(views, words);
				const t0 = performance.now();
				const o = await send(agent, port, q.method, q.path, q.view.cookie, q.body);
				const ms = performance.now() - t0;
				run.requests++;
				const failed = o.timeout || o.neterror !== null || o.status >= 400 || o.status === 0;
				if (o.timeout) run.timeouts++;
				else if (failed) run.errors++;
				if (failed) {
					const key = `${q.route} → ${o.timeout ? 'timeout' : o.neterror ? `network error ${o.neterror}` : o.status}`;
					const f = run.failures.get(key) ?? { n: 0, sample: `${q.method} ${q.path} as ${q.view.username}: ${o.body.slice(0, 200)}` };
					f.n++;
					run.failures.set(key, f);
					continue;
				}
				// 'none': nothing there by design (areas above the viewer's scope), answered without building
				// anything: neither cached nor built, so in neither figure (listed per route)
				const tileState = o.cache === 'hit' ? 'cached' : o.cache === 'none' ? 'empty by design' : 'uncached';
				const route = q.kind === 'tile' ? `${q.route} ${tileState}` : q.route;
				const xs = run.byRoute.get(route) ?? [];
				if (!xs.length) run.byRoute.set(route, xs);
				xs.push(ms);
				if (q.kind === 'tile') {
					if (tileState !== 'empty by design') run.ms[tileState].push(ms);
				} else run.ms[q.kind].push(ms);
				const w = Math.floor((t0 - started) / 10_000);
				run.perWindow.answers[w] = (run.perWindow.answers[w] ?? 0) + 1;
				// the tiles of the uncached figure, and only those, in its per-10 s counts
				const built = q.kind === 'tile' && tileState === 'uncached';
				if (built) run.perWindow.uncached[w] = (run.perWindow.uncached[w] ?? 0) + 1;
				const second = Math.floor((t0 - started) / 1000);
				if (second < FIRST_SECONDS && (built || q.kind === 'json')) run.firstSeconds[built ? 'uncached' : 'json'][second].push(ms);
				if (built && ms > 1000) {
					run.slowUncached.byWindow[w] = (run.slowUncached.byWindow[w] ?? 0) + 1;
					if (o.cache === 'shared') run.slowUncached.shared++;
					// which tiles: whose view, which layer, which zoom
					const [, , layer, z] = q.path.split('/');
					const kind = `${q.view.level === 'district' ? 'admin' : 'grid leader'} ${layer} z${z}`;
					run.slowUncached.byTile.set(kind, (run.slowUncached.byTile.get(kind) ?? 0) + 1);
				}
			}
		})
	);
	if (ticker) clearInterval(ticker);
	run.seconds = (performance.now() - started) / 1000;
	agent.destroy();
	return run;
}

const rssMb = (pid: number) => {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
};

/** CPU seconds a process has used, in user space and in the kernel (/proc/<pid>/stat, every thread) */
function cpuSeconds(pid: number): { user: number; system: number } {
	// the fields after the command's closing parenthesis (its last: a command may hold one), of
	// which utime and stime are the 12th and 13th
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const tick = 100; // USER_HZ: 100 on every Linux build
	return { user: Number(fields[11]) / tick, system: Number(fields[12]) / tick };
}

// ---------------------------------------------------------------- one backend
async function benchBackend(backend: 'server' | 'embedded', build: string, cluster: Awaited<ReturnType<typeof startCluster>> | null) {
	const connections = CONNECTIONS[backend];
	let appUrl = '';
	let env: Record<string, string> = { JICENG_LOGIN_THROTTLE: 'off' };
	let owner: Db;
	if (backend === 'server') {
		const ownerUrl = await ensureDataset(cluster!.url, DATASET);
		owner = await openDb({ backend: 'server', url: ownerUrl, poolSize: 2 });
		appUrl = await appLogin(ownerUrl);
	} else {
		const dir = await embeddedFolder();
		owner = await openDb({ backend: 'embedded', dataDir: dir });
		env = { ...env, PGLITE_DIR: dir };
	}
	let prepared: Awaited<ReturnType<typeof prepare>>;
	try {
		// each run starts from the dataset as seeded: the visits and requests of earlier runs go (their
		// requests' figures are counted live, so every run would otherwise read more rows than the last)
		const removed = await withScope(owner, SYSTEM, async (trx) => {
			const visits = await sql`delete from visit where note = 'bench:load'`.execute(trx);
			const requests = await sql`delete from request where description = 'bench:load'`.execute(trx);
			return { visits: Number(visits.numAffectedRows ?? 0), requests: Number(requests.numAffectedRows ?? 0) };
		});
		if (removed.visits) await recountVisits(owner);
		log(`[load] ${backend}: removed ${removed.visits} visits and ${removed.requests} requests of earlier runs`);
		prepared = await prepare(owner);
		// the derived results fresh before the app starts, after every write above (the clean-up, the
		// accounts): else the app recomputes them in the load's first seconds
		await ensureAreaStats(owner);
		await coverageEngine(owner).ensure((l) => log(`[load] ${backend}: coverage ${l}`));
	} finally {
		// the embedded folder is one process's at a time: the app's, from here on
		await owner.close();
	}
	if (backend === 'server') {
		const check = await appRoleCheck(appUrl);
		log(
			`[load] server: the app logs in as ${check.session_user}, runs as ${check.current_user} (bypassrls ${check.bypassrls}; members without a scope ${check.members_unscoped})`
		);
	}
	const app = await startApp(appUrl, { build, env });
	try {
		const views: View[] = [];
		for (const v of prepared.views) views.push({ ...v, cookie: await signIn(app.origin, v.username, PASSWORD) });
		log(
			`[load] ${backend} ${DATASET}: ${views.length} sessions (1 district admin, ${views.length - 1} grid leaders), ${views.reduce((t, v) => t + v.tiles.length, 0)} distinct tiles in the views; ${connections} connections for ${DURATION_S} s`
		);
		const port = Number(new URL(app.origin).port);
		const rss: number[] = [];
		const sample = () => {
			rss.push(rssMb(app.pid));
			if (SOAK) log(`[load] soak: ${(rss.length * 10).toFixed(0)} s, app RSS ${rss.at(-1)!.toFixed(0)} MB`);
		};
		sample();
		const cpuBefore = cpuSeconds(app.pid);
		const run = await drive(port, views, prepared.words, connections, DURATION_S, sample);
		const cpuAfter = cpuSeconds(app.pid);
		sample();
		const p99 = (xs: number[]) => r1(quantile(xs, 0.99));
		const line: Record<string, unknown> = {
			backend,
			connections,
			rps: Math.round(run.requests / run.seconds),
			errors: run.errors,
			timeouts: run.timeouts,
			json_p99_ms: p99(run.ms.json),
			cached_tile_p99_ms: p99(run.ms.cached),
			uncached_tile_p99_ms: p99(run.ms.uncached),
			write_p99_ms: p99(run.ms.write)
		};
		const counts = Object.entries(run.ms)
			.map(([k, xs]) => `${k} ${xs.length} (p50 ${r1(quantile(xs, 0.5))}, p99 ${r1(quantile(xs, 0.99))} ms)`)
			.join(', ');
		log(
			`[load] ${backend}: ${run.requests} requests in ${run.seconds.toFixed(1)} s: ${counts}; ${run.ms.write.length / run.seconds > 0 ? `${(run.ms.write.length / run.seconds).toFixed(0)} writes/s` : ''}`
		);
		// what each answer cost the app's process (its one JavaScript thread, gzip's and the collector's):
		// in the kernel, mostly its sends to the browsers and to PostgreSQL
		const perRequestMs = (s: number) => ((s * 1000) / run.requests).toFixed(2);
		log(
			`[load] ${backend}: the app's CPU per request ${perRequestMs(cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system)} ms (user ${perRequestMs(cpuAfter.user - cpuBefore.user)}, kernel ${perRequestMs(cpuAfter.system - cpuBefore.system)})`
		);
		for (const [route, xs] of [...run.byRoute].sort(([a], [b]) => a.localeCompare(b)))
			log(`[load] ${backend}   ${route.padEnd(40)} ${String(xs.length).padStart(6)} × p50 ${r1(quantile(xs, 0.5))} p99 ${r1(quantile(xs, 0.99))} ms`);
		const slow = run.slowUncached;
		log(
			`[load] ${backend}: uncached tiles over 1 s per 10 s of the run: ${Array.from({ length: Math.ceil(run.seconds / 10) }, (_, i) => slow.byWindow[i] ?? 0).join(', ')} (${slow.shared} of them joined a build under way)` +
				(slow.byTile.size
					? `: ${[...slow.byTile]
							.sort((a, b) => b[1] - a[1])
							.map(([k, n]) => `${k} ${n}`)
							.join(', ')}`
					: '')
		);
		const windows = (xs: number[]) => Array.from({ length: Math.ceil(run.seconds / 10) }, (_, i) => xs[i] ?? 0).join(', ');
		log(`[load] ${backend}: per 10 s of the run, answers: ${windows(run.perWindow.answers)}; uncached tiles: ${windows(run.perWindow.uncached)}`);
		// every client's first request arrives at once on an empty cache: where the uncached tail comes from
		const second = (xs: number[]) => `${xs.length} (p50 ${r1(quantile(xs, 0.5))}, max ${r1(Math.max(0, ...xs))} ms)`;
		log(
			`[load] ${backend}: asked in the run's first seconds — ${run.firstSeconds.uncached
				.map((xs, i) => `${i}–${i + 1} s: uncached tiles ${second(xs)}, JSON ${second(run.firstSeconds.json[i])}`)
				.join('; ')}`
		);
		for (const [key, f] of run.failures) log(`[load] ${backend}: FAILED ${f.n} × ${key} — e.g. ${f.sample}`);
		const goals = [
			`0 errors: ${run.errors === 0 ? 'met' : 'MISSED'}`,
			`0 timeouts: ${run.timeouts === 0 ? 'met' : 'MISSED'}`,
			`JSON p99 < 500 ms: ${(line.json_p99_ms as number) < 500 ? 'met' : 'MISSED'}`,
			`cached tile p99 < 300 ms: ${(line.cached_tile_p99_ms as number) < 300 ? 'met' : 'MISSED'}`,
			`uncached tile p99 < 1 s: ${(line.uncached_tile_p99_ms as number) < 1000 ? 'met' : 'MISSED'}`
		];
		log(`[load] ${backend} goals: ${goals.join('; ')}`);
		if (SOAK) {
			// flat: no growth after the first minute (start-up, caches filling). Each sample falls anywhere
			// in the collector's sawtooth (one run: 423–504 MB from minute to minute with no trend), so
			// the two ends are compared by their medians: the last two minutes' within 10 % of the two
			// after the first minute. The range is printed beside it.
			const settled = rss.slice(Math.min(6, rss.length - 1));
			const lo = Math.min(...settled);
			const hi = Math.max(...settled);
			const start = quantile(settled.slice(0, 12), 0.5);
			const end = quantile(settled.slice(-12), 0.5);
			const growth = (end - start) / start;
			const flat = growth <= 0.1;
			log(
				`[load] soak: RSS after the first minute ${lo.toFixed(0)}–${hi.toFixed(0)} MB (range ${(((hi - lo) / lo) * 100).toFixed(1)} %); median of its first two minutes ${start.toFixed(0)} MB, of the last two ${end.toFixed(0)} MB (${(growth * 100).toFixed(1)} %): ${flat ? 'flat within 10 %' : 'NOT flat within 10 %'}`
			);
			Object.assign(line, {
				rss_mb_first: r1(rss[0]),
				rss_mb_last: r1(rss.at(-1)!),
				rss_growth_pct: r1(growth * 100),
				rss_range_pct: r1(((hi - lo) / lo) * 100),
				rss_flat: flat
			});
		}
		return line;
	} catch (e) {
		log(`[load] ${backend}: the app's last output:\n${app.output().slice(-3000)}`);
		throw e;
	} finally {
		const tail = app.output();
		await app.stop();
		const stack = tail.split('\n').filter((l) => /error/i.test(l));
		if (stack.length) log(`[load] ${backend}: the app logged ${stack.length} error line(s), the last: ${stack.slice(-5).join(' | ')}`);
	}
}

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
try {
	const build = prepareBuild('data/tmp/bench-load/build');
	for (const backend of BACKENDS as ('server' | 'embedded')[]) {
		if (backend === 'server' && !cluster) {
			cluster = await startCluster();
			const c = cluster;
			process.on('exit', () => c.stop());
		}
		const line = await benchBackend(backend, build, cluster);
		console.log(JSON.stringify(line));
	}
} finally {
	cluster?.stop();
}
