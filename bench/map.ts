// npm run bench:map — the map in a browser, on the `chaoyang` demo (server PostGIS).
//
// Playwright drives Chromium (software WebGL: SwiftShader) through one scripted camera path — zoom
// in from z11 over the district's centre to z16.5, pans, a tilt to 60°, a turn, and back out —
// twice: on the app's map page (signed in as the demo district admin, every data layer on), and
// on a bare page (bench/map-bare/) where MapLibre and deck.gl draw the same tiles with the same
// layer types and nothing else. Each step is one map.easeTo; frames are the requestAnimationFrame
// intervals while the camera moves; after each step the bench waits until MapLibre is idle and
// every deck.gl tile is loaded (that wait is "settle"). Tiles are the .mvt responses from opening
// the page to the end of the path; heap is the peak of performance.memory.usedJSHeapSize
// (main thread; the tile workers' heaps are not in it), sampled every frame and every 250 ms.
//
// Absolute times depend on the machine (WebGL in software here): the ratios app / bare are the
// figures. Each page runs in a browser of its own, the bare page first; a warm-up pass of the bare
// page (not measured) first fills the server's tile cache, so neither measured page pays for cold
// SQL. Ends with one JSON line: {"app": {…}, "bare": {…}, "ratio": {"frame_p95", "heap_peak", "tiles", …}}.
//
// Env: BENCH_MAP_WARMUP=0 skips the warm-up pass; BENCH_MAP_BUILD=never serves build/ as it is;
// BENCH_MAP_HEADED=1 shows the browser (needs a display); CHROMIUM_PATH (default /usr/bin/chromium).
import { chromium, type Browser, type Page } from '@playwright/test';
import { sql } from 'kysely';
import { openDb } from '../src/lib/server/db/open.ts';
import { createDemoAccounts } from '../src/lib/server/auth/demo-accounts.ts';
import { startCluster, ensureDataset } from './lib/bench-postgis.ts';
import { prepareBuild, startApp } from './lib/app-server.ts';
import { buildBarePage, startBareServer } from './map-bare/serve.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const PASSWORD = 'Bench-Pass-2026!';
const USERNAME = 'demo-district-admin';
const ALL_LAYERS = ['choropleth', 'buildings', 'members', 'service_centres', 'roads'];
/** BENCH_MAP_RLS=1: the app as deployed, its queries under row-level security (see the header) */
const RLS = process.env.BENCH_MAP_RLS === '1';
const BYPASS_LOGIN = 'jiceng_bench_map';
/** a members tile at z12 must come back within this, or members are left out of both pages */
const MEMBERS_PREFLIGHT_MS = 10_000;
const VIEWPORT = { width: 1280, height: 720 };
const READY_TIMEOUT = 90_000;
const SETTLE_TIMEOUT = 25_000;
const CHROMIUM_ARGS = [
	'--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--enable-precise-memory-info'
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
		{ name: 'turn to −30°', bearing: -30, duration: 1500 },
		{ name: 'zoom out to 14, tilt 40°', zoom: 14, pitch: 40, duration: 1500 },
		{ name: 'pan south-west', center: at(-0.03, -0.015), duration: 1500 },
		{ name: 'back to z11, flat', center: at(0, 0), zoom: 11, pitch: 0, bearing: 0, duration: 2000 }
	];
}

// ---------------------------------------------------------------- in the page
type BenchState = { rec: boolean; last: number | null; frames: number[]; heapPeak: number; renders: number };
type Win = Window & {
	__bench: BenchState;
	__jicengMap?: import('maplibre-gl').Map;
	__jicengMapIdle?: boolean;
	__jicengDeckLoaded?: boolean;
};

/** Runs before the page's own scripts: the frame recorder and the heap sampler. */
function recorder() {
	const w = window as unknown as Win;
	const b: BenchState = (w.__bench = { rec: false, last: null, frames: [], heapPeak: 0, renders: 0 });
	const sampleHeap = () => {
		const m = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
		if (m && m.usedJSHeapSize > b.heapPeak) b.heapPeak = m.usedJSHeapSize;
	};
	const frame = (t: number) => {
		if (b.rec) {
			if (b.last !== null) b.frames.push(t - b.last);
			b.last = t;
		} else b.last = null;
		sampleHeap();
		requestAnimationFrame(frame);
	};
	requestAnimationFrame(frame);
	setInterval(sampleHeap, 250);
}

/** True once the map exists, MapLibre is idle, the camera still and every deck.gl tile loaded. */
function settled(): boolean {
	const w = window as unknown as Win;
	const map = w.__jicengMap;
	return !!map && w.__jicengMapIdle === true && w.__jicengDeckLoaded === true && map.loaded() && !map.isMoving();
}

/** One easeTo; resolves at moveend (or after duration + 30 s), recording frames meanwhile. */
function ease(step: Step): Promise<boolean> {
	const w = window as unknown as Win;
	const map = w.__jicengMap!;
	const b = w.__bench;
	return new Promise((done) => {
		const finish = (ok: boolean) => {
			clearTimeout(timer);
			b.rec = false;
			done(ok);
		};
		const timer = setTimeout(() => finish(false), step.duration + 30_000);
		map.once('moveend', () => finish(true));
		b.rec = true;
		b.last = null;
		const { name: _name, ...options } = step;
		map.easeTo({ ...options, essential: true });
	});
}

// ---------------------------------------------------------------- one page, one browser
interface PageResult {
	frame_p50_ms: number;
	frame_p95_ms: number;
	frame_p99_ms: number;
	frame_max_ms: number;
	fps: number;
	frames: number;
	tiles: number;
	tiles_by_layer: Record<string, number>;
	heap_peak_mb: number;
	ready_ms: number;
	settle_ms: number;
	settle_timeouts: number;
	problems: string[];
}

function quantile(xs: number[], q: number): number {
	if (!xs.length) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;

async function launch(): Promise<Browser> {
	return chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: CHROMIUM_ARGS,
		headless: process.env.BENCH_MAP_HEADED !== '1'
	});
}

/** Signs in through the login form; returns the session's cookies. */
async function signIn(origin: string) {
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

function watch(page: Page, label: string) {
	const problems: string[] = [];
	const tiles: Record<string, number> = {};
	const seen = new Map<string, number>();
	const note = (p: string) => {
		// the same message again (a GL driver note, every tile's 500): counted, logged once
		const key = p.replace(/\/\d+\/\d+\/\d+\.mvt/, '/{z}/{x}/{y}.mvt');
		const n = (seen.get(key) ?? 0) + 1;
		seen.set(key, n);
		if (n > 1) return;
		if (problems.length < 50) problems.push(p);
		log(`[bench] ${label}: ${p}`);
	};
	page.on('pageerror', (e) => note(`pageerror: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') note(`console.${m.type()}: ${m.text().slice(0, 300)}`);
	});
	page.on('requestfailed', (r) => {
		if (r.failure()?.errorText !== 'net::ERR_ABORTED') note(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
	});
	page.on('response', (r) => {
		const m = /\/tiles\/([a-z_]+)\/\d+\/\d+\/\d+\.mvt/.exec(r.url());
		if (m && (r.status() === 200 || r.status() === 204 || r.status() === 304)) tiles[m[1]] = (tiles[m[1]] ?? 0) + 1;
		if (r.status() >= 400) note(`${r.status()}: ${r.url()}`);
	});
	const summary = () => problems.map((p) => {
		const n = seen.get(p.replace(/\/\d+\/\d+\/\d+\.mvt/, '/{z}/{x}/{y}.mvt')) ?? 1;
		return n > 1 ? `${p} (×${n})` : p;
	});
	return { problems, tiles, summary };
}

async function runPage(label: string, url: string, path: Step[], cookies: Awaited<ReturnType<typeof signIn>> | null, measured = true): Promise<PageResult> {
	const browser = await launch();
	try {
		const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
		if (cookies) await context.addCookies(cookies);
		await context.addInitScript(recorder);
		const page = await context.newPage();
		const { problems, tiles, summary } = watch(page, label);
		const opened = performance.now();
		await page.goto(url, { waitUntil: 'load' });
		if (new URL(page.url()).pathname.startsWith('/login')) throw new Error(`${label}: sent to the login page`);
		await page.waitForFunction(settled, null, { timeout: READY_TIMEOUT, polling: 100 });
		const readyMs = performance.now() - opened;
		log(`[bench] ${label}: ready in ${(readyMs / 1000).toFixed(1)} s`);
		let settleMs = 0;
		let settleTimeouts = 0;
		for (const [i, step] of path.entries()) {
			const moved = await page.evaluate(ease, step);
			if (!moved) note(problems, `step ${i + 1} (${step.name}): no moveend`);
			const started = performance.now();
			// let MapLibre and deck.gl see the new view (and flag their loading) before polling
			await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
			const ok = await page
				.waitForFunction(settled, null, { timeout: SETTLE_TIMEOUT, polling: 100 })
				.then(() => true, () => false);
			const ms = performance.now() - started;
			settleMs += ms;
			if (!ok) settleTimeouts++;
			if (measured) {
				const n = await page.evaluate(() => (window as unknown as Win).__bench.frames.length);
				log(`[bench] ${label}: ${String(i + 1).padStart(2)} ${step.name.padEnd(26)} frames ${String(n).padStart(4)} · settled in ${(ms / 1000).toFixed(1)} s${ok ? '' : ' (timed out)'}`);
			}
		}
		const b = await page.evaluate(() => {
			const s = (window as unknown as Win).__bench;
			return { frames: s.frames, heapPeak: s.heapPeak };
		});
		const total = b.frames.reduce((s, x) => s + x, 0);
		const tileCount = Object.values(tiles).reduce((s, x) => s + x, 0);
		return {
			frame_p50_ms: r1(quantile(b.frames, 0.5)),
			frame_p95_ms: r1(quantile(b.frames, 0.95)),
			frame_p99_ms: r1(quantile(b.frames, 0.99)),
			frame_max_ms: r1(Math.max(...b.frames)),
			fps: r1(b.frames.length / (total / 1000)),
			frames: b.frames.length,
			tiles: tileCount,
			tiles_by_layer: Object.fromEntries(Object.entries(tiles).sort()),
			heap_peak_mb: r1(b.heapPeak / 2 ** 20),
			ready_ms: Math.round(readyMs),
			settle_ms: Math.round(settleMs),
			settle_timeouts: settleTimeouts,
			problems: summary()
		};
	} finally {
		await browser.close();
	}
}

function note(problems: string[], p: string) {
	problems.push(p);
	log(`[bench] ${p}`);
}

function printPage(label: string, r: PageResult) {
	log(
		`[bench] ${label.padEnd(4)} frames p50 ${r.frame_p50_ms} · p95 ${r.frame_p95_ms} · p99 ${r.frame_p99_ms} · max ${r.frame_max_ms} ms · ` +
			`${r.fps} fps (${r.frames} frames) · tiles ${r.tiles} · heap peak ${r.heap_peak_mb} MB · ready ${(r.ready_ms / 1000).toFixed(1)} s · ` +
			`settle ${(r.settle_ms / 1000).toFixed(1)} s${r.settle_timeouts ? ` (${r.settle_timeouts} timed out)` : ''}`
	);
	log(`[bench] ${label.padEnd(4)} tiles by layer ${JSON.stringify(r.tiles_by_layer)}`);
}

/**
 * Whether the app serves a members tile at z12 over the centre within MEMBERS_PREFLIGHT_MS. When
 * not, the query is cancelled on the bench's own cluster, or it would hold a database connection
 * and a CPU for minutes while the browsers are measured.
 */
async function membersAnswer(origin: string, cookies: Awaited<ReturnType<typeof signIn>>, [lng, lat]: [number, number], dbUrl: string): Promise<boolean> {
	const n = 2 ** 12;
	const x = Math.floor(((lng + 180) / 360) * n);
	const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
	const started = performance.now();
	try {
		const r = await fetch(`${origin}/tiles/members/12/${x}/${y}.mvt`, {
			headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
			signal: AbortSignal.timeout(MEMBERS_PREFLIGHT_MS)
		});
		await r.arrayBuffer();
		log(`[bench] members preflight: z12 tile ${r.status} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
		return r.ok;
	} catch {
		const db = await openDb({ backend: 'server', url: dbUrl, poolSize: 1 });
		try {
			const { rows } = await sql<{ n: number }>`
				select count(*) filter (where pg_cancel_backend(pid)) as n from pg_stat_activity
				where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query ilike '%party_member%'`.execute(db.kysely);
			log(`[bench] members preflight: no z12 tile in ${MEMBERS_PREFLIGHT_MS / 1000} s; cancelled ${rows[0].n} tile quer${rows[0].n === 1 ? 'y' : 'ies'}`);
		} finally {
			await db.close();
		}
		return false;
	}
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
		if (!RLS) {
			// a login with BYPASSRLS that is no member of jiceng_app: the server keeps it, so no
			// row-level security (see the header); the grants are renewed for tables added since
			await sql.raw(`do $$ begin
				if not exists (select 1 from pg_roles where rolname = '${BYPASS_LOGIN}') then create role ${BYPASS_LOGIN} login bypassrls; end if;
			end $$`).execute(db.kysely);
			await sql.raw(`grant usage, create on schema public to ${BYPASS_LOGIN};
				grant all on all tables in schema public to ${BYPASS_LOGIN};
				grant all on all sequences in schema public to ${BYPASS_LOGIN}`).execute(db.kysely);
		}
	} finally {
		await db.close();
	}
	prepareBuild();
	await buildBarePage();
	const appDbUrl = new URL(url);
	if (!RLS) appDbUrl.username = BYPASS_LOGIN;
	log(`[bench] the app connects as ${appDbUrl.username}${RLS ? ' and serves as jiceng_app: row-level security on' : ' (BYPASSRLS): row-level security off'}`);
	const app = await startApp(appDbUrl.href);
	stops.push(app.stop);
	const cookies = await signIn(app.origin);
	const session = cookies.filter((c) => c.domain === '127.0.0.1' || c.domain === 'localhost');
	const bare = await startBareServer(app.origin, session.map((c) => `${c.name}=${c.value}`).join('; '));
	stops.push(bare.stop);

	const layers = process.env.BENCH_MAP_LAYERS ? process.env.BENCH_MAP_LAYERS.split(',') : [...ALL_LAYERS];
	if (!process.env.BENCH_MAP_LAYERS && !(await membersAnswer(app.origin, cookies, centre, url))) {
		layers.splice(layers.indexOf('members'), 1);
		dropped.members = `a members tile at z12 took longer than ${MEMBERS_PREFLIGHT_MS / 1000} s through the app (row-level security); left out of both pages`;
		log(`[bench] WARNING: members left out of both pages: ${dropped.members}`);
	}
	const path = cameraPath(centre);
	const v = `${centre[0].toFixed(5)},${centre[1].toFixed(5)},11,0,0`;
	const appUrl = `${app.origin}/?layers=${layers.join(',')}&v=${v}`;
	const bareUrl = `${bare.origin}/?layers=${layers.join(',')}&v=${v}`;
	log(`[bench] layers: ${layers.join(', ')}`);
	log(`[bench] path: ${path.length} steps from z11 over ${v.split(',').slice(0, 2).join(', ')}; viewport ${VIEWPORT.width}×${VIEWPORT.height}`);
	if (process.env.BENCH_MAP_WARMUP !== '0') {
		const started = performance.now();
		await runPage('warm-up', bareUrl, path, null, false);
		log(`[bench] warm-up pass (bare page, not measured): ${((performance.now() - started) / 1000).toFixed(0)} s`);
	}
	const bareResult = await runPage('bare', bareUrl, path, null);
	const appResult = await runPage('app', appUrl, path, cookies);
	printPage('app', appResult);
	printPage('bare', bareResult);
	const ratio = {
		frame_p95: r2(appResult.frame_p95_ms / bareResult.frame_p95_ms),
		heap_peak: r2(appResult.heap_peak_mb / bareResult.heap_peak_mb),
		tiles: r2(appResult.tiles / bareResult.tiles),
		frame_p50: r2(appResult.frame_p50_ms / bareResult.frame_p50_ms),
		frame_p99: r2(appResult.frame_p99_ms / bareResult.frame_p99_ms),
		fps: r2(appResult.fps / bareResult.fps),
		settle: r2(appResult.settle_ms / bareResult.settle_ms)
	};
	log(`[bench] app / bare: frame p95 × ${ratio.frame_p95} · p50 × ${ratio.frame_p50} · p99 × ${ratio.frame_p99} · fps × ${ratio.fps} · heap peak × ${ratio.heap_peak} · tiles × ${ratio.tiles} · settle × ${ratio.settle}`);
	if (appResult.problems.length) log(`[bench] app: ${appResult.problems.length} problem(s) in the page (above)`);
	const serverErrors = app.output().split('\n').filter((l) => /\[5\d\d\]|error/i.test(l));
	if (serverErrors.length) log(`[bench] app server logged ${serverErrors.length} error line(s), e.g. ${serverErrors.slice(0, 3).join(' | ')}`);
	log(`[bench] run time ${((performance.now() - began) / 1000).toFixed(0)} s`);
	result = { app: appResult, bare: bareResult, ratio, layers, ...(Object.keys(dropped).length ? { dropped } : {}) };
} finally {
	for (const stop of stops.reverse()) await stop().catch(() => {});
	cluster.stop();
}
console.log(JSON.stringify(result));
