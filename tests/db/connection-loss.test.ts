// A server PostGIS that ends the app's idle connections (a restart, a failover, an administrator's
// pg_terminate_backend) must cost the next query at most a reconnect, never the process: pg's
// pool emits 'error' for an idle client the server ended, and an unheard 'error' event throws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';

describe.runIf(serverUrl)('server connections ended under the pool', () => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb('server', { migrated: false });
	});
	afterAll(async () => {
		await db?.drop();
	});

	it('goes on after the server ends every idle connection', async () => {
		// a few idle connections in the pool
		await Promise.all(Array.from({ length: 3 }, () => sql`select pg_sleep(0.05)`.execute(db.kysely)));
		const {
			rows: [me]
		} = await sql<{ db: string }>`select current_database() as db`.execute(db.kysely);
		const admin = new pg.Client({ connectionString: serverUrl });
		await admin.connect();
		try {
			const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [me.db]);
			expect(rowCount).toBeGreaterThan(0);
		} finally {
			await admin.end();
		}
		// the pool hears the ends ('error' on idle clients) without throwing
		await new Promise((ok) => setTimeout(ok, 300));
		const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
		expect(rows[0].one).toBe(1);
	});
});
