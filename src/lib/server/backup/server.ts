// Backup and restore of a server PostGIS with PostgreSQL's own tools: pg_dump's custom format
// (-Fc) and pg_restore. The dump runs in a snapshot exported from our own repeatable-read
// transaction, in which every table is also checksummed: the manifest describes exactly the
// dump's rows, while the app keeps writing.
// What pg_dump leaves out, because it belongs to the cluster rather than the database, the
// manifest records and the restore brings back: the roles the grants and policies name
// (jiceng_app, sql/006 — created NOLOGIN when missing) and their per-database settings
// (statement_timeout, sql/010). Extensions (postgis, pgrouting) are in the dump; the target
// server must have them installed, which the restore checks first.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { openDb } from '../db/open.ts';
import { verifyAuditChain } from '../auth/audit.ts';
import { compareFingerprints, fingerprint, userTables } from './fingerprint.ts';
import { BackupError, MANIFEST_FORMAT, writeManifest, type Manifest } from './manifest.ts';

type Log = (line: string) => void;

export interface RestoreResult {
	tables: number;
	rows: number;
	auditRows: number;
	movedAside?: string;
}

/** pg_dump / pg_restore: $PG_BIN, else the newest Debian PostgreSQL client, else the PATH. */
export function pgTool(name: 'pg_dump' | 'pg_restore'): string {
	if (process.env.PG_BIN) return join(process.env.PG_BIN, name);
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
	return name;
}

/** The connection string without its password (which goes by PGPASSWORD, not the process list). */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
	const u = new URL(url);
	const password = decodeURIComponent(u.password);
	u.password = '';
	return { dbname: u.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/** Runs a PostgreSQL tool; its --verbose lines become progress; fails with its last error lines. */
function run(tool: string, args: string[], env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(tool, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
		const tail: string[] = [];
		let buffer = '';
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			buffer += chunk;
			const lines = buffer.split('\n');
			buffer = lines.pop() ?? '';
			for (const line of lines) {
				if (/error|fatal|warning/i.test(line)) tail.push(line);
				if (tail.length > 12) tail.shift();
				progress(line);
			}
		});
		child.on('error', (e) => reject(new BackupError(`cannot run ${tool}: ${e.message} (install the PostgreSQL client, or set PG_BIN)`)));
		child.on('close', (code) => {
			if (buffer) tail.push(buffer);
			if (code === 0) resolve();
			else reject(new BackupError(`${basename(tool)} failed (exit ${code}):\n  ${tail.join('\n  ') || '(no message)'}`));
		});
	});
}

// pg_dump: dumping contents of table "public.household"  /  pg_restore: processing data for table "public.household"
function tableProgress(log: Log): (line: string) => void {
	return (line) => {
		const m = /(?:dumping contents of|processing data for|creating) (table|INDEX|CONSTRAINT|FK CONSTRAINT|POLICY|TRIGGER) "?(?:public\.)?([^"]+)"?/.exec(line);
		if (m && (m[1] === 'table' || m[1] === 'INDEX')) log(`${m[1] === 'table' ? 'table' : 'index'} ${m[2]}`);
	};
}

async function serverFacts(db: Kysely<Database>): Promise<NonNullable<Manifest['server']>> {
	const version = (await sql<{ v: string }>`show server_version`.execute(db)).rows[0].v;
	const extensions = (
		await sql<{ name: string; version: string }>`
		select extname as name, extversion as version from pg_extension where extname <> 'plpgsql' order by 1`.execute(db)
	).rows;
	const roles = (
		await sql<{ name: string }>`
		select r.rolname as name from pg_roles r
		where r.rolname !~ '^pg_' and r.oid <> (select datdba from pg_database where datname = current_database()) and (
		  exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
		          where n.nspname = 'public' and (c.relowner = r.oid or exists (select 1 from aclexplode(c.relacl) a where a.grantee = r.oid)))
		  or exists (select 1 from pg_policy p where r.oid = any (p.polroles))
		  or exists (select 1 from pg_default_acl d where d.defaclrole = r.oid or exists (select 1 from aclexplode(d.defaclacl) a where a.grantee = r.oid))
		  or exists (select 1 from pg_namespace n where n.nspname = 'public' and exists (select 1 from aclexplode(n.nspacl) a where a.grantee = r.oid))
		  or exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
		             where n.nspname = 'public' and exists (select 1 from aclexplode(p.proacl) a where a.grantee = r.oid)))
		order by 1`.execute(db)
	).rows.map((r) => r.name);
	const roleSettings = (
		await sql<{ role: string; setting: string }>`
		select r.rolname as role, c as setting from pg_db_role_setting s join pg_roles r on r.oid = s.setrole cross join unnest(s.setconfig) c
		where s.setdatabase = (select oid from pg_database where datname = current_database()) order by 1, 2`.execute(db)
	).rows;
	return { version, extensions, roles, roleSettings };
}

export async function dumpServer(url: string, out: string, log: Log): Promise<Manifest> {
	const started = performance.now();
	const db = await openDb({ backend: 'server', url, poolSize: 2 });
	try {
		const { bypass } = (await sql<{ bypass: boolean }>`select rolsuper or rolbypassrls as bypass from pg_roles where rolname = current_user`.execute(db.kysely))
			.rows[0];
		const conn = connection(url);
		return await db.kysely
			.transaction()
			.setIsolationLevel('repeatable read')
			.setAccessMode('read only')
			.execute(async (trx) => {
				// the owner does not bypass forced row-level security (sql/009): '*' is every row
				await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
				const snapshot = (await sql<{ s: string }>`select pg_export_snapshot() as s`.execute(trx)).rows[0].s;
				const args = ['--format=custom', '--verbose', `--snapshot=${snapshot}`, `--file=${out}.part`, `--dbname=${conn.dbname}`];
				const env: NodeJS.ProcessEnv = { ...conn.env };
				if (!bypass) {
					// not a superuser: dump with the policies on, seeing everything through jiceng.scope
					args.push('--enable-row-security');
					env.PGOPTIONS = `${process.env.PGOPTIONS ?? ''} -c jiceng.scope=*`.trim();
					log('the login is neither superuser nor BYPASSRLS: dumping with row-level security on and scope *');
				}
				log(`pg_dump (${pgTool('pg_dump')}) in snapshot ${snapshot}`);
				const dumped = run(
					pgTool('pg_dump'),
					args,
					env,
					tableProgress((l) => log(`dumping ${l}`))
				);
				// checksums in the same snapshot, while pg_dump reads
				const [fp, facts, migrations] = await Promise.all([
					fingerprint(trx, (l) => log(l)),
					serverFacts(trx),
					sql<{ name: string }>`select name from schema_migration order by name`.execute(trx).then((r) => r.rows.map((x) => x.name))
				]).catch(async (e) => {
					await dumped.catch(() => {});
					throw e;
				});
				try {
					await dumped;
					renameSync(`${out}.part`, out);
				} catch (e) {
					rmSync(`${out}.part`, { force: true });
					throw e;
				}
				const manifest: Manifest = {
					format: MANIFEST_FORMAT,
					backend: 'server',
					createdAt: new Date().toISOString(),
					file: basename(out),
					bytes: statSync(out).size,
					seconds: Math.round((performance.now() - started) / 100) / 10,
					migrations,
					fingerprint: fp,
					server: facts
				};
				writeManifest(out, manifest);
				return manifest;
			});
	} finally {
		await db.close();
	}
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function restoreServer(url: string, file: string, manifest: Manifest, opts: { force: boolean }, log: Log): Promise<RestoreResult> {
	const conn = connection(url);
	// is it an archive at all? (pg_restore --list reads only its table of contents)
	await run(pgTool('pg_restore'), ['--list', file], conn.env, () => {}).catch((e: Error) => {
		throw new BackupError(`${file} is not a pg_dump archive pg_restore can read: ${e.message.split('\n').slice(1).join(' ').trim()}`);
	});
	const db = await openDb({ backend: 'server', url, poolSize: 2 });
	try {
		const name = (await sql<{ d: string }>`select current_database() as d`.execute(db.kysely)).rows[0].d;
		const existing = await userTables(db.kysely);
		if (existing.length && !opts.force) {
			throw new BackupError(
				`database ${name} already holds ${existing.length} tables (${existing.slice(0, 4).join(', ')}${existing.length > 4 ? ', …' : ''}): not restoring over it. ` +
					`Restore into an empty database (createdb), or pass --force to replace these tables with the backup's`
			);
		}
		const facts = manifest.server;
		if (facts) {
			const available = new Set((await sql<{ name: string }>`select name from pg_available_extensions`.execute(db.kysely)).rows.map((r) => r.name));
			const missing = facts.extensions.filter((e) => !available.has(e.name));
			if (missing.length) {
				throw new BackupError(
					`the server lacks extensions the backup needs: ${missing.map((e) => `${e.name} ${e.version}`).join(', ')} (e.g. apt-get install postgresql-15-postgis-3)`
				);
			}
			const have = new Set((await sql<{ name: string }>`select rolname as name from pg_roles`.execute(db.kysely)).rows.map((r) => r.name));
			for (const role of facts.roles.filter((r) => !have.has(r))) {
				log(`creating the missing role ${role} (NOLOGIN; give it a login or members as your deployment does)`);
				await sql.raw(`create role ${quoteIdent(role)} nologin`).execute(db.kysely);
			}
		}
		const args = ['--no-owner', '--exit-on-error', '--single-transaction', '--verbose', `--dbname=${conn.dbname}`];
		if (opts.force && existing.length) {
			args.push('--clean', '--if-exists');
			log(`--force: replacing the ${existing.length} tables of ${name} (in one transaction: all or nothing)`);
		}
		log(`pg_restore (${pgTool('pg_restore')}) of ${file} into ${name}, in one transaction`);
		await run(
			pgTool('pg_restore'),
			[...args, file],
			conn.env,
			tableProgress((l) => log(`restoring ${l}`))
		).catch((e: Error) => {
			throw new BackupError(`restoring ${file} failed, nothing was changed in ${name}: ${e.message}`);
		});
		for (const { role, setting } of facts?.roleSettings ?? []) {
			const eq = setting.indexOf('=');
			const key = setting.slice(0, eq);
			if (!/^[a-z_][a-z0-9_.]*$/i.test(key)) continue;
			await sql.raw(`alter role ${quoteIdent(role)} in database ${quoteIdent(name)} set ${key} = ${quoteLiteral(setting.slice(eq + 1))}`).execute(db.kysely);
		}
		log('analyze (planner statistics are not in a dump)');
		await sql`analyze`.execute(db.kysely);
		log('checking every table against the manifest');
		const { problems, brokenAt } = await db.kysely.transaction().execute(async (trx) => {
			await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
			const fp = await fingerprint(trx, log);
			return { problems: compareFingerprints(manifest.fingerprint, fp), brokenAt: fp.tables.audit_log ? await verifyAuditChain(trx) : null };
		});
		if (brokenAt !== null) problems.push(`the audit log's hash chain breaks at seq ${brokenAt}`);
		if (problems.length) throw new BackupError(`database ${name} restored from ${file} does not match the manifest:\n  ${problems.join('\n  ')}`);
		const rows = Object.values(manifest.fingerprint.tables).reduce((n, t) => n + t.rows, 0);
		return { tables: Object.keys(manifest.fingerprint.tables).length, rows, auditRows: manifest.fingerprint.audit.rows };
	} finally {
		await db.close();
	}
}
