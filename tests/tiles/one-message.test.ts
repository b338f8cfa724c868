// On server PostGIS a tile is built in one round trip (tiles/service.ts #renderServer): its settings
// and its SQL, values written in, travel as one message that PostgreSQL runs as one implicit
// transaction. Checked here against the way it was built before — a transaction of its own with the
// same settings and the SQL with bound parameters — byte for byte, for every layer, zoom, scope and
// audience of the fixture; and what reaches the wire, and what is left on the connection after.
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDb } from '../helpers/backends.ts';
import { captureWire, type Wire } from '../helpers/wire.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { TileService, tileTransactionSettings } from '../../src/lib/server/tiles/service.ts';
import { tileBox, tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES, emptyByDesign } from '../../src/lib/server/tiles/sources.ts';
import { mvtQuery } from '../../src/lib/server/tiles/tile-sql.ts';
import { CENTRE, GRID_WS, lonLat, freshFixtureDb } from './fixture.ts';

// the fixture's centre, and building 1 in grid WS (4 members)
const PLACES = [CENTRE, lonLat(-500, -500)];

describe.skipIf(!serverUrl)('a tile in one message (server)', () => {
	let db: TestDb;
	let app: Db;
	let tiles: TileService;
	const wire: string[] = [];
	let net: Wire | undefined;

	beforeAll(async () => {
		db = await freshFixtureDb('server');
		// every message the app's clients send, by its text (patched before the app's client is made)
		net = captureWire(wire);
		// as the web server runs: the app role, row-level security on, one connection to look at
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 1 }, { appRole: true });
		tiles = new TileService(app, { versionTtlMs: 0 });
	}, 120_000);
	afterEach(() => {
		wire.length = 0;
	});
	afterAll(async () => {
		net?.stop();
		await app?.close();
		await db?.drop();
	});

	/** the tile as it was built before: BEGIN, the settings, the SQL with bound parameters, COMMIT */
	async function reference(layer: (typeof LAYER_NAMES)[number], t: { z: number; x: number; y: number }, scope: string, persons: boolean) {
		const source = SOURCES[layer];
		return app.kysely.transaction().execute(async (trx) => {
			await tileTransactionSettings('server', scope).execute(trx);
			const { rows } = await mvtQuery(layer, source.sql({ box: tileBox(t), scope, persons }), source.hasId).execute(trx);
			const mvt = rows[0]?.mvt;
			return mvt && mvt.byteLength > 0 ? Buffer.from(mvt) : null;
		});
	}

	it('builds every layer, zoom, scope and audience as the transaction with bound parameters did', async () => {
		let compared = 0;
		let nonEmpty = 0;
		for (const layer of LAYER_NAMES)
			for (const scope of ['', GRID_WS])
				for (const persons of [true, false])
					for (let z = 12; z <= 17; z++)
						for (const [lon, lat] of PLACES) {
							if (emptyByDesign(layer, z, scope)) continue;
							const t = tileOf(lon, lat, z);
							const built = await tiles.build(layer, t, scope, persons, { served: true });
							const expected = await reference(layer, t, scope, persons);
							expect(built === null ? null : Buffer.from(built), `${layer} z${z} scope '${scope}' persons ${persons}`).toEqual(expected);
							compared++;
							if (expected) nonEmpty++;
						}
		expect(compared).toBeGreaterThan(200);
		expect(nonEmpty).toBeGreaterThan(100);
	});

	it('runs the tiles from zoom 14 on as prepared statements, as their SQL did, and keeps generic plans', async () => {
		// past five runs PostgreSQL may keep a generic plan: the same bytes from it
		for (let run = 0; run < 7; run++)
			for (const layer of ['buildings', 'members', 'grids', 'coverage_grid'] as const)
				for (const scope of ['', GRID_WS])
					for (let z = 14; z <= 16; z++) {
						const t = tileOf(PLACES[1][0], PLACES[1][1], z);
						const built = await tiles.build(layer, t, scope, true, { served: true });
						expect(built === null ? null : Buffer.from(built), `${layer} z${z} scope '${scope}' run ${run}`).toEqual(await reference(layer, t, scope, true));
					}
		const { rows } = await sql<{ generic: number; statements: number }>`
			select count(*) filter (where generic_plans > 0 and custom_plans = 0)::int as generic, count(*)::int as statements from pg_prepared_statements where name like 't\_%'`.execute(
			app.kysely
		);
		// every one by its generic plan, from the first run
		expect(rows[0].statements).toBeGreaterThanOrEqual(4 * 2 * 3);
		expect(rows[0].generic).toBe(rows[0].statements);
	});

	it('prepares a tile again on a connection that has lost its statements', async () => {
		const t = tileOf(PLACES[1][0], PLACES[1][1], 16);
		const before = await tiles.build('members', t, GRID_WS, true, { served: true });
		await sql`deallocate all`.execute(app.kysely);
		expect(Buffer.from((await tiles.build('members', t, GRID_WS, true, { served: true }))!)).toEqual(Buffer.from(before!));
	});

	it('sends one message, with no parameter left in it, and leaves nothing set on the connection', async () => {
		const t = tileOf(PLACES[1][0], PLACES[1][1], 15);
		// a connection's first tile of a kind prepares its statement first (prepared-tile.ts)
		await tiles.build('members', t, GRID_WS, true, { served: true });
		wire.length = 0;
		await tiles.build('members', t, GRID_WS, true, { served: true });
		expect(wire).toHaveLength(1);
		expect(wire[0]).toMatch(/^select set_config\('jiceng\.scope', '420105001001001', true\), set_config\('jit', 'off', true\)/);
		expect(wire[0]).toMatch(/force_generic_plan.*\nexecute t_[0-9a-f]{24}\('members', /s);
		expect(wire[0]).not.toMatch(/\$\d/);
		expect(wire[0]).not.toMatch(/^\s*(begin|commit)\b/im);
		wire.length = 0;
		// below zoom 14 the SQL itself, values written in
		await tiles.build('members', tileOf(PLACES[1][0], PLACES[1][1], 13), GRID_WS, true, { served: true });
		expect(wire).toHaveLength(1);
		expect(wire[0]).toMatch(/ST_AsMVT/);
		expect(wire[0]).not.toMatch(/\$\d|execute/);
		wire.length = 0;
		// the same (only) connection: the scope and the planner settings ended with the tile's statement
		const { rows } = await sql<{ scope: string | null; jit: string; workers: string; plans: string; xact: string | null }>`
			select current_setting('jiceng.scope', true) as scope, current_setting('jit') as jit,
				current_setting('max_parallel_workers_per_gather') as workers, current_setting('plan_cache_mode') as plans,
				pg_current_xact_id_if_assigned()::text as xact`.execute(app.kysely);
		expect(rows[0].scope ?? '').toBe('');
		expect(rows[0].plans).toBe('auto');
		expect(rows[0].jit).not.toBe('off');
		expect(rows[0].workers).not.toBe('0');
		expect(rows[0].xact).toBeNull();
	});

	it('scopes the tile by row-level security too: without the scope statement the same SQL sees no member', async () => {
		const t = tileOf(PLACES[1][0], PLACES[1][1], 15);
		const source = SOURCES.members;
		const bare = mvtQuery('members', source.sql({ box: tileBox(t), scope: GRID_WS, persons: true }), source.hasId);
		const { rows } = await bare.execute(app.kysely);
		expect(rows[0]?.mvt?.byteLength ?? 0).toBe(0);
		expect((await tiles.build('members', t, GRID_WS, true, { served: true }))?.byteLength ?? 0).toBeGreaterThan(0);
	});

	it('a failing tile leaves the connection clean for the next', async () => {
		// the owner holds the buildings table; the app's only connection gives up waiting for it
		const owner = new pg.Client({ connectionString: db.url! });
		await owner.connect();
		try {
			await owner.query('begin');
			await owner.query('lock table building in access exclusive mode');
			await sql`set lock_timeout = '20ms'`.execute(app.kysely);
			const t = tileOf(CENTRE[0], CENTRE[1], 14);
			await expect(tiles.build('buildings', t, '', true, { served: true })).rejects.toThrow(/lock timeout/);
			await owner.query('rollback');
			await sql`reset lock_timeout`.execute(app.kysely);
			const { rows } = await sql<{ scope: string | null; jit: string; xact: string | null }>`
				select current_setting('jiceng.scope', true) as scope, current_setting('jit') as jit, pg_current_xact_id_if_assigned()::text as xact`.execute(app.kysely);
			expect(rows[0].scope ?? '').toBe('');
			expect(rows[0].jit).not.toBe('off');
			expect(rows[0].xact).toBeNull();
			expect(await tiles.build('buildings', t, '', true, { served: true })).not.toBeNull();
		} finally {
			await owner.end();
		}
	});
});
