// The app's production server for benchmarks that drive it in a browser (bench/map.ts).
//
// build/ is rebuilt (`npx vite build`) only when missing or older than src/, static/ or
// package.json, as `npm start` would; then it is copied to data/tmp/bench-map/build (gitignored),
// and the copy is served, so another rebuild of build/ during the run cannot pull chunks from
// under the page. The copy runs the same handler `npm start` does, from the repository root (the
// migrations in sql/ are read from there), with ORIGIN set, which is what start.ts's forwarded
// protocol header achieves: SvelteKit knows it speaks plain http.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

const log = (line: string) => process.stderr.write(`${line}\n`);
const COPY = resolve('data/tmp/bench-map/build');

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

/** Builds when stale (BENCH_MAP_BUILD=never serves build/ as it is), then copies build/ aside. */
export function prepareBuild(): void {
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
			if (!existsSync(join(COPY, 'index.js')) || !existsSync(join(COPY, 'client'))) throw new Error('build/ was incomplete when copied');
			return;
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
 * Serves the copied build on a free port against `databaseUrl`; resolves once /login answers.
 * (Not /api/health: on server PostGIS it answers 500 — the app role may not run its
 * `create table if not exists schema_migration`.)
 */
export async function startApp(databaseUrl: string): Promise<{ origin: string; stop: () => Promise<void>; output: () => string }> {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	let output = '';
	const child: ChildProcess = spawn(process.execPath, [join(COPY, 'index.js')], {
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: origin, DATABASE_URL: databaseUrl, JICENG_DEMO: 'off', NODE_ENV: 'production' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	// its log, the last 200 kB of it
	const keep = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
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
