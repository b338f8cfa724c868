// The server pool's queue (db/deadline-pool.ts) on server PostGIS: when every connection is lent,
// the next one given back goes to the earliest deadline (arrival + the urgency's budget), not to
// the first in line — a read before a write queued just before it, a write that has waited its
// budget before a read queued now — and a waiter not served in time fails with pg's own message
// (a 503, db/unavailable.ts). Through the app's own handle (openDb), as the web server uses it.
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { DeadlinePool } from '../../src/lib/server/db/deadline-pool.ts';
import { URGENCY_BUDGET_MS, withUrgency, type Urgency } from '../../src/lib/server/db/urgency.ts';
import { isDbUnavailable } from '../../src/lib/server/db/unavailable.ts';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe.skipIf(!serverUrl)('the server pool lends earliest deadline first', () => {
	let db: TestDb;
	let app: Db;

	beforeAll(async () => {
		db = await freshDb('server', { migrated: false });
		// one connection: every query after the first waits in the queue
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 1, acquireTimeoutMs: 3000 });
	}, 60_000);
	afterAll(async () => {
		await app?.close();
		await db?.drop();
	});

	/** the single connection held until `release` resolves */
	function hold(release: Promise<void>): Promise<unknown> {
		return app.kysely.connection().execute(async (conn) => {
			await sql`select 1`.execute(conn);
			await release;
		});
	}
	/** a query at `urgency` that records when it got its connection */
	function query(urgency: Urgency, order: string[], name: string): Promise<unknown> {
		return withUrgency(urgency, () =>
			app.kysely.connection().execute(async (conn) => {
				order.push(name);
				await sql`select 1`.execute(conn);
			})
		);
	}

	it('gives a connection back to a prompt read first, then to a tile and a read in the order they came, a write queued earlier last', async () => {
		let release!: () => void;
		const held = hold(new Promise<void>((ok) => (release = ok)));
		await sleep(50);
		const order: string[] = [];
		const queued = [query('write', order, 'write'), query('tile', order, 'tile'), query('read', order, 'read'), query('prompt', order, 'prompt')];
		await sleep(20);
		release();
		await Promise.all([held, ...queued]);
		expect(order).toEqual(['prompt', 'tile', 'read', 'write']);
	});

	it('serves a write that has waited past its budget before a read that came after it', async () => {
		let release!: () => void;
		const held = hold(new Promise<void>((ok) => (release = ok)));
		await sleep(50);
		const order: string[] = [];
		const write = query('write', order, 'write');
		// the write's deadline passes while it waits; a read queued now has a later one
		await sleep(URGENCY_BUDGET_MS.write - URGENCY_BUDGET_MS.read + 100);
		const read = query('read', order, 'read');
		await sleep(20);
		release();
		await Promise.all([held, write, read]);
		expect(order).toEqual(['write', 'read']);
	}, 10_000);

	it('fails a waiter not served within the acquire timeout, as unavailable, and keeps lending after', async () => {
		let release!: () => void;
		const held = hold(new Promise<void>((ok) => (release = ok)));
		await sleep(50);
		const started = performance.now();
		const error = await withUrgency('read', () => sql`select 1`.execute(app.kysely)).then(
			() => null,
			(e: unknown) => e
		);
		expect(performance.now() - started).toBeGreaterThan(2500);
		expect(performance.now() - started).toBeLessThan(6000);
		expect(isDbUnavailable(error)).toBe(true);
		release();
		await held;
		expect((await sql<{ one: number }>`select 1 as one`.execute(app.kysely)).rows).toEqual([{ one: 1 }]);
	}, 15_000);

	it('never lends more connections than it has, and gives every one back', async () => {
		const inner = new pg.Pool({ connectionString: db.url!, max: 3 });
		const pool = new DeadlinePool(inner, 3, 5000);
		try {
			let busy = 0;
			let most = 0;
			await Promise.all(
				Array.from({ length: 30 }, async (_, i) => {
					const client = await withUrgency((['read', 'tile', 'write'] as const)[i % 3], () => pool.connect());
					busy++;
					most = Math.max(most, busy);
					await client.query('select pg_sleep(0.01)', []);
					busy--;
					client.release();
				})
			);
			expect(most).toBe(3);
			expect(pool.waiting).toBe(0);
			expect(inner.totalCount).toBeLessThanOrEqual(3);
			expect(inner.idleCount).toBe(inner.totalCount);
		} finally {
			await pool.end();
		}
	});
});
