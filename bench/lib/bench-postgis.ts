// The benchmarks' server PostGIS: one cluster in data/bench-postgis/ (gitignored), kept between
// runs and stopped at the end of each, with each demo dataset seeded into a database of its own
// when missing (seed 1). Shared by bench/tiles.ts, bench/coverage.ts and bench/map.ts; also the
// login the app server connects with as deployed (appLogin) and the check that it runs as the app
// role (appRoleCheck).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openDb, APP_ROLE } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
export const SEED = 1;

function pgBin(): string {
	const root = '/usr/lib/postgresql';
	for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
		if (existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'lib', 'postgis-3.so'))) return join(root, v, 'bin');
	}
	throw new Error('no PostgreSQL with PostGIS: apt-get install postgresql-15-postgis-3');
}

async function freePort(): Promise<number> {
	return new Promise((ok, fail) => {
		const s = createNetServer();
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as AddressInfo).port;
			s.close(() => ok(port));
		});
		s.on('error', fail);
	});
}

export async function startCluster(): Promise<{ url: (db: string) => string; stop: () => void }> {
	const bin = pgBin();
	const dir = resolve('data/bench-postgis');
	const data = join(dir, 'data');
	const isRoot = process.getuid?.() === 0;
	const run = (cmd: string, args: string[]) => {
		const r = isRoot
			? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' })
			: spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
		if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
	};
	mkdirSync(dir, { recursive: true });
	// the cluster must never be committed, whatever the repository's own .gitignore says
	writeFileSync(join(dir, '.gitignore'), "# the benchmark's PostgreSQL cluster (bench/tiles.ts): never commit it\n*\n");
	if (isRoot) {
		const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
		const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
		chownSync(dir, uid, gid);
	}
	if (!existsSync(join(data, 'PG_VERSION'))) {
		log(`[bench] initdb ${data}`);
		run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '-N']);
	}
	const port = await freePort();
	// BENCH_PG_STATS=1: what the server spent its time on (pg_stat_statements), printed at the stop
	const stats = process.env.BENCH_PG_STATS === '1';
	const options =
		`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=1GB -c work_mem=32MB -c maintenance_work_mem=512MB -c max_wal_size=4GB` +
		(stats ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on' : '');
	run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
	// reached as a PostgreSQL on the app's own machine is (README, "A server PostGIS"): through its
	// Unix socket. BENCH_PG_TCP=1 goes over TCP on loopback instead, as to a database elsewhere
	// (bench:load at Chaoyang: 490–577 requests/s over TCP against 529–588 through the socket).
	const tcp = process.env.BENCH_PG_TCP === '1';
	log(`[bench] server PostGIS on port ${port} (${data}), reached through ${tcp ? 'TCP on 127.0.0.1 (BENCH_PG_TCP=1)' : `its Unix socket in ${dir}`}`);
	// the statistics of this run only (they outlive a restart)
	if (stats) statementStats(bin, port, isRoot, 'select pg_stat_statements_reset()');
	let stopped = false;
	const stop = () => {
		if (stopped) return;
		stopped = true;
		if (stats) log(statementStats(bin, port, isRoot));
		run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
	};
	return { url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}${tcp ? '' : `?host=${encodeURIComponent(dir)}`}`, stop };
}

/** the statements the server spent most time on, over every database of the cluster (BENCH_PG_STATS) */
function statementStats(bin: string, port: number, isRoot: boolean, then?: string): string {
	const query = `create extension if not exists pg_stat_statements;
		${then ?? ''}${then ? ';' : ''}
		select round(sum(total_plan_time))::int as planning_ms, round(sum(total_exec_time))::int as executing_ms, sum(calls) as calls from pg_stat_statements;
		select round(total_exec_time)::int as total_ms, round(total_plan_time)::int as plan_ms, calls, round(mean_exec_time::numeric, 2) as mean_ms,
		       left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
		from pg_stat_statements order by total_exec_time + total_plan_time desc limit 30`;
	const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-X', '-c', query];
	const r = isRoot
		? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'psql'), ...args], { encoding: 'utf8' })
		: spawnSync(join(bin, 'psql'), args, { encoding: 'utf8' });
	return `[bench] statements by total time (pg_stat_statements):\n${r.stdout || r.stderr}`;
}

export async function ensureDataset(url: (db: string) => string, scale: 'district' | 'chaoyang'): Promise<string> {
	const name = `jiceng_bench_${scale}`;
	const admin = async (fn: (c: pg.Client) => Promise<void>) => {
		const c = new pg.Client({ connectionString: url('postgres') });
		await c.connect();
		try {
			await fn(c);
		} finally {
			await c.end();
		}
	};
	await admin(async (c) => {
		const exists = (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount;
		if (!exists) await c.query(`create database ${name}`);
	});
	let db = await openDb({ backend: 'server', url: url(name), poolSize: 2 });
	try {
		try {
			await migrate(db, (l) => log(`[bench] ${scale}: ${l}`));
		} catch (e) {
			// a schema file changed since this dataset was seeded: the dataset is derived, start it again
			if (!/changed after it was applied/.test((e as Error).message)) throw e;
			log(`[bench] ${scale}: ${(e as Error).message.split(';')[0]}: dropping the dataset to seed it again`);
			await db.close();
			await admin(async (c) => {
				await c.query(`drop database ${name} with (force)`);
				await c.query(`create database ${name}`);
			});
			db = await openDb({ backend: 'server', url: url(name), poolSize: 2 });
			await migrate(db, (l) => log(`[bench] ${scale}: ${l}`));
		}
		const { rows } = await sql<{ scale: string; seed: number }>`select scale, seed from dataset`.execute(db.kysely);
		if (rows[0]?.scale === scale && rows[0]?.seed === SEED) {
			log(`[bench] ${scale}: already seeded`);
		} else {
			log(`[bench] ${scale}: seeding (seed ${SEED}) …`);
			const { seconds } = await seedDemo(db, { scale, seed: SEED, log: (l) => log(`[bench] ${l}`) });
			log(`[bench] ${scale}: seeded in ${seconds.toFixed(0)} s`);
			await sql`analyze`.execute(db.kysely);
		}
		await ensureAreaStats(db);
	} finally {
		await db.close();
	}
	return url(name);
}

/** The login the benchmarks' app server connects with (appLogin). */
export const APP_LOGIN = 'jiceng_bench_app';

/**
 * The app server's DATABASE_URL as deployed: a login that is a member of the app role
 * (jiceng_app, sql/006), which the server steps down into after migrating (open.ts, appRole), so
 * row-level security applies. The login is NOINHERIT and may read nothing but the migration ledger
 * (which the start-up reads before stepping down): a tile served at all proves the server ran it
 * as jiceng_app, never as the owner. Neither superuser, owner nor BYPASSRLS.
 */
export async function appLogin(ownerUrl: string): Promise<string> {
	const c = new pg.Client({ connectionString: ownerUrl });
	await c.connect();
	try {
		await c.query(`do $$ begin
			if not exists (select 1 from pg_roles where rolname = '${APP_LOGIN}') then create role ${APP_LOGIN} login noinherit; end if;
		end $$`);
		await c.query(`alter role ${APP_LOGIN} login noinherit nosuperuser nobypassrls nocreatedb nocreaterole`);
		await c.query(`grant ${APP_ROLE} to ${APP_LOGIN}`);
		await c.query(`grant select on schema_migration to ${APP_LOGIN}`);
	} finally {
		await c.end();
	}
	const url = new URL(ownerUrl);
	url.username = APP_LOGIN;
	return url.href;
}

export interface AppRoleCheck {
	session_user: string;
	current_user: string;
	superuser: boolean;
	bypassrls: boolean;
	/** members a query without a scope sees: 0 when row-level security applies */
	members_unscoped: number;
}

/**
 * What the app sees when it opens `appUrl` as the server does (openDb with appRole): its
 * current_user must be the app role, neither superuser nor BYPASSRLS, and a query without a
 * transaction scope must see no member. Throws otherwise.
 */
export async function appRoleCheck(appUrl: string): Promise<AppRoleCheck> {
	const db = await openDb({ backend: 'server', url: appUrl, poolSize: 1 }, { appRole: true });
	try {
		const { rows } = await sql<AppRoleCheck>`
			select session_user::text as session_user, current_user::text as current_user, r.rolsuper as superuser,
			       r.rolbypassrls as bypassrls, (select count(*) from party_member)::int as members_unscoped
			from pg_roles r where r.rolname = current_user`.execute(db.kysely);
		const check = rows[0];
		if (check.current_user !== APP_ROLE || check.superuser || check.bypassrls || check.members_unscoped !== 0) {
			throw new Error(`the app would not run as ${APP_ROLE} under row-level security: ${JSON.stringify(check)}`);
		}
		return check;
	} finally {
		await db.close();
	}
}
