// Which errors mean "the database is away or has no connection free" (db/unavailable.ts): real
// errors from node-postgres and the throwaway server, not made-up ones — a refused connection, a
// session ended by the server, the pool's acquire timeout, a statement cut by statement_timeout —
// and the ones that do not (a syntax error, a constraint), which stay what they are.
import { describe, expect, it } from 'vitest';
import { isHttpError } from '@sveltejs/kit';
import pg from 'pg';
import { isDbUnavailable, rethrowUnavailable } from '../../src/lib/server/db/unavailable.ts';
import { freePort } from '../faults/harness.ts';
import { serverUrl } from '../helpers/backends.ts';

const caught = async (p: Promise<unknown>): Promise<unknown> => {
	try {
		await p;
	} catch (e) {
		return e;
	}
	throw new Error('expected a rejection');
};

describe('the database away or busy, told from the error', () => {
	it('a refused connection', async () => {
		const port = await freePort();
		const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
		const e = await caught(client.connect());
		expect(isDbUnavailable(e)).toBe(true);
		// and the 503 it becomes
		let thrown: unknown;
		try {
			rethrowUnavailable(e);
		} catch (x) {
			thrown = x;
		}
		expect(isHttpError(thrown, 503)).toBe(true);
	});

	it.skipIf(!serverUrl)('a session the server ends, the pool out of connections, a statement over its time; not a syntax error or a constraint', async () => {
		const victim = new pg.Client({ connectionString: serverUrl });
		await victim.connect();
		victim.on('error', () => {});
		const killer = new pg.Client({ connectionString: serverUrl });
		await killer.connect();
		try {
			const {
				rows: [{ pid }]
			} = await victim.query('select pg_backend_pid() as pid');
			const ended = caught(victim.query('select pg_sleep(5)'));
			await new Promise((r) => setTimeout(r, 200));
			await killer.query('select pg_terminate_backend($1)', [pid]);
			expect(isDbUnavailable(await ended)).toBe(true);
			// the next query on the ended connection
			expect(isDbUnavailable(await caught(victim.query('select 1')))).toBe(true);

			const slow = caught(killer.query("set statement_timeout = '100ms'; select pg_sleep(2)"));
			expect(isDbUnavailable(await slow)).toBe(true);
			await killer.query('reset statement_timeout');

			expect(isDbUnavailable(await caught(killer.query('selec 1')))).toBe(false);
			await killer.query('create temporary table u (x int primary key); insert into u values (1)');
			expect(isDbUnavailable(await caught(killer.query('insert into u values (1)')))).toBe(false);
			expect(isDbUnavailable(new Error('ENOENT: no such file'))).toBe(false);
		} finally {
			await victim.end().catch(() => {});
			await killer.end();
		}

		const pool = new pg.Pool({ connectionString: serverUrl, max: 1, connectionTimeoutMillis: 200 });
		const held = await pool.connect();
		try {
			const t0 = performance.now();
			const e = await caught(pool.query('select 1'));
			expect(performance.now() - t0).toBeLessThan(1500);
			expect(isDbUnavailable(e)).toBe(true);
		} finally {
			held.release();
			await pool.end();
		}
	});
});
