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

/** Returns the names of the files it applied; logs each one. */
export async function migrate(db: Db, log: (line: string) => void = () => {}, dir = SQL_DIR): Promise<string[]> {
	const done = new Map((await appliedMigrations(db)).map((m) => [m.name, m.checksum]));
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
