// The app's production server for the benchmarks that drive it over HTTP or in a browser
// (bench/tiles.ts, bench/map.ts).
//
// build/ is rebuilt (`npx vite build`) only when missing or older than src/, static/ or
// package.json, as `npm start` would; then it is copied aside (data/tmp/bench-map/build by
// default, gitignored), and the copy is served, so another rebuild of build/ during the run cannot
// pull chunks from under the page. The copy is served the way `npm start` serves build/
// (app-entry.ts: scripts/start.ts's server, security headers and the forwarded protocol included),
// from the repository root (the migrations in sql/ are read from there).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

const log = (line: string) => process.stderr.write(`${line}\n`);
const DEFAULT_COPY = resolve('data/tmp/bench-map/build');
const ENTRY = resolve('bench/lib/app-entry.ts');

function newestMtime(path: string): number {
	const stat = statSync(path);
	if (!stat.isDirectory()) return stat.mtimeMs;
	return Math.max(stat.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

function buildIsFresh(): boolean {
	if (!existsSync('build/index.js') || !existsSync('build/handler.js')) return false;
	const sources = Math.max(newestMtime('src'), newestMtime('static'), statSync('package.json').mtimeMs);
	return statSync('build/index.js').mtimeMs >= sources;
}

/**
 * Builds when stale (BENCH_MAP_BUILD=never serves build/ as it is), then copies build/ aside to
 * `copy`; returns the copy's path, for startApp.
 */
export function prepareBuild(copy: string = DEFAULT_COPY): string {
	const COPY = resolve(copy);
	const mode = process.env.BENCH_MAP_BUILD ?? 'auto';
	if (mode !== 'never' && !buildIsFresh()) {
		for (let attempt = 1; ; attempt++) {
			log(`[bench] build/ is ${existsSync('build/index.js') ? 'older than the sources' : 'missing'}: npx vite build${attempt > 1 ? ' (again)' : ''}`);
			const started = performance.now();
			const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
			if (r.status === 0) {
				log(`[bench] built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
				break;
			}
			// another engineer's build may have held .svelte-kit/ at the same time: once more
			if (attempt >= 2) throw new Error(`vite build failed (exit ${r.status})`);
		}
	}
	if (!existsSync('build/index.js')) throw new Error('no build/index.js');
	for (let attempt = 1; ; attempt++) {
		try {
			rmSync(COPY, { recursive: true, force: true });
			cpSync('build', COPY, { recursive: true });
			if (!existsSync(join(COPY, 'handler.js')) || !existsSync(join(COPY, 'client'))) throw new Error('build/ was incomplete when copied');
			return COPY;
		} catch (e) {
			// a concurrent rebuild may have been replacing build/ right then
			if (attempt >= 3) throw e;
			log(`[bench] copying build/ failed (${(e as Error).message}): again in 5 s`);
			spawnSync('sleep', ['5']);
		}
	}
}

async function freePort(): Promise<number> {
	return new Promise((ok, fail) => {
		const s = createServer();
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as AddressInfo).port;
			s.close(() => ok(port));
		});
		s.on('error', fail);
	});
}

/**
 * Serves a copied build (prepareBuild's; by default bench:map's) on a free port against
 * `databaseUrl`, as `npm start` serves build/; resolves once /login answers (a public page, which
 * answers only once the hooks have opened the database). `env` adds to the server's environment.
 */
export async function startApp(
	databaseUrl: string,
	options: { build?: string; env?: Record<string, string> } = {}
): Promise<{ origin: string; pid: number; stop: () => Promise<void>; output: () => string }> {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	let output = '';
	const child: ChildProcess = spawn(process.execPath, [ENTRY, options.build ?? DEFAULT_COPY], {
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, JICENG_DEMO: 'off', NODE_ENV: 'production', ...options.env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	// its log, the last 200 kB of it
	// and as it comes with BENCH_APP_LOG=1 (the recompute's step timings are in it)
	const keep = (d: Buffer) => {
		output = (output + d.toString()).slice(-200_000);
		if (process.env.BENCH_APP_LOG === '1') process.stderr.write(d.toString().replace(/^(?=.)/gm, '[app] '));
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	let exited = false;
	const exit = new Promise<void>((ok) => child.on('exit', () => ((exited = true), ok())));
	// never outlive the bench, however it ends
	process.on('exit', () => exited || child.kill('SIGKILL'));
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (exited) throw new Error(`the app server exited:\n${output}`);
		try {
			const r = await fetch(`${origin}/login`);
			if (r.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			child.kill('SIGTERM');
			throw new Error(`the app server did not answer /login in 60 s:\n${output}`);
		}
		await new Promise((ok) => setTimeout(ok, 250));
	}
	log(`[bench] app on ${origin} (pid ${child.pid})`);
	return {
		origin,
		pid: child.pid!,
		output: () => output,
		stop: async () => {
			if (exited) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
			await exit;
			clearTimeout(timer);
		}
	};
}

/**
 * Signs in through the login page's form action, as a browser posts it (POST /login with the
 * app's own Origin, which SvelteKit's CSRF check requires); returns the session's Cookie header.
 */
export async function signIn(origin: string, username: string, password: string): Promise<string> {
	const r = await fetch(`${origin}/login`, {
		method: 'POST',
		redirect: 'manual',
		headers: { origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ username, password })
	});
	const cookie = r.headers
		.getSetCookie()
		.map((c) => c.split(';')[0])
		.filter((c) => /^jiceng_session=./.test(c));
	if (r.status !== 303 || cookie.length !== 1) throw new Error(`signing in as ${username}: ${r.status} ${(await r.text()).slice(0, 300)}`);
	return cookie[0];
}
