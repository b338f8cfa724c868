// Faults on the server backend (issue 14 part 2), against the built app and a throwaway PostGIS of
// this test's own: the database restarting under load, the pool exhausted by slow queries, a
// runaway analysis beside tiles, the disk full while writing, and kill -9 in the middle of a
// request transition, an import and a coverage recompute. Each fault's recovery time is printed
// as a `fault: …` line. Run with `npm run test:faults` (it builds the app first); skipped otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SCALES } from '../../src/lib/server/seed/index.ts';
import { DEFAULT_ACQUIRE_TIMEOUT_MS } from '../../src/lib/server/db/open.ts';
import { everyOf } from '../helpers/every-of.ts';
import {
	DISTRICT,
	faultsWanted,
	haveBuild,
	BUILD_DIR,
	hit,
	load,
	ownerClient,
	seconds,
	sessionCookie,
	sleep,
	startApp,
	startCluster,
	tileAt,
	type App,
	type Cluster,
	type Hit
} from './harness.ts';

const T = 240_000;
const report = (line: string) => console.log(`fault: ${line}`);

if (faultsWanted && !haveBuild) throw new Error(`no built app in ${BUILD_DIR}: run the fault tests with npm run test:faults`);

describe.skipIf(!faultsWanted)('faults on the server backend, built app', () => {
	let c: Cluster;
	let app: App | null = null;
	let admin: string;
	let planner: string;
	let street: string;
	const [lon, lat] = SCALES.small.centre;
	const tiles = [13, 14].flatMap((z) => {
		const t = tileAt(lon, lat, z);
		return ['grids', 'communities', 'buildings'].map((layer) => `/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt`);
	});
	const json = () => [`/api/areas/${DISTRICT}/summary`, `/api/areas/${street}/summary`];

	const restartApp = async (env: Record<string, string> = {}) => {
		await app?.kill('SIGTERM');
		app = await startApp(c.url, env);
		await app.ready();
		return app;
	};
	const count = async (table: string) =>
		Number((await sql<{ n: number }>`select count(*)::int8 as n from ${sql.table(table)}`.execute(c.owner.kysely)).rows[0].n);

	beforeAll(async () => {
		c = await startCluster();
		admin = await sessionCookie(c.owner, 'district_admin');
		planner = await sessionCookie(c.owner, 'planner');
		street = (await c.owner.kysely.selectFrom('area').select('code').where('level', '=', 'street').orderBy('code').executeTakeFirstOrThrow()).code;
	}, 600_000);
	afterAll(async () => {
		await app?.kill('SIGKILL');
		await c?.close();
	});

	it.each([
		['db-restart', 'restarts', 'fast'],
		['db-crash', 'crashes and recovers', 'immediate']
	] as const)(
		'%s: the database %s under load: the same process answers quick 503s with Retry-After, and serves again by itself',
		async (name, _what, mode) => {
			const a = await restartApp();
			const pid = a.child.pid;
			// the map page, summaries and tiles: every one answers before the fault
			const paths = ['/', ...json(), ...tiles];
			for (const p of paths) expect((await hit(a.base, p, admin, 0)).status, p).toBeLessThan(300);

			const l = load(a.base, paths, admin, 12);
			await sleep(2000);
			const down = l.now();
			// 'fast' ends every session and shuts down cleanly; 'immediate' is a crash (WAL recovery at start)
			c.pg.halt(mode);
			await sleep(4000);
			c.pg.resume();
			const up = l.now();
			// recovered: JSON answered 200 for 3 s on end
			let recovered: number | null = null;
			while (l.now() - up < 40_000) {
				await sleep(250);
				const after = l.hits.filter((h) => h.at >= up);
				const lastBad = Math.max(up, ...after.filter((h) => h.status !== 200 && h.status !== 204).map((h) => h.at + h.ms));
				const since = after.filter((h) => h.at > lastBad && h.path.startsWith('/api/'));
				if (l.now() - lastBad > 3000 && since.length >= 10) {
					recovered = Math.min(...since.map((h) => h.at)) - up;
					break;
				}
			}
			await l.stop();

			const hits = l.hits;
			const refused = hits.filter((h) => h.status === 503);
			const outage = hits.filter((h) => h.at >= down && h.at < up);
			report(
				`${name} recovered in ${recovered === null ? 'never' : seconds(recovered)} s after the database accepted connections again ` +
					`(database down ${seconds(up - down)} s; ${hits.length} requests, ${refused.length} answered 503, slowest 503 ${Math.round(Math.max(0, ...refused.map((h) => h.ms)))} ms)`
			);
			// the fault was felt, and only as 503s with Retry-After, quickly: no 500, no hang, no dropped connection
			expect(refused.length).toBeGreaterThan(0);
			expect(hits.filter((h) => ![200, 204, 503].includes(h.status)).map((h) => `${h.status} ${h.path}`)).toEqual([]);
			expect(everyOf(refused, (h: Hit) => h.retryAfter !== null && Number(h.retryAfter) > 0)).toBe(true);
			// none waits longer than the pool's acquire timeout (a connection being made to a server going
			// down can take that long; most are refused at once)
			expect(Math.max(...outage.map((h) => h.ms))).toBeLessThan(DEFAULT_ACQUIRE_TIMEOUT_MS + 1000);
			// the same process, serving again within 30 s
			expect(a.child.exitCode).toBeNull();
			expect(a.child.pid).toBe(pid);
			expect(recovered).not.toBeNull();
			expect(recovered!).toBeLessThan(30_000);
			expect(a.output()).not.toMatch(/unhandled|uncaught/i);
		},
		T
	);

	it(
		'the pool exhausted by slow queries: new requests fail fast with 503, the app role’s time limits end the slow ones, service comes back',
		async () => {
			// the app role's limits (sql/010), tightened here so the test does not wait 30 s for them
			const { rows } = await sql<{ c: string[] }>`
				select s.setconfig as c from pg_db_role_setting s
				where s.setrole = (select oid from pg_roles where rolname = 'jiceng_app') and s.setdatabase = (select oid from pg_database where datname = current_database())`.execute(
				c.owner.kysely
			);
			expect(rows[0]?.c).toEqual(expect.arrayContaining(['statement_timeout=30s', 'idle_in_transaction_session_timeout=60s']));
			await sql`alter role jiceng_app in database faults set statement_timeout = '4s'`.execute(c.owner.kysely);
			const acquire = 1500;
			try {
				const a = await restartApp({ DB_POOL_SIZE: '4', DB_ACQUIRE_TIMEOUT_MS: String(acquire) });
				for (const p of json()) expect((await hit(a.base, p, admin, 0)).status, p).toBe(200);
				// every query that reads the areas waits behind this lock: the pool's four connections are held
				const locker = await ownerClient(c.url);
				await locker.query('begin');
				await locker.query('lock table area, area_stats in access exclusive mode');
				const t0 = performance.now();
				const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => hit(a.base, json()[i % 2], admin, t0, 15_000)));
				const releasedAt = performance.now();
				await locker.query('rollback');
				await locker.end();
				let back: number | null = null;
				while (performance.now() - releasedAt < 30_000) {
					const h = await hit(a.base, json()[0], admin, releasedAt);
					if (h.status === 200) {
						back = h.at + h.ms;
						break;
					}
					await sleep(100);
				}
				const waited = answers.filter((h) => h.ms < acquire + 1000);
				const held = answers.filter((h) => h.ms >= acquire + 1000);
				report(
					`pool-exhaustion recovered in ${back === null ? 'never' : seconds(back)} s after the slow queries ended ` +
						`(16 requests on a pool of 4: ${waited.length} refused within ${Math.round(Math.max(...waited.map((h) => h.ms)))} ms, ` +
						`${held.length} cut by statement_timeout after ${Math.round(Math.max(0, ...held.map((h) => h.ms)))} ms)`
				);
				expect(answers.filter((h) => h.status !== 503 || h.retryAfter === null).map((h) => `${h.status} ${Math.round(h.ms)} ms`)).toEqual([]);
				// those beyond the pool: refused within the acquire timeout; those holding a connection: ended by statement_timeout
				expect(waited.length).toBeGreaterThanOrEqual(12);
				expect(Math.max(...answers.map((h) => h.ms))).toBeLessThan(4000 + acquire + 1500);
				expect(held.length).toBeGreaterThan(0);
				expect(back).not.toBeNull();
				expect(back!).toBeLessThan(5000);
				expect(a.child.exitCode).toBeNull();
			} finally {
				await sql`alter role jiceng_app in database faults set statement_timeout = '30s'`.execute(c.owner.kysely);
			}
		},
		T
	);

	it(
		'a burst of analyses cannot starve tiles: they take at most their own places, tiles and summaries keep answering',
		async () => {
			const a = await restartApp({ DB_POOL_SIZE: '6' });
			// the analyses are kept running for a fixed window (12 callers, each asking again as soon as
			// answered): on a fast machine one burst ends before the tiles' load has sent anything
			const suggest = [5, 10, 15, 20].map((k) => `/api/coverage/suggest?k=${k}`);
			const burst = load(a.base, suggest, planner, 12);
			await sleep(300);
			const l = load(a.base, [...json(), ...tiles], admin, 4);
			await sleep(4000);
			await l.stop();
			await burst.stop();
			const done = burst.hits;
			const served = l.hits;
			const slowest = Math.max(...served.map((h) => h.ms));
			report(
				`runaway-analysis: no recovery needed — ${served.length} tile/summary requests beside 12 callers of analyses, slowest ${Math.round(slowest)} ms; ` +
					`analyses: ${done.filter((h) => h.status === 200).length} answered, ${done.filter((h) => h.status === 503).length} refused busy (503)`
			);
			expect(served.length).toBeGreaterThan(10);
			expect(served.filter((h) => h.status !== 200 && h.status !== 204).map((h) => `${h.status} ${h.path}`)).toEqual([]);
			expect(slowest).toBeLessThan(5000);
			expect(done.filter((h) => h.status !== 200 && !(h.status === 503 && h.retryAfter)).map((h) => h.status)).toEqual([]);
			expect(done.filter((h) => h.status === 200).length).toBeGreaterThan(0);
		},
		T
	);

	// a real ENOSPC: a 2 MB tmpfs mounted for a tablespace needs root with mount rights (CI's
	// container has them); JICENG_FAULTS_NO_MOUNT=1 skips this one case where it cannot be had
	it.skipIf(process.env.JICENG_FAULTS_NO_MOUNT === '1')(
		'the disk full while writing: the write fails whole with 503, reads go on, the write succeeds once there is room',
		async () => {
			const a = await restartApp();
			const post = () =>
				fetch(`${a.base}/api/snapshots`, {
					method: 'POST',
					headers: { cookie: admin, origin: a.base, accept: 'application/json' },
					signal: AbortSignal.timeout(30_000)
				});
			// a snapshot first, to have rows (the coverage results must exist)
			let first = await post();
			for (let i = 0; first.status === 503 && i < 60; i++) {
				await sleep(1000);
				first = await post();
			}
			expect(first.status).toBe(200);
			// the snapshot tables on a 2 MB filesystem of their own, then filled
			const mnt = mkdtempSync(join(tmpdir(), 'jiceng-full-'));
			execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', mnt]);
			try {
				const space = join(mnt, 'ts');
				mkdirSync(space);
				execFileSync('chown', ['postgres:postgres', space]);
				await sql.raw(`create tablespace tiny location '${space}'`).execute(c.owner.kysely);
				await sql`alter table area_snapshot set tablespace tiny`.execute(c.owner.kysely);
				await sql`alter table blind_spot_snapshot set tablespace tiny`.execute(c.owner.kysely);
				const before = { areas: await count('area_snapshot'), spots: await count('blind_spot_snapshot') };
				const filler = join(mnt, 'filler');
				try {
					execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
				} catch {
					// dd ends with "No space left on device": the point
				}
				const refused = await post();
				const body = await refused.text();
				// the write failed whole: the snapshot tables as they were
				expect(refused.status, body).toBe(503);
				expect(refused.headers.get('retry-after')).not.toBeNull();
				expect(await count('area_snapshot')).toBe(before.areas);
				expect(await count('blind_spot_snapshot')).toBe(before.spots);
				// reads go on
				for (const p of [...json(), ...tiles]) expect((await hit(a.base, p, admin, 0)).status, p).toBeLessThan(300);
				expect(a.output()).toMatch(/No space left on device|could not extend/);
				// room again: the same write goes through
				const freed = performance.now();
				rmSync(filler);
				const again = await post();
				const took = performance.now() - freed;
				expect(again.status).toBe(200);
				report(`disk-full recovered in ${seconds(took)} s after room was made (the refused write: 503, nothing of it kept; reads answered throughout)`);
				await sql`alter table area_snapshot set tablespace pg_default`.execute(c.owner.kysely);
				await sql`alter table blind_spot_snapshot set tablespace pg_default`.execute(c.owner.kysely);
				await sql`drop tablespace tiny`.execute(c.owner.kysely);
			} finally {
				try {
					execFileSync('umount', ['-l', mnt]);
				} catch {
					// the test failed before it mounted
				}
			}
		},
		T
	);

	it(
		'kill -9 while a request transition is half-way: the transaction absent, every committed one whole',
		async () => {
			const child = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', 'tests/faults/request-writer.ts', '5'], {
				env: { ...process.env, DATABASE_URL: c.url },
				stdio: ['ignore', 'pipe', 'pipe']
			});
			let out = '';
			let err = '';
			child.stderr!.on('data', (d) => (err += d));
			const inside = await new Promise<number>((ok, fail) => {
				const timer = setTimeout(() => fail(new Error(`no progress: ${out}${err}`)), 60_000);
				child.stdout!.on('data', (d) => {
					out += d;
					const m = /inside (\d+)\n$/.exec(out);
					if (m && Number(m[1]) >= 30) {
						child.kill('SIGKILL');
						clearTimeout(timer);
						ok(Number(m[1]));
					}
				});
			});
			await once(child, 'close');
			const ids = /requests ([\d,]+)/.exec(out)![1].split(',').map(Number);
			// the killed session's transaction is rolled back when PostgreSQL sees the socket closed
			await sleep(1000);
			const { rows } = await sql<{ id: number; state: string; last: string; moves: number; audited: number }>`
				select r.id::int as id, r.state,
				       (select e.to_state from request_event e where e.request_id = r.id order by e.id desc limit 1) as last,
				       (select count(*)::int from request_event e where e.request_id = r.id and e.action <> 'submit') as moves,
				       (select count(*)::int from audit_log a where a.object like 'request:' || r.id || ':%' and a.object not like '%:submit') as audited
				from request r where r.id = any(${ids}) order by r.id`.execute(c.owner.kysely);
			const moves = rows.reduce((s, r) => s + r.moves, 0);
			report(`kill-9 request transition: consistent at once (no recovery needed) — ${inside} transitions committed and kept, the one killed half-way absent`);
			expect(rows).toHaveLength(5);
			expect(everyOf(rows, (r) => r.state === r.last && r.moves === r.audited)).toBe(true);
			expect(moves).toBe(inside);
		},
		T
	);

	it(
		'kill -9 of the server during an import over HTTP: nothing of it kept, the next start serves',
		async () => {
			// adapter-node refuses bodies over 512 kB unless told (BODY_SIZE_LIMIT): this file is ≈ 4 MB
			const a = await restartApp({ BODY_SIZE_LIMIT: '64M' });
			const buildings = await count('building');
			// 20,000 small buildings around the district's centre
			const file = join(mkdtempSync(join(tmpdir(), 'jiceng-import-')), 'big.geojson');
			const w = createWriteStream(file);
			w.write('{"type":"FeatureCollection","features":[\n');
			for (let i = 0; i < 20_000; i++) {
				const x = lon - 0.01 + (i % 140) * 0.00014;
				const y = lat - 0.01 + Math.floor(i / 140) * 0.00014;
				const d = 0.00005;
				const ring = [
					[x, y],
					[x + d, y],
					[x + d, y + d],
					[x, y + d],
					[x, y]
				];
				w.write(
					`${i ? ',' : ''}${JSON.stringify({ type: 'Feature', properties: { id: `fault${i}`, floors: 6 }, geometry: { type: 'Polygon', coordinates: [ring] } })}\n`
				);
			}
			w.end(']}\n');
			await once(w, 'finish');
			const { readFile } = await import('node:fs/promises');
			const body = await readFile(file);
			const r = await fetch(`${a.base}/api/import?layer=buildings&name=big.geojson`, {
				method: 'POST',
				headers: { cookie: admin, origin: a.base, 'content-type': 'application/geo+json' },
				body
			});
			expect(r.status).toBe(200);
			// kill it once every feature is staged in its transaction and being validated
			const reader = r.body!.getReader();
			let text = '';
			for (;;) {
				const { value, done } = await reader.read();
				if (done || text.includes('"type":"result"')) throw new Error(`the import finished before it could be killed: ${text.slice(-500)}`);
				text += new TextDecoder().decode(value);
				if (/"type":"progress","features":[1-9]\d*,[^\n]*"phase":"validating"/.test(text)) break;
			}
			await a.kill('SIGKILL');
			await reader.cancel().catch(() => {});
			await sleep(1000);
			expect(await count('building')).toBe(buildings);
			expect(Number((await sql<{ n: number }>`select count(*)::int as n from building where source_id like '%fault%'`.execute(c.owner.kysely)).rows[0].n)).toBe(
				0
			);
			const t0 = performance.now();
			app = await startApp(c.url, { BODY_SIZE_LIMIT: '64M' });
			await app.ready();
			report(`kill-9 import: nothing of it kept; the next start served in ${seconds(performance.now() - t0)} s`);
			for (const p of json()) expect((await hit(app.base, p, admin, 0)).status, p).toBe(200);
			// the same file, not killed, goes in whole: the killed one had something to lose
			const whole = await fetch(`${app.base}/api/import?layer=buildings&name=big.geojson`, {
				method: 'POST',
				headers: { cookie: admin, origin: app.base, 'content-type': 'application/geo+json' },
				body
			});
			const last = JSON.parse((await whole.text()).trim().split('\n').pop()!);
			expect(last).toMatchObject({ type: 'result', committed: true });
			expect(last.written.inserted).toBeGreaterThan(1000);
			expect(await count('building')).toBe(buildings + last.written.inserted);
		},
		T
	);

	it(
		'kill -9 of the server during a coverage recompute: the served generation stays whole, the next start says so and brings it up to date',
		async () => {
			await app?.kill('SIGTERM');
			app = null;
			const served = async () => Number((await sql<{ g: number }>`select gen as g from coverage_run where id = 1`.execute(c.owner.kysely)).rows[0].g);
			const drawn = async () => Number((await sql<{ v: number }>`select last_value as v from coverage_gen_seq`.execute(c.owner.kysely)).rows[0].v);
			const lockHeld = async () =>
				Number((await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory'`.execute(c.owner.kysely)).rows[0].n) > 0;
			let killedGen: number | null = null;
			let gen0 = 0;
			for (let attempt = 0; attempt < 3 && killedGen === null; attempt++) {
				gen0 = await served();
				// a write to the road network: the next start recomputes everything
				await sql`update road set name = name where id = (select min(id) from road)`.execute(c.owner.kysely);
				const a = await startApp(c.url);
				const t0 = performance.now();
				while (performance.now() - t0 < 60_000 && a.child.exitCode === null) {
					if ((await drawn()) > gen0 && (await lockHeld())) {
						await sleep(100);
						if ((await served()) === gen0) {
							await a.kill('SIGKILL');
							killedGen = await drawn();
						}
						break;
					}
					await sleep(10);
				}
				if (killedGen === null) await a.kill('SIGKILL');
			}
			expect(killedGen, 'a recompute to kill (every try finished first)').not.toBeNull();
			// the killed session ends when PostgreSQL sees its socket closed; its lock and transaction go with it
			for (let i = 0; i < 100 && (await lockHeld()); i++) await sleep(100);
			expect(await lockHeld()).toBe(false);
			expect(await served()).toBe(gen0);
			const { rows } = await sql<{ n: number }>`
				select (select count(*) from building_coverage_gen where gen > ${gen0}) + (select count(*) from coverage_gap_gen where gen > ${gen0})
				     + (select count(*) from area_coverage_gen where gen > ${gen0}) + (select count(*) from reach_area_gen where gen > ${gen0}) as n`.execute(c.owner.kysely);
			expect(Number(rows[0].n)).toBe(0);

			const t0 = performance.now();
			app = await startApp(c.url);
			await app.ready();
			while (performance.now() - t0 < 120_000 && !/results ready/.test(app.output())) await sleep(200);
			const took = performance.now() - t0;
			expect(app.output()).toMatch(new RegExp(`last recompute \\(generation ${killedGen}\\) did not finish`));
			expect(app.output()).toMatch(/results ready/);
			expect(await served()).toBeGreaterThan(killedGen!);
			report(`kill-9 recompute: generation ${gen0} stayed served whole; the next start said so and had new results in ${seconds(took)} s`);
		},
		T
	);
});
