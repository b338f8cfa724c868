// The server's start (db/index.ts getDb): when the coverage results are current, the coverage model
// is in memory before the first request is served — not loaded beside the first requests, whose
// event loop and connections it would take (bench:load's first seconds); and every connection of
// the pool is made and has built a tile of each layer (tiles/warm-connections.ts): a new backend's
// first tile of a layer costs 15–25 times the next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDb } from '../helpers/backends.ts';
import { getDb } from '../../src/lib/server/db/index.ts';
import { coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { readDbConfig } from '../../src/lib/server/db/config.ts';
import { freshFixtureDb } from '../tiles/fixture.ts';
import { sql } from 'kysely';

describe.skipIf(!serverUrl)('a start with current coverage results', () => {
	let db: TestDb;
	const saved = { url: process.env.DATABASE_URL, demo: process.env.JICENG_DEMO };

	beforeAll(async () => {
		db = await freshFixtureDb('server');
		process.env.DATABASE_URL = db.url!;
		process.env.JICENG_DEMO = 'off';
	}, 120_000);
	afterAll(async () => {
		process.env.DATABASE_URL = saved.url;
		process.env.JICENG_DEMO = saved.demo;
		const started = (globalThis as Record<symbol, Promise<{ close: () => Promise<void> }> | undefined>)[Symbol.for('jiceng.db')];
		await (await started)?.close();
		delete (globalThis as Record<symbol, unknown>)[Symbol.for('jiceng.db')];
		await db?.drop();
	});

	it('has the coverage model in memory when the handle is handed out', async () => {
		const app = await getDb();
		expect(app.backend).toBe('server');
		expect(coverageEngine(app).modelLoaded).toBe(true);
	});

	it('has made every connection of its pool before it is handed out', async () => {
		await getDb();
		const config = readDbConfig();
		if (config.backend !== 'server') throw new Error('a server configuration was expected');
		// the pool's connections (each warmed: tests/tiles/warm-connections) and the priority lane's
		const { rows } = await sql<{ n: number }>`
			select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`.execute(
			db.kysely
		);
		expect(rows[0].n).toBeGreaterThanOrEqual(config.poolSize);
	});
});
