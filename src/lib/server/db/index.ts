// The process's one database handle for the SvelteKit server, opened once at start-up.
import { readDbConfig } from './config.ts';
import { openDb, type Db } from './open.ts';
import { migrate } from './migrate.ts';
import { ensureAreaStats } from './queries/area-stats.ts';
import { coverageEngine } from '../coverage/engine.ts';
import { interruptedRecompute } from '../coverage/interrupted.ts';
import { scheduleEmbeddedMaintenance } from './embedded-maintenance.ts';
import { warmConnections } from '../tiles/warm-connections.ts';

export type { Db } from './open.ts';

// kept on globalThis so the dev server's module reloads don't open PGlite a second time
const KEY = Symbol.for('jiceng.db');
type Holder = { [KEY]?: Promise<Db> };

export function getDb(): Promise<Db> {
	const holder = globalThis as Holder;
	// a start that failed (the database away at the first request) is tried again by the next
	// caller, not remembered for the life of the process
	holder[KEY] ??= start().catch((e) => {
		delete holder[KEY];
		throw e;
	});
	return holder[KEY];
}

/** how long a start waits for the coverage model when the results are current (then it loads in the background) */
const MODEL_WARM_MS = 20_000;

async function start(): Promise<Db> {
	const config = readDbConfig();
	const started = performance.now();
	console.log(
		config.backend === 'embedded' ? `[db] opening embedded PostGIS in ${config.dataDir} (first start ≈ 10 s, later ≈ 2 s)` : `[db] connecting to server PostGIS`
	);
	// migrate with the owner's rights, then serve as the app role (row-level security applies)
	let db = await openDb(config);
	await migrate(db, (line) => console.log(`[db] ${line}`));
	if (config.backend === 'server') {
		await db.close();
		db = await openDb(config, { appRole: true });
	}
	// a look, not a condition of starting: a failure of it is logged and the start goes on. As the
	// app role on a server: a deployed login may read nothing but the migration ledger (NOINHERIT)
	const cut = await interruptedRecompute(db).catch((e: Error) => {
		console.error(`[coverage] could not tell whether the last recompute finished: ${e.message}`);
		return null;
	});
	if (cut) {
		console.log(
			`[coverage] the last recompute (generation ${cut.drawn}) did not finish — stopped or failed; nothing of it is served, ` +
				`${cut.served === null ? 'no results are served yet' : `generation ${cut.served} is still served, whole`}; bringing the results up to date now`
		);
	}
	await ensureAreaStats(db);
	// PGlite has no autovacuum: the app keeps the tables vacuumed and their statistics current
	if (db.backend === 'embedded') scheduleEmbeddedMaintenance(db);
	const coverage = coverageEngine(db);
	const t0 = performance.now();
	// results already current (a restart, the usual case): the model — network and distances in
	// memory, what a centre write is recomputed from and what-ifs search — is loaded before the first
	// request, not beside it. At Chaoyang it is ~1.5 s of PostgreSQL and ~1 s of this process's
	// event loop, which the first seconds after a start (everyone's map at once) need most
	// (bench:load: the event loop's delay p99 100–160 ms in its first 4 s while it loaded).
	// Bounded: past MODEL_WARM_MS the start goes on and it finishes in the background.
	const current = await coverage.status().then(
		(s) => s.computed_version !== null && !s.updating,
		() => false
	);
	if (current) {
		const loaded = await Promise.race([
			coverage.model().then(
				() => true,
				() => false
			),
			new Promise<false>((ok) => setTimeout(() => ok(false), MODEL_WARM_MS).unref())
		]);
		console.log(`[coverage] model ${loaded ? 'loaded' : 'still loading'} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
	}
	// every connection of the pool made, and its first tiles built, before anyone waits on them
	if (config.backend === 'server') {
		const warm = await warmConnections(db, config.poolSize, (line) => console.error(line)).catch((e: Error) => {
			console.error(`[db] could not warm the connections: ${e.message}`);
			return null;
		});
		if (warm?.layers) console.log(`[db] connections warmed: ${warm.layers} tiles built in ${(warm.ms / 1000).toFixed(1)} s`);
	}
	// coverage analysis can take a while on a large district: start it now, serve meanwhile
	coverage
		.ensure((line) => console.log(`[coverage] ${line}`))
		.then(() => {
			console.log(`[coverage] results ready (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
			// the model (network and distances in memory) loaded now rather than at the first read:
			// then the first centre write after a start is recomputed locally (incremental.ts)
			void coverage.model().catch((e: Error) => console.error(`[coverage] could not load the model: ${e.message}`));
		})
		.catch((e: Error) => console.error(`[coverage] recompute failed: ${e.message}`));
	console.log(`[db] ${config.backend} database ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
	return db;
}
