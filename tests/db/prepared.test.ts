// Tiles as prepared statements on server pools (src/lib/server/db/prepared.ts): the marked texts go
// named — parsed once per connection — and give the same bytes; anything else goes as it came;
// the process names a bounded number of texts.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { MAX_PREPARED, PREPARED, prepareMarked, preparedName } from '../../src/lib/server/db/prepared.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileBox, tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { SOURCES } from '../../src/lib/server/tiles/sources.ts';
import { mvtQuery } from '../../src/lib/server/tiles/tile-sql.ts';

describe.skipIf(!serverUrl)('prepared tile statements on server PostGIS', () => {
	let db: TestDb;
	let app: Db;
	beforeAll(async () => {
		db = await freshDb('server');
		await seedDemo(db, { scale: 'small', seed: 1 });
		// one connection: the statements it prepared are the ones it lists
		app = await openDb({ backend: 'server', url: db.url!, poolSize: 1 }, { appRole: true });
	}, 600_000);
	afterAll(async () => {
		await app?.close();
		await db?.close();
	});

	const prepared = async (on: Db['kysely']) =>
		(await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(on)).rows;

	it('sends a marked text with parameters named, once per connection, and anything else as it came', async () => {
		const client = new pg.Client({ connectionString: db.url! });
		await client.connect();
		try {
			prepareMarked(client);
			const marked = `${PREPARED} select $1::int + 1 as n`;
			expect((await client.query(marked, [1])).rows).toEqual([{ n: 2 }]);
			expect((await client.query(marked, [41])).rows).toEqual([{ n: 42 }]);
			await client.query('select $1::int as n', [1]);
			await client.query(`${PREPARED} select 1 as n`);
			const { rows } = await client.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements');
			expect(rows).toEqual([{ name: preparedName(marked), statement: marked }]);
		} finally {
			await client.end();
		}
	});

	it("serves the app's tiles from prepared statements, the same bytes as the text sent unnamed", async () => {
		const { rows } = await sql<{ x: number; y: number }>`
			select ST_X(ST_PointOnSurface(geom)) as x, ST_Y(ST_PointOnSurface(geom)) as y from area where level = 'district'`.execute(db.kysely);
		const id = tileOf(rows[0].x, rows[0].y, 14);
		const tiles = new TileService(app);
		const first = await tiles.build('buildings', id, '', false, { served: true });
		const again = await tiles.build('buildings', id, '', false, { served: true });
		expect(first?.byteLength).toBeGreaterThan(0);
		expect(Buffer.from(again!)).toEqual(Buffer.from(first!));
		const statements = await prepared(app.kysely);
		expect(statements.filter((s) => s.statement.startsWith(PREPARED))).toHaveLength(1);

		// the same SQL sent unnamed, by the owner on a plain connection (row-level security: the whole district)
		const q = mvtQuery('buildings', SOURCES.buildings.sql({ box: tileBox(id), scope: '', persons: false }), SOURCES.buildings.hasId).compile(db.kysely);
		const plain = new pg.Client({ connectionString: db.url! });
		await plain.connect();
		try {
			await plain.query('begin');
			await plain.query(`select set_config('jiceng.scope', '*', true)`);
			const { rows: unnamed } = await plain.query<{ mvt: Buffer }>(q.sql, [...q.parameters]);
			await plain.query('commit');
			expect(Buffer.from(unnamed[0].mvt)).toEqual(Buffer.from(first!));
			expect((await plain.query('select count(*)::int as n from pg_prepared_statements')).rows[0].n).toBe(0);
		} finally {
			await plain.end();
		}
	});

	it(`names at most ${MAX_PREPARED} distinct texts in a process, then sends the rest unnamed`, () => {
		for (let i = 0; i < MAX_PREPARED + 5; i++) preparedName(`${PREPARED} select ${i}`);
		expect(preparedName(`${PREPARED} select 'one more'`)).toBeNull();
		// those named before keep their names
		expect(preparedName(`${PREPARED} select 0`)).toMatch(/^jiceng_[0-9a-f]{40}$/);
	});
});
