// Applies the numbered SQL files in sql/, each once, in order, each in its own transaction.
// Migrations are frozen: they never import app code and never change once landed; a changed
// file is refused by its checksum rather than silently skipped.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import type { Db } from './open.ts';

export interface MigrationFile {
	name: string;
	checksum: string;
	text: string;
}

export const SQL_DIR = resolve(process.env.JICENG_SQL_DIR ?? 'sql');

export function readMigrationFiles(dir = SQL_DIR): MigrationFile[] {
	return readdirSync(dir)
		.filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
		.sort()
		.map((name) => {
			const text = readFileSync(join(dir, name), 'utf8');
			return { name, text, checksum: createHash('sha256').update(text).digest('hex').slice(0, 16) };
		});
}

export async function appliedMigrations(db: Db): Promise<{ name: string; checksum: string; applied_at: Date }[]> {
	// the app role may not create tables: only create the ledger when it is missing
	const {
		rows: [ledger]
	} = await sql<{ exists: boolean }>`select to_regclass('public.schema_migration') is not null as exists`.execute(db.kysely);
	if (!ledger.exists) {
		await sql`create table if not exists schema_migration (
			name text primary key, checksum text not null, applied_at timestamptz not null default now())`.execute(db.kysely);
	}
	const { rows } = await sql<{ name: string; checksum: string; applied_at: Date }>`
		select name, checksum, applied_at from schema_migration order by name`.execute(db.kysely);
	return rows;
}

/**
 * What the login that migrates lacks for the files still to apply, as the statements a superuser
 * runs once to grant it; empty when nothing is missing. A superuser lacks nothing. Checked before
 * the first file, so a server installed with a dedicated (non-superuser) owner is told what to do
 * instead of failing half-way with "permission denied to set parameter".
 */
export async function missingGrants(db: Db, pending: readonly MigrationFile[]): Promise<string[]> {
	const {
		rows: [me]
	} = await sql<{ name: string; superuser: boolean; createrole: boolean; app_role: boolean; version: number }>`
		select current_user as name, r.rolsuper as superuser, r.rolcreaterole as createrole,
		       exists (select 1 from pg_roles where rolname = 'jiceng_app') as app_role,
		       current_setting('server_version_num')::int as version
		from pg_roles r where r.rolname = current_user`.execute(db.kysely);
	if (!me || me.superuser) return [];
	const ident = `"${me.name.replace(/"/g, '""')}"`;
	const missing: string[] = [];
	if (pending.some((f) => /create extension if not exists postgis/i.test(f.text))) {
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_extension where extname = 'postgis'`.execute(db.kysely);
		// PostGIS is not a trusted extension: only a superuser creates it (in this database)
		if (!rows[0].n) missing.push('CREATE EXTENSION postgis;  -- in this database');
	}
	// creating jiceng_app, and setting its time limits in this database (sql/010), take CREATEROLE
	const rolesWork = pending.some((f) => (!me.app_role && /create role jiceng_app/i.test(f.text)) || /alter role jiceng_app/i.test(f.text));
	if (rolesWork && !me.createrole) missing.push(`ALTER ROLE ${ident} CREATEROLE;`);
	// functions that run with the whole scope carry SET jiceng.scope = '*': a placeholder setting a
	// non-superuser may attach to a function only when granted (PostgreSQL 15+)
	const params = new Set(pending.flatMap((f) => [...f.text.matchAll(/\bset\s+(jiceng\.[a-z_]+)\s*=/gi)].map((m) => m[1].toLowerCase())));
	for (const param of [...params].sort()) {
		const ok =
			me.version >= 150000 && (await sql<{ ok: boolean }>`select has_parameter_privilege(current_user, ${param}, 'SET') as ok`.execute(db.kysely)).rows[0].ok;
		if (!ok) missing.push(`GRANT SET ON PARAMETER ${param} TO ${ident};`);
	}
	return missing;
}

/** Returns the names of the files it applied; logs each one. */
export async function migrate(db: Db, log: (line: string) => void = () => {}, dir = SQL_DIR): Promise<string[]> {
	const done = new Map((await appliedMigrations(db)).map((m) => [m.name, m.checksum]));
	const pending = readMigrationFiles(dir).filter((f) => !done.has(f.name));
	if (pending.length) {
		const missing = await missingGrants(db, pending);
		if (missing.length)
			throw new Error(
				`the database login may not apply the migrations (${pending[0].name} and after): as a superuser, run once\n  ${missing.join('\n  ')}\n` +
					`then start again (see the README, "A server PostGIS instead of the embedded one")`
			);
	}
	const applied: string[] = [];
	for (const file of readMigrationFiles(dir)) {
		const previous = done.get(file.name);
		if (previous) {
			if (previous !== file.checksum) {
				throw new Error(`migration ${file.name} changed after it was applied (checksum ${previous} → ${file.checksum}); add a new file instead`);
			}
			continue;
		}
		const started = performance.now();
		await db.runScript(`${file.text}\n;insert into schema_migration (name, checksum) values ('${file.name}', '${file.checksum}');`);
		log(`migrated ${file.name} in ${Math.round(performance.now() - started)} ms`);
		applied.push(file.name);
	}
	return applied;
}
