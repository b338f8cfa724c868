// `npm run backup` / `npm run restore` round trips on both backends, run as the commands are run:
// the seeded small district with audit rows is backed up while something keeps writing, restored
// into a fresh database (a new folder; a new database on the test server), and compared table by
// table (row counts and checksums), with the audit log's hash chain verified. A restore into a
// database that holds data is refused unless --force; a broken or missing file is named.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { audit, verifyAuditChain } from '../../src/lib/server/auth/audit.ts';
import { fingerprint, type Fingerprint } from '../../src/lib/server/backup/fingerprint.ts';
import { MANIFEST_FORMAT, readManifest, type Manifest } from '../../src/lib/server/backup/manifest.ts';
import { serverUrl, withDatabase } from '../helpers/backends.ts';

const dir = mkdtempSync(join(tmpdir(), 'jiceng-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command without blocking this process (which may be reading a writer's pipe meanwhile). */
function cli(script: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [`scripts/${script}.ts`, ...args], { env: { ...process.env, DATABASE_URL: '', PGLITE_DIR: '', ...env } });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
		child.on('close', (status) => {
			clearTimeout(timer);
			resolve({ status, stdout, stderr: stderr.trim() });
		});
	});
}

async function seedWithAudit(db: Db): Promise<void> {
	await migrate(db);
	await seedDemo(db, { scale: 'small', seed: 3 });
	for (let i = 0; i < 25; i++) await audit(db.kysely, { username: `u${i}`, role: 'grid_leader', action: 'login', object: `probe ${i}`, result: 'ok' });
}

/** Every table but the ones a test writes while backing up. */
function without(fp: Fingerprint, ...tables: string[]): Fingerprint['tables'] {
	return Object.fromEntries(Object.entries(fp.tables).filter(([t]) => !tables.includes(t)));
}

function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
	return new Promise((resolve, reject) => {
		let seen = '';
		const timer = setTimeout(() => reject(new Error(`no ${pattern} from the child in ${timeoutMs} ms: ${seen}`)), timeoutMs);
		const onData = (d: Buffer) => {
			seen += d.toString();
			if (pattern.test(seen)) {
				clearTimeout(timer);
				resolve();
			}
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
		child.on('exit', (code) => reject(new Error(`child exited (${code}) before ${pattern}: ${seen}`)));
	});
}

function exited(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));
}

describe('embedded backup and restore', () => {
	const source = join(dir, 'source');
	const target = join(dir, 'target');
	const file = join(dir, 'embedded.tar.gz');
	let before: Fingerprint;

	beforeAll(async () => {
		const db = await openDb({ backend: 'embedded', dataDir: source });
		try {
			await seedWithAudit(db);
			before = await fingerprint(db.kysely);
		} finally {
			await db.close();
		}
	}, 240_000);

	it('backs up while the app has the folder open and writes, through the app; the restore matches table by table', async () => {
		// a process holding the folder as the app does, committing batches of 100 rows meanwhile
		const app = spawn(process.execPath, ['tests/helpers/embedded-child.ts', source, 'write'], { stdio: ['ignore', 'pipe', 'pipe'] });
		try {
			await waitFor(app, /committed 5\b/);
			const r = await cli('backup', ['--out', file], { PGLITE_DIR: source });
			expect(r.stderr).toBe('');
			expect(r.status).toBe(0);
			expect(r.stdout).toMatch(new RegExp(`asking it to write the backup`));
			expect(r.stdout).toMatch(/\.tar\.gz: [\d.]+ MB, \d+ tables/);
		} finally {
			app.kill('SIGKILL');
			await exited(app);
		}
		const manifest = readManifest(file);
		expect(manifest.fingerprint.tables.crash_probe.rows).toBeGreaterThanOrEqual(500);

		const r = await cli('restore', [file], { PGLITE_DIR: target });
		expect(r.stderr).toBe('');
		expect(r.status).toBe(0);
		expect(r.stdout).toMatch(/rows match the manifest; audit log \(25 rows\) hash chain verified/);

		const db = await openDb({ backend: 'embedded', dataDir: target });
		try {
			const after = await fingerprint(db.kysely);
			// the seeded tables as they were; the table written during the backup as the manifest says
			expect(without(after, 'crash_probe')).toEqual(without(before, 'crash_probe'));
			expect(after).toEqual(manifest.fingerprint);
			expect(await verifyAuditChain(db.kysely)).toBeNull();
			// each transaction whole: no batch cut by the backup
			const { rows } = await sql<{ batch: number; n: number }>`select batch, count(*)::int as n from crash_probe group by batch having count(*) <> 100`.execute(
				db.kysely
			);
			expect(rows).toEqual([]);
		} finally {
			await db.close();
		}
	}, 300_000);

	it('backs up a folder no process has open by opening it itself', async () => {
		const r = await cli('backup', ['--out', join(dir, 'closed.tar.gz')], { PGLITE_DIR: target });
		expect(r.status).toBe(0);
		expect(r.stdout).toMatch(/no process has it open/);
	}, 240_000);

	it('refuses to restore over a database unless --force, which moves the old folder aside', async () => {
		const refused = await cli('restore', [file], { PGLITE_DIR: target });
		expect(refused.status).toBe(1);
		expect(refused.stderr).toMatch(/already holds a database.*--force/);
		const forced = await cli('restore', ['--force', file], { PGLITE_DIR: target });
		expect(forced.stderr).toBe('');
		expect(forced.status).toBe(0);
		expect(readdirSync(dir).filter((f) => f.startsWith('target.before-restore-'))).toHaveLength(1);
	}, 240_000);

	it('names the file when it is missing, truncated or not a backup', async () => {
		const missing = await cli('restore', [join(dir, 'nope.tar.gz')], { PGLITE_DIR: join(dir, 'x') });
		expect(missing.status).toBe(1);
		expect(missing.stderr).toContain(join(dir, 'nope.tar.gz'));

		const cut = join(dir, 'cut.tar.gz');
		writeFileSync(cut, readFileSync(file));
		writeFileSync(`${cut}.manifest.json`, readFileSync(`${file}.manifest.json`));
		truncateSync(cut, 1000);
		const truncated = await cli('restore', [cut], { PGLITE_DIR: join(dir, 'y') });
		expect(truncated.status).toBe(1);
		expect(truncated.stderr).toMatch(new RegExp(`${cut}.*truncated`));

		const noManifest = join(dir, 'lonely.tar.gz');
		writeFileSync(noManifest, readFileSync(file));
		const lonely = await cli('restore', [noManifest], { PGLITE_DIR: join(dir, 'z') });
		expect(lonely.status).toBe(1);
		expect(lonely.stderr).toContain(`${noManifest}.manifest.json`);
		expect(existsSync(join(dir, 'x')) || existsSync(join(dir, 'y')) || existsSync(join(dir, 'z'))).toBe(false);
	}, 60_000);
});

describe.skipIf(!serverUrl)('server backup and restore (pg_dump / pg_restore)', () => {
	const names: string[] = [];
	const admin = async (text: string) => {
		const c = new pg.Client({ connectionString: serverUrl });
		await c.connect();
		try {
			await c.query(text);
		} finally {
			await c.end();
		}
	};
	const createDatabase = async () => {
		const name = `t_${randomBytes(6).toString('hex')}`;
		await admin(`create database ${name}`);
		names.push(name);
		return withDatabase(serverUrl!, name);
	};
	afterAll(async () => {
		for (const n of names) await admin(`drop database if exists ${n} with (force)`);
	});
	const file = join(dir, 'server.dump');
	let sourceUrl: string;
	let before: Fingerprint;

	beforeAll(async () => {
		sourceUrl = await createDatabase();
		const db = await openDb({ backend: 'server', url: sourceUrl, poolSize: 4 });
		try {
			await seedWithAudit(db);
			before = await db.kysely.transaction().execute(async (trx) => {
				await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
				return fingerprint(trx);
			});
		} finally {
			await db.close();
		}
	}, 240_000);

	it('dumps in one snapshot while audit rows keep arriving, and restores into a fresh database table by table', async () => {
		const db = await openDb({ backend: 'server', url: sourceUrl, poolSize: 2 });
		let writing = true;
		let written = 0;
		const writer = (async () => {
			while (writing) {
				await audit(db.kysely, { username: 'writer', role: 'grid_leader', action: 'login', object: `during backup ${written}`, result: 'ok' });
				written++;
			}
		})();
		let r: Awaited<ReturnType<typeof cli>>;
		try {
			r = await cli('backup', ['--out', file], { DATABASE_URL: sourceUrl });
		} finally {
			writing = false;
			await writer;
			await db.close();
		}
		expect(r.stderr).toBe('');
		expect(r.status).toBe(0);
		expect(r.stdout).toMatch(/dumping table household/);
		expect(written).toBeGreaterThan(0);
		const manifest = readManifest(file);
		expect(manifest.server?.roles).toContain('jiceng_app');
		expect(manifest.server?.extensions.map((e) => e.name)).toContain('postgis');

		const targetUrl = await createDatabase();
		const restored = await cli('restore', [file], { DATABASE_URL: targetUrl });
		expect(restored.stderr).toBe('');
		expect(restored.status).toBe(0);
		expect(restored.stdout).toMatch(/rows match the manifest; audit log \(\d+ rows\) hash chain verified/);

		const target = await openDb({ backend: 'server', url: targetUrl, poolSize: 2 });
		try {
			const after = await target.kysely.transaction().execute(async (trx) => {
				await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
				return fingerprint(trx);
			});
			expect(without(after, 'audit_log')).toEqual(without(before, 'audit_log'));
			expect(after).toEqual(manifest.fingerprint);
			expect(after.audit.rows).toBeGreaterThanOrEqual(25);
			expect(await verifyAuditChain(target.kysely)).toBeNull();
			// row-level security came back: the app role sees no household without a scope
			const rls = await target.kysely.transaction().execute(async (trx) => {
				await sql`set local role jiceng_app`.execute(trx);
				return (await sql<{ n: number }>`select count(*)::int as n from household`.execute(trx)).rows[0].n;
			});
			expect(rls).toBe(0);
			expect(before.tables.household.rows).toBeGreaterThan(0);
			// sql/010's per-database time limit for the app role came back with it
			const { rows } = await sql<{ setting: string }>`
				select c as setting from pg_db_role_setting s cross join unnest(s.setconfig) c
				where s.setrole = 'jiceng_app'::regrole and s.setdatabase = (select oid from pg_database where datname = current_database())`.execute(target.kysely);
			expect(rows.map((x) => x.setting)).toContain('statement_timeout=30s');
		} finally {
			await target.close();
		}

		const refused = await cli('restore', [file], { DATABASE_URL: targetUrl });
		expect(refused.status).toBe(1);
		expect(refused.stderr).toMatch(/already holds \d+ tables.*--force/);
		const forced = await cli('restore', ['--force', file], { DATABASE_URL: targetUrl });
		expect(forced.stderr).toBe('');
		expect(forced.status).toBe(0);
	}, 300_000);

	it('names a file that is not a pg_dump archive, and an embedded backup given to a server', async () => {
		const bogus = join(dir, 'bogus.dump');
		writeFileSync(bogus, 'not a dump');
		const manifest: Manifest = {
			format: MANIFEST_FORMAT,
			backend: 'server',
			createdAt: new Date().toISOString(),
			file: 'bogus.dump',
			bytes: 10,
			seconds: 0,
			migrations: [],
			fingerprint: { tables: {}, audit: { rows: 0, lastSeq: null, lastHash: null } }
		};
		writeFileSync(`${bogus}.manifest.json`, JSON.stringify(manifest));
		const url = await createDatabase();
		const r = await cli('restore', [bogus], { DATABASE_URL: url });
		expect(r.status).toBe(1);
		expect(r.stderr).toMatch(new RegExp(`${bogus} is not a pg_dump archive`));

		const wrong = join(dir, 'wrong.tar.gz');
		writeFileSync(wrong, 'x');
		writeFileSync(`${wrong}.manifest.json`, JSON.stringify({ ...manifest, backend: 'embedded', bytes: 1 }));
		const w = await cli('restore', [wrong], { DATABASE_URL: url });
		expect(w.status).toBe(1);
		expect(w.stderr).toMatch(/backup of the embedded database; restore it with DATABASE_URL unset/);
	}, 60_000);
});
