// A transaction's BEGIN travels with its first statement (db/fused-begin.ts), on server PostGIS
// through the app's own handle: what reaches the wire is counted at pg's Client, and the
// transactions still behave as transactions — scoped, rolled back whole, read only when asked.
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { captureWire, type Wire } from '../helpers/wire.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';

describe.skipIf(!serverUrl)('BEGIN goes with the first statement', () => {
	let db: TestDb;
	let app: Db;
	const wire: string[] = [];
	let net: Wire | undefined;

	beforeAll(async () => {
		db = await freshDb('server');
		// every message the app's clients send, by its text (patched before any client is made)
		net = captureWire(wire);
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 1 });
		await sql`create table fused_probe (n int)`.execute(app.kysely);
		wire.length = 0;
	}, 60_000);
	afterEach(() => {
		wire.length = 0;
	});
	afterAll(async () => {
		net?.stop();
		await app?.close();
		await db?.drop();
	});

	it('sends a scoped transaction in three messages, BEGIN with the scope', async () => {
		const seen = await withScope(app, '110105', async (trx) => {
			const { rows } = await sql<{ scope: string }>`select current_setting('jiceng.scope') as scope`.execute(trx);
			return rows[0].scope;
		});
		expect(seen).toBe('110105');
		expect(wire).toHaveLength(3);
		expect(wire[0]).toMatch(/^begin;\s*select set_config\('jiceng\.scope', '110105', true\)$/);
		expect(wire[2]).toBe('commit');
		// the scope was the transaction's own: gone after it
		const { rows } = await sql<{ scope: string | null }>`select current_setting('jiceng.scope', true) as scope`.execute(app.kysely);
		expect(rows[0].scope ?? '').toBe('');
	});

	it('still rolls a failed transaction back whole', async () => {
		await expect(
			withScope(app, SYSTEM, async (trx) => {
				await sql`insert into fused_probe values (1)`.execute(trx);
				await sql`select 1 / 0`.execute(trx);
			})
		).rejects.toThrow(/division by zero/);
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from fused_probe`.execute(app.kysely);
		expect(rows[0].n).toBe(0);
	});

	it('opens the transaction before a first statement with parameters', async () => {
		await app.kysely.transaction().execute(async (trx) => {
			await sql`select set_config('jiceng.probe', ${'yes'}, true)`.execute(trx);
			const { rows } = await sql<{ v: string }>`select current_setting('jiceng.probe') as v`.execute(trx);
			expect(rows[0].v).toBe('yes');
		});
		expect(wire[0]).toBe('begin');
		const { rows } = await sql<{ v: string | null }>`select current_setting('jiceng.probe', true) as v`.execute(app.kysely);
		expect(rows[0].v ?? '').toBe('');
	});

	it('keeps a read-only snapshot read only', async () => {
		await expect(withScope(app, SYSTEM, (trx) => sql`insert into fused_probe values (2)`.execute(trx), { snapshot: true })).rejects.toThrow(
			/read-only transaction/
		);
		expect(wire[0]).toMatch(/^start transaction isolation level repeatable read read only;/);
	});

	it('sends nothing for a transaction with no statement', async () => {
		await app.kysely.transaction().execute(async () => {});
		expect(wire).toEqual([]);
	});
});
