// Warming the server pool's connections (tiles/warm-connections.ts): each connection of the pool,
// a different one each, builds a tile of every layer, and stays open for the next request.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { warmConnections } from '../../src/lib/server/tiles/warm-connections.ts';
import { LAYER_NAMES } from '../../src/lib/server/tiles/sources.ts';
import { freshFixtureDb } from './fixture.ts';

describe.skipIf(!serverUrl)('warming the connections of the server pool', () => {
	let db: TestDb;
	let app: Db;
	const POOL = 3;

	beforeAll(async () => {
		db = await freshFixtureDb('server');
		app = await openDb({ backend: 'server', url: db.url!, poolSize: POOL }, { appRole: true });
	}, 120_000);
	afterAll(async () => {
		await app?.close();
		await db?.drop();
	});

	/** what each backend of the app's database last ran, the owner's own aside */
	const lastQueries = async () =>
		(
			await sql<{ query: string }>`
				select query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`.execute(db.kysely)
		).rows.map((r) => r.query);

	it('builds a tile of every layer on each connection of the pool, as the app role', async () => {
		const warm = await warmConnections(app, POOL);
		expect(warm.layers).toBe(POOL * LAYER_NAMES.length);
		// the last layer's tile is what each of the pool's connections ran last: every one was warmed
		const last = LAYER_NAMES.at(-1)!;
		// (its SQL, or at z14 its prepared statement executed with the layer's name: prepared-tile.ts)
		const warmed = (await lastQueries()).filter((q) => /ST_AsMVT|execute t_/.test(q) && q.includes(`'${last}'`));
		expect(warmed).toHaveLength(POOL);
	});

	it('keeps the connections when they are idle', async () => {
		// pg closes idle connections after 10 s unless told not to: still there after 11
		const before = (await lastQueries()).length;
		await new Promise((ok) => setTimeout(ok, 11_000));
		expect((await lastQueries()).length).toBe(before);
	}, 20_000);
});
