// What the fault tests share: a throwaway server PostGIS of their own (stopped and started with
// pg_ctl, so never the shared one), the small demo district in it, and the built app (a copy of
// build/ made by `npm run test:faults`, so a rebuild by someone else cannot pull chunks from under
// a running server) started as a child process with DATABASE_URL pointing there.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startThrowawayPostgis, type ThrowawayPostgis } from '../../scripts/lib/throwaway-postgis.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { seedDemo, SCALES } from '../../src/lib/server/seed/index.ts';
import { createDemoAccounts } from '../../src/lib/server/auth/demo-accounts.ts';
import { createSession, SESSION_COOKIE } from '../../src/lib/server/auth/sessions.ts';

/** the built app the tests run: FAULTS_BUILD, else the copy `npm run test:faults` makes */
export const BUILD_DIR = resolve(process.env.FAULTS_BUILD ?? 'tests/artifacts/faults-build');
export const haveBuild = existsSync(join(BUILD_DIR, 'index.js'));
/** the fault tests run when asked for (`npm run test:faults`): they start servers and kill them */
export const faultsWanted = process.env.JICENG_FAULTS === '1';

export const DISTRICT = SCALES.small.districtCode;

export interface Cluster {
	pg: ThrowawayPostgis;
	/** the app's database on it (the owner's login: the app steps down to jiceng_app itself) */
	url: string;
	/** an owner's handle for checks and set-up */
	owner: Db;
	close(): Promise<void>;
}

/** A throwaway server with the small demo district and its demo accounts, migrated and seeded. */
export async function startCluster(log: (line: string) => void = () => {}): Promise<Cluster> {
	const server = await startThrowawayPostgis(log);
	const admin = new pg.Client({ connectionString: server.url });
	await admin.connect();
	await admin.query('create database faults');
	await admin.end();
	const url = server.url.replace(/\/postgres$/, '/faults');
	const owner = await openDb({ backend: 'server', url, poolSize: 4 });
	await migrate(owner);
	await seedDemo(owner, { scale: 'small', seed: 1 });
	await createDemoAccounts(owner.kysely, 'Demo-Pass-2026!');
	return {
		pg: server,
		url,
		owner,
		async close() {
			await owner.close().catch(() => {});
			server.stop();
		}
	};
}

export async function freePort(): Promise<number> {
	return new Promise((ok, fail) => {
		const s = createServer();
		s.listen(0, '127.0.0.1', () => {
			const a = s.address();
			s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
		});
	});
}

export interface App {
	child: ChildProcess;
	base: string;
	/** everything the process wrote, stdout and stderr */
	output(): string;
	/** waits until /api/health answers ok */
	ready(timeoutMs?: number): Promise<number>;
	kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the built app on a port of its own against `url`. */
export async function startApp(url: string, env: Record<string, string> = {}): Promise<App> {
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const child = spawn(process.execPath, [join(BUILD_DIR, 'index.js')], {
		env: {
			...process.env,
			PORT: String(port),
			HOST: '127.0.0.1',
			ORIGIN: base,
			DATABASE_URL: url,
			PGLITE_DIR: '',
			JICENG_SNAPSHOTS: 'off',
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	child.stdout!.on('data', (c) => (out += c));
	child.stderr!.on('data', (c) => (out += c));
	const app: App = {
		child,
		base,
		output: () => out,
		async ready(timeoutMs = 60_000) {
			const t0 = performance.now();
			while (performance.now() - t0 < timeoutMs) {
				if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${out}`);
				const r = await fetch(`${base}/api/health`).catch(() => null);
				if (r?.status === 200) return performance.now() - t0;
				await sleep(200);
			}
			throw new Error(`the app did not answer within ${timeoutMs} ms:\n${out}`);
		},
		async kill(signal = 'SIGTERM') {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill(signal);
			await once(child, 'exit');
		}
	};
	return app;
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A session cookie for the demo account of `role` (made in the database, as a sign-in would). */
export async function sessionCookie(owner: Db, role: string): Promise<string> {
	const account = await owner.kysely
		.selectFrom('account')
		.select('id')
		.where('username', '=', `demo-${role.replace(/_/g, '-')}`)
		.executeTakeFirstOrThrow();
	const token = await createSession(owner.kysely, Number(account.id), null);
	return `${SESSION_COOKIE}=${token}`;
}

/** The slippy-map tile holding a point. */
export function tileAt(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
	const n = 2 ** z;
	const x = Math.floor(((lon + 180) / 360) * n);
	const r = (lat * Math.PI) / 180;
	const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
	return { z, x, y };
}

export interface Hit {
	/** when it was sent, ms since the load began */
	at: number;
	ms: number;
	/** 0: no answer (the connection failed) */
	status: number;
	retryAfter: string | null;
	path: string;
}

/** GET with a cookie and a time limit of its own (a hang shows as status 0 after `limitMs`). */
export async function hit(base: string, path: string, cookie: string, t0: number, limitMs = 20_000): Promise<Hit> {
	const at = performance.now();
	try {
		const r = await fetch(`${base}${path}`, { headers: { cookie, accept: 'application/json' }, signal: AbortSignal.timeout(limitMs) });
		await r.arrayBuffer();
		return { at: at - t0, ms: performance.now() - at, status: r.status, retryAfter: r.headers.get('retry-after'), path };
	} catch {
		return { at: at - t0, ms: performance.now() - at, status: 0, retryAfter: null, path };
	}
}

/** Keeps `workers` requests in flight over `paths` until stop() is called; every answer recorded. */
export function load(base: string, paths: string[], cookie: string, workers: number) {
	const hits: Hit[] = [];
	const t0 = performance.now();
	let running = true;
	const loops = Array.from({ length: workers }, async (_, w) => {
		for (let i = w; running; i++) {
			hits.push(await hit(base, paths[i % paths.length], cookie, t0));
			await sleep(20);
		}
	});
	return {
		hits,
		/** ms since the load began */
		now: () => performance.now() - t0,
		async stop() {
			running = false;
			await Promise.all(loops);
		}
	};
}

/** A plain owner connection (for locks and checks outside the app's pool). */
export async function ownerClient(url: string): Promise<pg.Client> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	c.on('error', () => {});
	return c;
}

export const seconds = (ms: number) => (ms / 1000).toFixed(1);
