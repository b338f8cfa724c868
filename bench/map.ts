// npm run bench:map — the map in a browser, on the `chaoyang` demo (server PostGIS).
//
// Playwright drives Chromium (WebGL in software: SwiftShader) along one scripted camera path —
// from z11 over the district's centre in to z16.5, pans, a tilt to 60°, turns, and back out to
// z11 — on two pages, each in a browser of its own:
//   app   the app's map page, signed in as the demo district admin, every data layer on;
//   bare  bench/map-bare/: MapLibre and deck.gl drawing the same tiles with the same layer types
//         and options, nothing else (no Svelte, panels, area outlines or labels).
// Each pass opens the page at z11 and waits until it is ready: MapLibre idle and every deck.gl
// tile loaded ("ready", a time to a full view). Then the path: 12 map.easeTo steps back to back
// (~17 s of planned camera motion, 40–60 s at software speed), tiles loading and being parsed
// meanwhile as they would for a user. Frames are the requestAnimationFrame intervals from the
// first step's start to the last step's end; tiles the .mvt responses from opening the page to
// that end; heap the peak of performance.memory.usedJSHeapSize (the main thread's; the tile
// workers' are not in it), sampled every frame and every 250 ms.
//
// Absolute times are the machine's (software WebGL here): the ratios app / bare are the figures.
// Each page runs BENCH_MAP_ROUNDS times (default 2), the order turned each round (bare, app, app,
// bare), frames pooled over its passes; tiles and ready times are means per pass, heap the
// highest peak. At ~1 fps in software, a pass yields only 30–50 frames: expect ratios to move by
// ±20 % between runs. Before the first pass the server's tile cache is filled, so no page pays for
// cold tile SQL: from the list of tiles the previous run loaded (data/tmp/bench-map/
// tile-paths.json), fetched over HTTP, or, with no list yet, by an unmeasured pass of the bare
// page (about 2 minutes more, once). Ends with one JSON line:
//   {"app": {…}, "bare": {…}, "ratio": {"frame_p95", "heap_peak", "tiles", …}, "layers": […], …}
//
// As deployed: the app's server connects with a login that steps down into the app role
// jiceng_app, so row-level security applies (bench/lib/bench-postgis.ts appLogin; the bench checks
// `select current_user` the way the server opens the database, and the login can read no tile data
// as itself), and the page is signed in as a district admin over the whole district. The coverage
// results are brought up to date first, as the owner, so the server does not recompute them in the
// background while the browsers are measured. BENCH_MAP_RLS=0 runs the owner configuration
// instead, for comparison only: a BYPASSRLS login the bench creates (jiceng_bench_map), which the
// server keeps (no step-down); the JSON then says "rls": false. Either way, if a members tile at
// z12 takes over 10 s, members are left out of both pages (said in the output and under "dropped"
// in the JSON) and the stuck query is cancelled.
//
// Env: BENCH_MAP_ROUNDS (default 2); BENCH_MAP_LAYERS=choropleth,buildings,… (default all five,
// no preflight when set); BENCH_MAP_WARMUP=0 skips filling the tile cache; BENCH_MAP_BUILD=never
// serves build/ as it is (else it is rebuilt when older than the sources, as `npm start` would);
// BENCH_MAP_HEADED=1 shows the browsers (needs a display); CHROMIUM_PATH (default /usr/bin/chromium).
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { sql } from 'kysely';
import { openDb } from '../src/lib/server/db/open.ts';
import { createDemoAccounts } from '../src/lib/server/auth/demo-accounts.ts';
import { startCluster, ensureDataset, appLogin, appRoleCheck } from './lib/bench-postgis.ts';
import { coverageEngine } from '../src/lib/server/coverage/engine.ts';
import { prepareBuild, startApp } from './lib/app-server.ts';
import { buildBarePage, startBareServer } from './map-bare/serve.ts';
import { frameRecorder, type BenchState } from './lib/in-page.ts';
import { quantile, r1, r2, secs } from './lib/figures.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const PASSWORD = 'Bench-Pass-2026!';
const USERNAME = 'demo-district-admin';
const ALL_LAYERS = ['choropleth', 'buildings', 'members', 'service_centres', 'roads'];
const VIEWPORT = { width: 1280, height: 720 };
const READY_TIMEOUT = 90_000;
/** rounds of both pages; frames are pooled over them */
const ROUNDS = Number(process.env.BENCH_MAP_ROUNDS ?? 2);
/** as deployed (row-level security on) unless BENCH_MAP_RLS=0 */
const RLS = process.env.BENCH_MAP_RLS !== '0';
const BYPASS_LOGIN = 'jiceng_bench_map';
/** a members tile at z12 must come back within this, or members are left out of both pages */
const MEMBERS_PREFLIGHT_MS = 10_000;
const TILE_LIST = 'data/tmp/bench-map/tile-paths.json';
const APP_LOG = 'data/tmp/bench-map/app-server.log';
const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--enable-unsafe-swiftshader',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--enable-precise-memory-info'
];

// ---------------------------------------------------------------- the camera path
interface Step {
	name: string;
	center?: [number, number];
	zoom?: number;
	pitch?: number;
	bearing?: number;
	duration: number;
}

/** 12 steps over the district's centre (lng, lat); the page opens at z11 there, flat. */
function cameraPath([lng, lat]: [number, number]): Step[] {
	const at = (dx: number, dy: number): [number, number] => [lng + dx, lat + dy];
	return [
		{ name: 'zoom to 12.5', center: at(0, 0), zoom: 12.5, duration: 1500 },
		{ name: 'zoom to 14', zoom: 14, duration: 1500 },
		{ name: 'pan east', center: at(0.015, 0.008), duration: 1200 },
		{ name: 'zoom 15.5, tilt 45°', zoom: 15.5, pitch: 45, duration: 1500 },
		{ name: 'tilt 60°', pitch: 60, duration: 1000 },
		{ name: 'turn to 60°', bearing: 60, duration: 1500 },
		{ name: 'zoom to 16.5', zoom: 16.5, duration: 1500 },
		{ name: 'pan north', center: at(0.005, 0.014), duration: 1200 },
		{ name: 'turn to -30°', bearing: -30, duration: 1500 },
		{ name: 'zoom out to 14, tilt 40°', zoom: 14, pitch: 40, duration: 1500 },
		{ name: 'pan south-west', center: at(-0.03, -0.015), duration: 1500 },
		{ name: 'back to z11, flat', center: at(0, 0), zoom: 11, pitch: 0, bearing: 0, duration: 2000 }
	];
}

// ---------------------------------------------------------------- in the page
type Win = Window & {
	__bench: BenchState;
	__jicengMap?: import('maplibre-gl').Map;
	__jicengMapIdle?: boolean;
	__jicengDeckLoaded?: boolean;
};

/** True once the map exists, MapLibre is idle, the camera still and every deck.gl tile loaded. */
function settled(): boolean {
	const w = window as unknown as Win;
	const map = w.__jicengMap;
	return !!map && w.__jicengMapIdle === true && w.__jicengDeckLoaded === true && map.loaded() && !map.isMoving();
}

/** One easeTo; resolves with the frames recorded so far at moveend (-1: none after duration + 30 s). */
function ease(step: Step): Promise<number> {
	const w = window as unknown as Win;
	const map = w.__jicengMap!;
	return new Promise((done) => {
		const timer = setTimeout(() => done(-1), step.duration + 30_000);
		map.once('moveend', () => {
			clearTimeout(timer);
			done(w.__bench.frames.length);
		});
		const { name: _name, ...options } = step;
		map.easeTo({ ...options, essential: true });
	});
}

// ---------------------------------------------------------------- one page, one browser
/** One pass of one page. */
interface Pass {
	frames: number[];
	path_ms: number;
	tiles: Record<string, number>;
	paths: Set<string>;
	heap_peak: number;
	ready_ms: number;
	problems: string[];
}

/** A page's figures over its passes: frames pooled, tiles and times averaged, the highest heap. */
interface PageResult {
	frame_p50_ms: number;
	frame_p95_ms: number;
	frame_p99_ms: number;
	frame_max_ms: number;
	fps: number;
	frames: number;
	path_ms: number;
	tiles: number;
	tiles_by_layer: Record<string, number>;
	heap_peak_mb: number;
	ready_ms: number;
	passes: number;
	problems: string[];
}

async function launch(): Promise<Browser> {
	return chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: CHROMIUM_ARGS,
		headless: process.env.BENCH_MAP_HEADED !== '1'
	});
}

type Cookies = Awaited<ReturnType<BrowserContext['cookies']>>;

/** Signs in through the login form; returns the session's cookies. */
async function signIn(origin: string): Promise<Cookies> {
	const browser = await launch();
	try {
		const context = await browser.newContext({ viewport: VIEWPORT });
		const page = await context.newPage();
		await page.goto(`${origin}/login`);
		await page.locator('input[name="username"]').fill(USERNAME);
		await page.locator('input[name="password"]').fill(PASSWORD);
		await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('button[type="submit"]').click()]);
		return await context.cookies();
	} finally {
		await browser.close();
	}
}

const TILE_PATH = /\/tiles\/([a-z_]+)\/\d+\/\d+\/\d+\.mvt/;

/** Page errors, console errors and warnings, failed requests, and the tiles that came back. */
function watch(page: Page, label: string, quiet: boolean) {
	const seen = new Map<string, number>();
	const tiles: Record<string, number> = {};
	const paths = new Set<string>();
	const note = (p: string) => {
		// the same message again (a GL driver note, every tile's error): counted, logged once
		const key = p
			.replace(/\/\d+\/\d+\/\d+\.mvt/, '/{z}/{x}/{y}.mvt')
			.replace(/0x[0-9a-f]+/g, '0x…')
			.slice(0, 200);
		seen.set(key, (seen.get(key) ?? 0) + 1);
		if (seen.get(key) === 1 && !quiet) log(`[bench] ${label}: ${p}`);
	};
	page.on('pageerror', (e) => note(`pageerror: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') note(`console.${m.type()}: ${m.text().slice(0, 300)}`);
	});
	page.on('requestfailed', (r) => {
		if (r.failure()?.errorText !== 'net::ERR_ABORTED') note(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
	});
	page.on('response', (r) => {
		const m = TILE_PATH.exec(r.url());
		if (m && [200, 204, 304].includes(r.status())) {
			tiles[m[1]] = (tiles[m[1]] ?? 0) + 1;
			paths.add(m[0]);
		}
		if (r.status() >= 400) note(`${r.status()}: ${r.url()}`);
	});
	const problems = () => [...seen].slice(0, 30).map(([p, n]) => (n > 1 ? `${p} (×${n})` : p));
	return { tiles, paths, problems };
}

async function runPage(label: string, url: string, path: Step[], cookies: Cookies | null, quiet = false): Promise<Pass> {
	const browser = await launch();
	try {
		const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
		if (cookies) await context.addCookies(cookies);
		await context.addInitScript(frameRecorder);
		const page = await context.newPage();
		const { tiles, paths, problems } = watch(page, label, quiet);
		const opened = performance.now();
		await page.goto(url, { waitUntil: 'load' });
		if (new URL(page.url()).pathname.startsWith('/login')) throw new Error(`${label}: sent to the login page`);
		await page.waitForFunction(settled, null, { timeout: READY_TIMEOUT, polling: 100 });
		const readyMs = performance.now() - opened;
		if (!quiet) log(`[bench] ${label}: ready in ${secs(readyMs)}`);

		// the path, back to back, frames recorded throughout
		await page.evaluate(() => {
			const b = (window as unknown as Win).__bench;
			b.rec = true;
			b.last = null;
		});
		const pathStart = performance.now();
		const steps: string[] = [];
		let before = 0;
		for (const [i, step] of path.entries()) {
			const started = performance.now();
			const frames = await page.evaluate(ease, step);
			if (frames < 0) throw new Error(`${label}: step ${i + 1} (${step.name}) never ended`);
			steps.push(`${((performance.now() - started) / 1000).toFixed(1)}/${frames - before}`);
			before = frames;
		}
		const pathMs = performance.now() - pathStart;
		if (!quiet) log(`[bench] ${label}: steps (s/frames) ${steps.join(' ')}`);
		const b = await page.evaluate(() => {
			const s = (window as unknown as Win).__bench;
			s.rec = false;
			return { frames: s.frames };
		});

		const heapPeak = await page.evaluate(() => (window as unknown as Win).__bench.heapPeak);
		const total = b.frames.reduce((s, x) => s + x, 0);
		if (!quiet) {
			const n = Object.values(tiles).reduce((s, x) => s + x, 0);
			log(
				`[bench] ${label}: frame p50 ${r1(quantile(b.frames, 0.5))} · p95 ${r1(quantile(b.frames, 0.95))} ms · ${b.frames.length} frames in ${secs(total)} · tiles ${n} · heap peak ${r1(heapPeak / 2 ** 20)} MB`
			);
		}
		return {
			frames: b.frames,
			path_ms: pathMs,
			tiles,
			paths,
			heap_peak: heapPeak,
			ready_ms: readyMs,
			problems: problems()
		};
	} finally {
		await browser.close();
	}
}

function summarise(passes: Pass[]): PageResult {
	const frames = passes.flatMap((p) => p.frames);
	const total = frames.reduce((s, x) => s + x, 0);
	const mean = (f: (p: Pass) => number) => passes.reduce((s, p) => s + f(p), 0) / passes.length;
	const layers = [...new Set(passes.flatMap((p) => Object.keys(p.tiles)))].sort();
	const problems = new Map<string, true>();
	for (const p of passes) for (const x of p.problems) problems.set(x.replace(/ \(×\d+\)$/, ''), true);
	return {
		frame_p50_ms: r1(quantile(frames, 0.5)),
		frame_p95_ms: r1(quantile(frames, 0.95)),
		frame_p99_ms: r1(quantile(frames, 0.99)),
		frame_max_ms: r1(Math.max(...frames)),
		fps: r1(frames.length / (total / 1000)),
		frames: frames.length,
		path_ms: Math.round(mean((p) => p.path_ms)),
		tiles: Math.round(mean((p) => Object.values(p.tiles).reduce((s, x) => s + x, 0))),
		tiles_by_layer: Object.fromEntries(layers.map((l) => [l, Math.round(mean((p) => p.tiles[l] ?? 0))])),
		heap_peak_mb: r1(Math.max(...passes.map((p) => p.heap_peak)) / 2 ** 20),
		ready_ms: Math.round(mean((p) => p.ready_ms)),
		passes: passes.length,
		problems: [...problems.keys()].slice(0, 30)
	};
}

function printPage(label: string, r: PageResult) {
	log(
		`[bench] ${label.padEnd(4)} frames p50 ${r.frame_p50_ms} · p95 ${r.frame_p95_ms} · p99 ${r.frame_p99_ms} · max ${r.frame_max_ms} ms · ` +
			`${r.fps} fps (${r.frames} frames, ${r.passes} passes of ${secs(r.path_ms)}) · tiles ${r.tiles} · heap peak ${r.heap_peak_mb} MB · ` +
			`ready ${secs(r.ready_ms)}`
	);
	log(`[bench] ${label.padEnd(4)} tiles by layer (per pass) ${JSON.stringify(r.tiles_by_layer)}`);
}

// ---------------------------------------------------------------- tiles before the pages
const cookieHeader = (cookies: Cookies) => cookies.map((c) => `${c.name}=${c.value}`).join('; ');

/**
 * Whether the app serves a members tile at z12 over the centre within MEMBERS_PREFLIGHT_MS. When
 * not, the query is cancelled on the bench's own cluster, or it would hold a database connection
 * and a CPU for minutes while the browsers are measured.
 */
async function membersAnswer(origin: string, cookies: Cookies, [lng, lat]: [number, number], dbUrl: string): Promise<boolean> {
	const n = 2 ** 12;
	const x = Math.floor(((lng + 180) / 360) * n);
	const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
	const started = performance.now();
	try {
		const r = await fetch(`${origin}/tiles/members/12/${x}/${y}.mvt`, {
			headers: { cookie: cookieHeader(cookies) },
			signal: AbortSignal.timeout(MEMBERS_PREFLIGHT_MS)
		});
		await r.arrayBuffer();
		log(`[bench] members preflight: a z12 tile (${r.status}) in ${secs(performance.now() - started)}`);
		return r.ok;
	} catch {
		const db = await openDb({ backend: 'server', url: dbUrl, poolSize: 1 });
		try {
			const { rows } = await sql<{ n: number }>`
				select count(*) filter (where pg_cancel_backend(pid)) as n from pg_stat_activity
				where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query like '%''grid'' as kind%'`.execute(db.kysely);
			log(`[bench] members preflight: no z12 tile in ${MEMBERS_PREFLIGHT_MS / 1000} s; cancelled ${rows[0].n} tile quer${rows[0].n === 1 ? 'y' : 'ies'}`);
		} finally {
			await db.close();
		}
		return false;
	}
}

/** The tiles earlier runs loaded, by dataset, layers, path and viewport. */
function savedLists(): Record<string, string[]> {
	try {
		const lists = JSON.parse(readFileSync(TILE_LIST, 'utf8'));
		return lists && typeof lists === 'object' && !Array.isArray(lists) && !('key' in lists) ? lists : {};
	} catch {
		return {};
	}
}

/** Fetches every listed tile once, four at a time, so the server's LRU holds them. */
async function prefetch(origin: string, cookies: Cookies, paths: string[]): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: 4 }, async () => {
			while (next < paths.length) {
				const r = await fetch(`${origin}${paths[next++]}`, { headers: { cookie: cookieHeader(cookies) }, signal: AbortSignal.timeout(60_000) }).catch(
					() => null
				);
				await r?.arrayBuffer();
			}
		})
	);
}

// ---------------------------------------------------------------- the run
const began = performance.now();
const cluster = await startCluster();
process.on('exit', () => cluster.stop());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const stops: (() => Promise<void>)[] = [];
const dropped: Record<string, string> = {};
let result: Record<string, unknown> | null = null;
try {
	const url = await ensureDataset(cluster.url, 'chaoyang');
	const db = await openDb({ backend: 'server', url, poolSize: 2 });
	let centre: [number, number];
	try {
		await createDemoAccounts(db.kysely, PASSWORD);
		const { rows } = await sql<{ lng: number; lat: number }>`
			select ST_X(ST_Centroid(geom)) as lng, ST_Y(ST_Centroid(geom)) as lat from area where level = 'district' order by code limit 1`.execute(db.kysely);
		centre = [rows[0].lng, rows[0].lat];
		await coverageEngine(db).ensure((l) => log(`[bench] coverage ${l}`));
		if (!RLS) {
			// a BYPASSRLS login, no member of jiceng_app, so the server keeps it (see the header);
			// the grants are renewed for tables added since the last run
			await sql
				.raw(
					`do $$ begin
				if not exists (select 1 from pg_roles where rolname = '${BYPASS_LOGIN}') then create role ${BYPASS_LOGIN} login bypassrls; end if;
			end $$`
				)
				.execute(db.kysely);
			await sql
				.raw(
					`grant usage, create on schema public to ${BYPASS_LOGIN};
				grant all on all tables in schema public to ${BYPASS_LOGIN};
				grant all on all sequences in schema public to ${BYPASS_LOGIN}`
				)
				.execute(db.kysely);
		}
	} finally {
		await db.close();
	}
	prepareBuild();
	await buildBarePage();
	const appDbUrl = new URL(RLS ? await appLogin(url) : url);
	if (RLS) {
		const check = await appRoleCheck(appDbUrl.href);
		log(`[bench] the app connects as ${check.session_user} and runs as ${check.current_user}: row-level security on (as deployed)`);
	} else {
		appDbUrl.username = BYPASS_LOGIN;
		log(`[bench] the app connects as ${appDbUrl.username}: row-level security off (BYPASSRLS, BENCH_MAP_RLS=0; not the deployed configuration)`);
	}
	const app = await startApp(appDbUrl.href);
	stops.push(app.stop);
	const cookies = (await signIn(app.origin)).filter((c) => c.domain === '127.0.0.1');
	const bare = await startBareServer(app.origin, cookieHeader(cookies));
	stops.push(bare.stop);

	const layers = process.env.BENCH_MAP_LAYERS ? process.env.BENCH_MAP_LAYERS.split(',') : [...ALL_LAYERS];
	if (!process.env.BENCH_MAP_LAYERS && !(await membersAnswer(app.origin, cookies, centre, url))) {
		layers.splice(layers.indexOf('members'), 1);
		dropped.members = `a members tile at z12 took over ${MEMBERS_PREFLIGHT_MS / 1000} s; left out of both pages`;
		log(`[bench] WARNING: ${dropped.members}`);
	}
	const path = cameraPath(centre);
	const v = `${centre[0].toFixed(5)},${centre[1].toFixed(5)},11,0,0`;
	const appUrl = `${app.origin}/?layers=${layers.join(',')}&v=${v}`;
	const bareUrl = `${bare.origin}/?layers=${layers.join(',')}&v=${v}`;
	log(`[bench] ${layers.join(', ')}; ${path.length} steps from z11 over ${v.split(',').slice(0, 2).join(', ')}; viewport ${VIEWPORT.width}×${VIEWPORT.height}`);

	// the tile cache: from the previous run's list, or a pass of the bare page
	const listKey = JSON.stringify({ url: url.replace(/:\d+\//, '/'), layers, path: cameraPath([0, 0]), VIEWPORT });
	if (process.env.BENCH_MAP_WARMUP !== '0') {
		const started = performance.now();
		const saved = savedLists()[listKey];
		if (saved) {
			await prefetch(app.origin, cookies, saved);
			log(`[bench] tile cache filled from the last run's list (${saved.length} tiles) in ${secs(performance.now() - started)}`);
		} else {
			await runPage('warm-up', bareUrl, path, null, true);
			log(`[bench] tile cache filled by a pass of the bare page (no list from a previous run) in ${secs(performance.now() - started)}`);
		}
	}

	// rounds of both pages, the order turned each round (bare, app, app, bare, …)
	const passes: Record<'app' | 'bare', Pass[]> = { app: [], bare: [] };
	for (let round = 0; round < ROUNDS; round++) {
		for (const label of round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const)) {
			passes[label].push(await runPage(`${label} ${round + 1}`, label === 'app' ? appUrl : bareUrl, path, label === 'app' ? cookies : null));
		}
	}
	const lists = savedLists();
	lists[listKey] = [
		...new Set(
			Object.values(passes)
				.flat()
				.flatMap((p) => [...p.paths])
		)
	].sort();
	writeFileSync(TILE_LIST, JSON.stringify(lists));
	const appOut = summarise(passes.app);
	const bareOut = summarise(passes.bare);
	printPage('app', appOut);
	printPage('bare', bareOut);
	const ratio = {
		frame_p95: r2(appOut.frame_p95_ms / bareOut.frame_p95_ms),
		heap_peak: r2(appOut.heap_peak_mb / bareOut.heap_peak_mb),
		tiles: r2(appOut.tiles / bareOut.tiles),
		frame_p50: r2(appOut.frame_p50_ms / bareOut.frame_p50_ms),
		frame_p99: r2(appOut.frame_p99_ms / bareOut.frame_p99_ms),
		fps: r2(appOut.fps / bareOut.fps),
		ready: r2(appOut.ready_ms / bareOut.ready_ms)
	};
	log(
		`[bench] app / bare: frame p95 × ${ratio.frame_p95} · p50 × ${ratio.frame_p50} · p99 × ${ratio.frame_p99} · fps × ${ratio.fps} · ` +
			`heap peak × ${ratio.heap_peak} · tiles × ${ratio.tiles} · ready × ${ratio.ready}`
	);
	writeFileSync(APP_LOG, app.output());
	const serverErrors = app
		.output()
		.split('\n')
		.filter((l) => /\[[45]\d\d\]|error/i.test(l));
	if (serverErrors.length) log(`[bench] the app server logged ${serverErrors.length} error line(s) (${APP_LOG}): ${serverErrors.slice(0, 6).join(' | ')}`);
	const runS = Math.round((performance.now() - began) / 1000);
	log(`[bench] run time ${runS} s`);
	result = { app: appOut, bare: bareOut, ratio, layers, rls: RLS, ...(Object.keys(dropped).length ? { dropped } : {}), run_s: runS };
} finally {
	for (const stop of stops.reverse()) await stop().catch(() => {});
	cluster.stop();
}
console.log(JSON.stringify(result));
