// COPY … FROM STDIN on the server (an import's staging): every text survives its escaping, a COPY
// that fails or is abandoned leaves the transaction to roll back and the pool whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/lib/server/db/schema.ts';
import { copyText } from '../../src/lib/server/db/copy-rows.ts';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';

describe('copyText', () => {
	it('writes null, numbers, booleans and escapes the four characters COPY reads specially', () => {
		expect([null, 1.5, -2, true, false].map(copyText)).toEqual(['\\N', '1.5', '-2', 't', 'f']);
		expect(copyText('a\tb\nc\rd\\e \\N')).toBe('a\\tb\\nc\\rd\\\\e \\\\N');
		expect(() => copyText('a\0b')).toThrow(/NUL/);
		expect(() => copyText(Number.NaN)).toThrow(/NaN/);
	});
});

describe.runIf(serverUrl)('COPY on the server', () => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb('server');
	}, 60_000);
	afterAll(async () => {
		await db?.drop();
	});
	const texts = ['plain', 'tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', '朝阳区"八里"{[,]}', '', ' lead and trail ', '\\.'];

	it('brings every text back as it was written, with nulls and numbers', async () => {
		const got = await db.withCopy!(async (kysely, openCopy) =>
			kysely.transaction().execute(async (trx) => {
				await sql`create temp table c (i int, t text, j jsonb) on commit drop`.execute(trx);
				const sink = openCopy('copy c (i, t, j) from stdin');
				for (const [i, t] of texts.entries()) await sink.write([i, t, JSON.stringify({ t })]);
				await sink.write([null, null, null]);
				expect(await sink.end()).toBe(texts.length + 1);
				return (await sql<{ i: number | null; t: string | null; j: { t: string } | null }>`select i, t, j from c order by i nulls last`.execute(trx)).rows;
			})
		);
		expect(got).toEqual([...texts.map((t, i) => ({ i, t, j: { t } })), { i: null, t: null, j: null }]);
	});

	it('streams more than the socket holds at once', async () => {
		const n = await db.withCopy!(async (kysely, openCopy) =>
			kysely.transaction().execute(async (trx) => {
				await sql`create temp table c (i int, t text) on commit drop`.execute(trx);
				const sink = openCopy('copy c (i, t) from stdin');
				for (let i = 0; i < 50_000; i++) await sink.write([i, 'x'.repeat(100)]);
				await sink.end();
				return Number((await sql<{ n: number }>`select count(*)::int as n from c`.execute(trx)).rows[0].n);
			})
		);
		expect(n).toBe(50_000);
	});

	it('fails on a bad row with the server’s reason, and rolls back', async () => {
		await sql`create table if not exists copied (i int)`.execute(db.kysely);
		const err = await db.withCopy!(async (kysely, openCopy) =>
			kysely.transaction().execute(async (trx) => {
				await sql`insert into copied values (1)`.execute(trx);
				const sink = openCopy('copy copied (i) from stdin');
				await sink.write([2]);
				await sink.write(['not a number']);
				await sink.end();
			})
		).catch((e: unknown) => e);
		expect((err as Error).message).toMatch(/invalid input syntax for type integer/);
		expect((await sql<{ n: number }>`select count(*)::int as n from copied`.execute(db.kysely)).rows[0].n).toBe(0);
	});

	it('gives back the connection of a transaction that rolled back with its COPY ended (a dry run), and closes one left mid-COPY', async () => {
		const pidOf = (kysely: Kysely<Database>) => sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(kysely).then((r) => Number(r.rows[0].pid));
		const alive = async (pid: number) =>
			Number((await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${pid}`.execute(db.kysely)).rows[0].n);
		await sql`create table if not exists copied (i int)`.execute(db.kysely);
		const dryRun = new Error('a dry run rolls back');
		let kept = 0;
		const err = await db.withCopy!(async (kysely, openCopy) =>
			kysely.transaction().execute(async (trx) => {
				kept = await pidOf(trx);
				const sink = openCopy('copy copied (i) from stdin');
				await sink.write([1]);
				await sink.end();
				throw dryRun;
			})
		).catch((e: unknown) => e);
		expect(err).toBe(dryRun);
		await new Promise((ok) => setTimeout(ok, 300));
		expect(await alive(kept)).toBe(1);
		let left = 0;
		await db.withCopy!(async (kysely, openCopy) => {
			left = await pidOf(kysely);
			openCopy('copy copied (i) from stdin');
			throw new Error('gone before the COPY ended');
		}).catch(() => undefined);
		await expect.poll(() => alive(left), { timeout: 5000 }).toBe(0);
	});

	it('abandons a COPY when the reading fails: the transaction rolls back and every connection serves again', async () => {
		const reason = new Error('the file broke');
		const err = await db.withCopy!(async (kysely, openCopy) =>
			kysely.transaction().execute(async (trx) => {
				await sql`insert into copied values (1)`.execute(trx);
				const sink = openCopy('copy copied (i) from stdin');
				await sink.write([2]);
				await sink.abort(reason);
				throw reason;
			})
		).catch((e: unknown) => e);
		expect(err).toBe(reason);
		expect((await sql<{ n: number }>`select count(*)::int as n from copied`.execute(db.kysely)).rows[0].n).toBe(0);
		// the pool lends all its connections at once again (none left held or mid-COPY)
		const ns = await Promise.all(
			Array.from({ length: 8 }, () =>
				db.kysely.transaction().execute(async (trx) => (await sql<{ n: number }>`select 1 as n, pg_sleep(0.05)`.execute(trx)).rows[0].n)
			)
		);
		expect(ns).toEqual(Array(8).fill(1));
	});
});
