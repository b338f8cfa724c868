// Statements with parameters go to server PostGIS as named prepared statements, planned once per
// connection and scope level (db/named-statements.ts): what the server holds is read from
// pg_prepared_statements on the app's one connection.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { MAX_NAMED, scopeLevel, statementName } from '../../src/lib/server/db/named-statements.ts';

describe.skipIf(!serverUrl)('prepared statements on server PostGIS', () => {
	let db: TestDb;
	let app: Db;
	const held = async () =>
		(
			await sql<{ name: string; statement: string; generic_plans: number; custom_plans: number }>`
				select name, statement, generic_plans::int, custom_plans::int from pg_prepared_statements order by name`.execute(app.kysely)
		).rows;

	beforeAll(async () => {
		db = await freshDb('server');
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 1 });
		await sql`create table named_probe (a int primary key)`.execute(app.kysely);
		await sql`insert into named_probe select generate_series(1, 100)`.execute(app.kysely);
	}, 60_000);
	afterAll(async () => {
		await app?.close();
		await db?.drop();
	});

	it('prepares a statement with parameters once and then runs it without planning it again', async () => {
		for (let i = 1; i <= 8; i++) {
			const { rows } = await sql<{ a: number }>`select a from named_probe where a = ${i}`.execute(app.kysely);
			expect(rows).toEqual([{ a: i }]);
		}
		const mine = (await held()).filter((s) => s.statement.includes('from named_probe where a = $1'));
		expect(mine).toHaveLength(1);
		// five custom plans, then the generic one kept (plan_cache_mode auto: its cost is no higher)
		expect(mine[0].custom_plans + mine[0].generic_plans).toBe(8);
		expect(mine[0].generic_plans).toBeGreaterThan(0);
	});

	it('keeps a plan per scope level: a grid leader’s plan is not the district’s', async () => {
		const probe = (scope: string) =>
			withScope(app, scope, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from named_probe where a > ${0}`.execute(trx)).rows[0].n);
		expect(await probe('110105032003004')).toBe(100);
		expect(await probe(SYSTEM)).toBe(100);
		expect(await probe('110105032003005')).toBe(100);
		const mine = (await held()).filter((s) => s.statement.includes('from named_probe where a > $1'));
		expect(mine).toHaveLength(2);
		expect(mine.reduce((t, s) => t + s.custom_plans + s.generic_plans, 0)).toBe(3);
	});

	it('keeps the scope level after a rollback to a savepoint, which does not end the transaction', async () => {
		const count = (trx: Db['kysely']) => sql<{ n: number }>`select count(*)::int as n from named_probe where a < ${1000}`.execute(trx);
		await withScope(app, '110105032003004', async (trx) => {
			await count(trx);
		});
		await withScope(app, '110105032003005', async (trx) => {
			await sql`savepoint probe`.execute(trx);
			await sql`rollback to savepoint probe`.execute(trx);
			await count(trx);
		});
		const mine = (await held()).filter((s) => s.statement.includes('from named_probe where a < $1'));
		expect(mine).toHaveLength(1);
		expect(mine[0].custom_plans + mine[0].generic_plans).toBe(2);
	});

	it('runs a statement whose kept plan a schema change outdated', async () => {
		const read = () => sql<Record<string, number | null>>`select * from named_probe where a = ${7}`.execute(app.kysely);
		for (let i = 0; i < 6; i++) expect((await read()).rows).toEqual([{ a: 7 }]);
		await sql`alter table named_probe add column b int`.execute(app.kysely);
		expect((await read()).rows).toEqual([{ a: 7, b: null }]);
		expect((await read()).rows).toEqual([{ a: 7, b: null }]);
		// and inside a transaction, where the first try's error aborts it: the caller hears it, and
		// the statement runs again once the transaction has ended
		const other = (k: Db['kysely']) => sql<Record<string, number | null>>`select * from named_probe where a = ${7} and a > 0`.execute(k);
		for (let i = 0; i < 6; i++) await other(app.kysely);
		await sql`alter table named_probe add column c int`.execute(app.kysely);
		await expect(app.kysely.transaction().execute(async (trx) => other(trx))).rejects.toThrow(/cached plan must not change result type/);
		expect((await other(app.kysely)).rows).toEqual([{ a: 7, b: null, c: null }]);
		expect((await read()).rows).toEqual([{ a: 7, b: null, c: null }]);
	});

	it('still fails a statement that fails, and runs it when it no longer does', async () => {
		const divide = (d: number) => sql<{ q: number }>`select 10 / ${d}::int as q`.execute(app.kysely);
		await expect(divide(0)).rejects.toThrow(/division by zero/);
		expect((await divide(5)).rows).toEqual([{ q: 2 }]);
		await expect(app.kysely.transaction().execute(async (trx) => sql`select 10 / ${0}::int`.execute(trx))).rejects.toThrow(/division by zero/);
		expect((await divide(2)).rows).toEqual([{ q: 5 }]);
	});
});

// last: it fills the process's names up to MAX_NAMED, after which statements go unnamed
describe('statement names', () => {
	it('name a text once per scope level, and stop at MAX_NAMED texts', () => {
		const text = `select $1::int as n -- ${crypto.randomUUID()}`;
		expect(statementName(text, '15')).toBe(statementName(text, '15'));
		expect(statementName(text, '15')).not.toBe(statementName(text, 'all'));
		expect(statementName(text, '15')).toMatch(/^j_[0-9a-f]{24}$/);
		const names = Array.from({ length: MAX_NAMED + 10 }, (_, i) => statementName(`select $1::int + ${i} -- ${crypto.randomUUID()}`));
		expect(names.filter((n) => n === null).length).toBeGreaterThanOrEqual(10);
	});

	it('tell scope levels apart by how much of the hierarchy they hold', () => {
		expect(scopeLevel(null)).toBe('none');
		expect(scopeLevel('*')).toBe('all');
		expect(scopeLevel('110105032')).toBe('9');
		expect(scopeLevel('110105032003004')).toBe('15');
	});
});
