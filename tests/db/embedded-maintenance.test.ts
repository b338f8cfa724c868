// The embedded database's autovacuum (src/lib/server/db/embedded-maintenance.ts): PGlite has no
// background workers, so without the app's pass dead rows stay and statistics keep the day of the
// seed. The pass takes the tables past autovacuum's thresholds and no others.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, type TestDb } from '../helpers/backends.ts';
import { maintainEmbedded, scheduleEmbeddedMaintenance } from '../../src/lib/server/db/embedded-maintenance.ts';

describe('embedded maintenance', () => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb('embedded');
	}, 120_000);
	afterAll(async () => {
		await db?.close();
	});

	const stats = async (table: string) => {
		await sql`select pg_stat_force_next_flush()`.execute(db.kysely);
		await sql`select 1`.execute(db.kysely);
		const { rows } = await sql<{ dead: number; changed: number; vacuumed: boolean; analysed: boolean; reltuples: number }>`
			select s.n_dead_tup::int as dead, s.n_mod_since_analyze::int as changed, s.last_vacuum is not null as vacuumed,
			       s.last_analyze is not null as analysed, c.reltuples::float8 as reltuples
			from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.schemaname = 'public' and s.relname = ${table}`.execute(db.kysely);
		return rows[0];
	};

	it('vacuums and analyses a churned table, and leaves it alone once it is clean', async () => {
		await sql`create table maintenance_probe (id int primary key, v int)`.execute(db.kysely);
		await sql`insert into maintenance_probe select g, 0 from generate_series(1, 2000) g`.execute(db.kysely);
		await maintainEmbedded(db); // the insert: analysed, so the planner knows the 2,000 rows
		expect((await stats('maintenance_probe')).reltuples).toBe(2000);
		await sql`update maintenance_probe set v = v + 1`.execute(db.kysely);
		await sql`update maintenance_probe set v = v + 1 where id <= 1000`.execute(db.kysely);
		const before = await stats('maintenance_probe');
		// nothing else has pruned them: without the pass they stay
		expect(before.dead).toBeGreaterThan(2000);

		const run = await maintainEmbedded(db);
		expect(run.vacuumed.map((v) => v.table)).toContain('maintenance_probe');
		const after = await stats('maintenance_probe');
		expect(after).toMatchObject({ dead: 0, changed: 0, vacuumed: true, analysed: true });

		// clean now: the next pass touches it no more
		const again = await maintainEmbedded(db);
		expect([...again.vacuumed, ...again.analyzed].map((v) => v.table)).not.toContain('maintenance_probe');
	});

	it('analyses a table whose rows changed past the threshold without vacuuming it', async () => {
		await sql`create table maintenance_growth (id int primary key)`.execute(db.kysely);
		await maintainEmbedded(db);
		// 60 new rows in an empty table: past 50 + 10 %, with no dead row
		await sql`insert into maintenance_growth select g from generate_series(1, 60) g`.execute(db.kysely);
		const run = await maintainEmbedded(db);
		expect(run.analyzed.map((a) => a.table)).toContain('maintenance_growth');
		expect(run.vacuumed.map((v) => v.table)).not.toContain('maintenance_growth');
		expect((await stats('maintenance_growth')).reltuples).toBe(60);
	});

	it('runs on its own while the app serves, and stops', async () => {
		await sql`update maintenance_probe set v = v + 1`.execute(db.kysely);
		const lines: string[] = [];
		const stop = scheduleEmbeddedMaintenance(db, 50, (l) => lines.push(l));
		try {
			await expect.poll(() => lines.some((l) => l.startsWith('vacuumed maintenance_probe')), { timeout: 10_000 }).toBe(true);
		} finally {
			stop();
		}
		expect((await stats('maintenance_probe')).dead).toBe(0);
	});
});
