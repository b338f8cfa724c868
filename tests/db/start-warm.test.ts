// The server's start (db/index.ts getDb): when the coverage results are current, the coverage model
// is in memory before the first request is served — not loaded beside the first requests, whose
// event loop and connections it would take (bench:load's first seconds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDb } from '../helpers/backends.ts';
import { getDb } from '../../src/lib/server/db/index.ts';
import { coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { freshFixtureDb } from '../tiles/fixture.ts';

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
});
