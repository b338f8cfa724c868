// A coverage panel's gap counts (db/queries/coverage.ts gapCounts) are counted once per generation
// and scope: callers asking for the same counts while they are being counted share that count (after
// a start or a recompute, a district admin's panels all miss the cache at once), and get the same
// figures as one caller alone would. Server PostGIS: what reaches the wire is counted at pg's Client.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDb } from '../helpers/backends.ts';
import { captureWire, type Wire } from '../helpers/wire.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { gapCounts } from '../../src/lib/server/db/queries/coverage.ts';
import { GRID_WS, freshFixtureDb } from '../tiles/fixture.ts';

describe.skipIf(!serverUrl)('gap counts asked for at once', () => {
	let db: TestDb;
	let app: Db;
	const wire: string[] = [];
	let net: Wire | undefined;

	beforeAll(async () => {
		db = await freshFixtureDb('server');
		net = captureWire(wire);
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 8 }, { appRole: true });
	}, 120_000);
	afterAll(async () => {
		net?.stop();
		await app?.close();
		await db?.drop();
	});

	/** six connections open and idle, so six callers start at once (a new connection takes longer than the count) */
	const warm = () => Promise.all(Array.from({ length: 6 }, () => withScope(app, '*', (trx) => sql`select pg_sleep(0.05)`.execute(trx))));

	const counted = () => wire.filter((t) => /from coverage_gap\b/.test(t)).length;

	it('counts once for callers of the same scope meanwhile, each with its own copy of the same figures', async () => {
		await warm();
		wire.length = 0;
		const all = await Promise.all(Array.from({ length: 6 }, () => withScope(app, '*', (trx) => gapCounts(trx, ''))));
		expect(counted()).toBe(1);
		for (const c of all) expect(c).toEqual(all[0]);
		expect(new Set(all).size).toBe(all.length);
		expect(Object.values(all[0]).some((r) => r.objects > 0)).toBe(true);
		// later callers: from the cache, no count at all
		wire.length = 0;
		expect(await withScope(app, '*', (trx) => gapCounts(trx, ''))).toEqual(all[0]);
		expect(counted()).toBe(0);
	});

	it('counts each scope on its own', async () => {
		await warm();
		wire.length = 0;
		const [district, grid] = await Promise.all([
			withScope(app, '*', (trx) => gapCounts(trx, GRID_WS.slice(0, 6))),
			withScope(app, GRID_WS, (trx) => gapCounts(trx, GRID_WS))
		]);
		expect(counted()).toBe(2);
		const alone = await withScope(app, GRID_WS, (trx) => gapCounts(trx, GRID_WS));
		expect(grid).toEqual(alone);
		expect(district).not.toEqual(grid);
	});
});
