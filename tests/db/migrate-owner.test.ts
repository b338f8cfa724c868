// Installing on a server with a dedicated owner login (not a superuser), as a DBA would: the
// migrations need PostGIS created by a superuser and the right to attach SET jiceng.scope to the
// functions that run with the whole scope (PostgreSQL 15+ refuses that to a non-superuser unless
// granted), and CREATEROLE for the app role's settings in this database. Before anything is applied the migration says exactly what to grant — nothing is half
// applied — and with those grants the owner migrates the whole schema.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { serverUrl, withDatabase } from '../helpers/backends.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';

async function asSuperuser(url: string, ...statements: string[]): Promise<void> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		for (const s of statements) await c.query(s);
	} finally {
		await c.end();
	}
}

describe.runIf(serverUrl)('migrating as a dedicated owner that is not a superuser', () => {
	const suffix = randomBytes(4).toString('hex');
	const role = `atlas_owner_${suffix}`;
	const database = `atlas_${suffix}`;
	const password = `pw-${suffix}`;
	const ownerUrl = () => {
		const u = new URL(withDatabase(serverUrl!, database));
		u.username = role;
		u.password = password;
		return u.toString();
	};
	afterAll(async () => {
		await asSuperuser(serverUrl!, `drop database if exists ${database} with (force)`);
		await asSuperuser(serverUrl!, `revoke set on parameter jiceng.scope from ${role}`).catch(() => undefined);
		await asSuperuser(serverUrl!, `drop role if exists ${role}`);
	});

	it('names the grants it lacks before applying anything, and migrates once they are given', async () => {
		await asSuperuser(serverUrl!, `create role ${role} login password '${password}'`, `create database ${database} owner ${role}`);
		const db = await openDb({ backend: 'server', url: ownerUrl(), poolSize: 2 });
		try {
			const refused = await migrate(db).then(
				() => null,
				(e: unknown) => (e instanceof Error ? e.message : String(e))
			);
			expect(refused).toContain('CREATE EXTENSION postgis;');
			expect(refused).toContain(`GRANT SET ON PARAMETER jiceng.scope TO "${role}";`);
			expect(refused).toContain(`ALTER ROLE "${role}" CREATEROLE;`);
			const { rows } = await sql<{ n: number }>`select count(*)::int as n from schema_migration`.execute(db.kysely);
			expect(rows[0].n).toBe(0);

			await asSuperuser(
				withDatabase(serverUrl!, database),
				'create extension postgis',
				`grant set on parameter jiceng.scope to ${role}`,
				`alter role ${role} createrole`
			);
			const applied = await migrate(db);
			expect(applied.length).toBeGreaterThan(10);
			const { rows: fn } = await sql<{ config: string[] }>`
				select proconfig as config from pg_proc where proname = 'party_org_scope_moved'`.execute(db.kysely);
			expect(fn[0].config).toContain('jiceng.scope=*');
			// and nothing is left to ask for
			expect(await migrate(db)).toEqual([]);
		} finally {
			await db.close();
		}
	}, 120_000);
});
