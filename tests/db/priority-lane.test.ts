// The priority lane (db/lanes.ts) on server PostGIS: with every connection of the app's main pool
// held by slow work, the reads a request waits on before its own — its session, the data version
// of a cached tile, what the coverage and area figures reflect — still answer at once, so a tile
// already in the cache is served in milliseconds instead of queueing behind the slow work.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { createSession, validateSession } from '../../src/lib/server/auth/sessions.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { areaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { account, branch } from '../auth/helpers.ts';

/** how long the main pool is held */
const HOLD_MS = 4000;
/** what "at once" allows on a loaded test machine: far below HOLD_MS */
const AT_ONCE_MS = 1500;

describe.skipIf(!serverUrl)('the priority lane on server PostGIS', () => {
	let db: TestDb;
	let app: Db;

	beforeAll(async () => {
		db = await freshDb('server');
		await seedDemo(db, { scale: 'small', seed: 5 });
		await coverageEngine(db).ensure();
		// the app's handle as the web server opens it: two connections in its main pool
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 2 }, { appRole: true });
	}, 240_000);
	afterAll(async () => {
		await app?.close();
		await db?.drop();
	});

	/** every connection of the app's main pool busy for HOLD_MS; resolves once they all are, with their end */
	async function holdMainPool(): Promise<{ end: Promise<unknown> }> {
		const end = Promise.all([0, 1].map(() => sql`select pg_sleep(${HOLD_MS / 1000})`.execute(app.kysely)));
		for (;;) {
			const { rows } = await sql<{ n: number }>`
				select count(*)::int as n from pg_stat_activity
				where datname = current_database() and query like 'select pg_sleep%' and state = 'active' and pid <> pg_backend_pid()`.execute(db.kysely);
			// (wrapped: an async function returning the promise itself would wait for it)
			if (rows[0].n >= 2) return { end };
			await new Promise((r) => setTimeout(r, 20));
		}
	}

	it('answers a session, a cached tile and the figures status while the main pool is held', async () => {
		const { district } = await branch(db.kysely);
		const user = await account(db.kysely, 'lane.admin', 'district_admin', district);
		const token = await createSession(db.kysely, user.accountId, null);
		// a version read for every request (TTL 0), so the cached tile needs the database each time
		const tiles = new TileService(app, { versionTtlMs: 0 });
		const { rows } = await sql<{ x: number; y: number }>`
			select ST_X(ST_PointOnSurface(geom)) as x, ST_Y(ST_PointOnSurface(geom)) as y from area where code = ${district}`.execute(db.kysely);
		const id = tileOf(rows[0].x, rows[0].y, 13);
		expect((await tiles.tile('streets', id)).source).toBe('miss');
		await coverageEngine(app).status();

		const held = await holdMainPool();
		const started = performance.now();
		const session = await validateSession(app.kysely, token);
		const cached = await tiles.tile('streets', id);
		const coverage = await coverageEngine(app).status();
		const stats = await areaStats(app).status();
		const took = performance.now() - started;
		await held.end;

		expect(session?.username).toBe('lane.admin');
		expect(cached.source).toBe('hit');
		expect(coverage.computed_version).not.toBeNull();
		expect(stats.computed_version).not.toBeNull();
		expect(took).toBeLessThan(AT_ONCE_MS);
	}, 60_000);
});
