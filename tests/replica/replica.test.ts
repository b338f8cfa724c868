// Read replicas for real: a throwaway primary and a streaming hot standby of it (pg_basebackup -R,
// scripts/lib/throwaway-replica.ts), the app's handle opened with DATABASE_REPLICA_URL's setting.
// Read-only work (tiles, snapshot summaries) goes to the standby, row-level security holds there,
// a write on the primary shows on the map once replayed, and the standby's loss costs the reads
// nothing: they go to the primary, and back to the standby once it is up again.
// Server only; skipped when no PostgreSQL with PostGIS and pg_basebackup is installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { warmConnections } from '../../src/lib/server/tiles/warm-connections.ts';
import { LAYER_NAMES } from '../../src/lib/server/tiles/sources.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { replicaBin, startThrowawayPair, type ThrowawayPair } from '../../scripts/lib/throwaway-replica.ts';
import { FIXTURE_SQL, lonLat } from '../tiles/fixture.ts';
import { decode } from '../tiles/decode.ts';

const RETRY_MS = 300;

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
	const t0 = performance.now();
	for (;;) {
		const got = await probe();
		if (got) return got;
		if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise((ok) => setTimeout(ok, 20));
	}
}

describe.skipIf(!replicaBin())('a streaming read replica', () => {
	let pair: ThrowawayPair;
	let db: Db;
	const inRecovery = () => db.reads.read(async (k) => (await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(k)).rows[0].r);

	beforeAll(async () => {
		pair = await startThrowawayPair();
		const owner = await openDb({ backend: 'server', url: pair.primaryUrl, poolSize: 2 });
		try {
			await migrate(owner);
			await owner.runScript(FIXTURE_SQL);
		} finally {
			await owner.close();
		}
		// as the web server opens it: the app role (row-level security applies), reads to the replica
		db = await openDb({ backend: 'server', url: pair.primaryUrl, poolSize: 4, replicaUrl: pair.replicaUrl, replicaRetryMs: RETRY_MS }, { appRole: true });
	}, 180_000);
	afterAll(async () => {
		await db?.close();
		pair?.stop();
	});

	it('sends read-only work to the standby and keeps row-level security there', async () => {
		// the migrations and fixture have been replayed once the replica has caught up
		expect(await until('the replica to catch up', () => inRecovery())).toBe(true);
		const before = db.reads.counts.replica;
		// a snapshot (the summaries' mode) runs on the standby, as the app role, in the caller's scope
		const east = await withScope(
			db,
			'420105002',
			async (trx) =>
				(
					await sql<{
						r: boolean;
						role: string;
						n: number;
					}>`select pg_is_in_recovery() as r, current_user as role, (select count(*)::int from household) as n`.execute(trx)
				).rows[0],
			{ snapshot: true }
		);
		expect(east).toEqual({ r: true, role: 'jiceng_app', n: 4 });
		const all = await withScope(db, SYSTEM, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from household`.execute(trx)).rows[0].n, {
			snapshot: true
		});
		expect(all).toBe(13);
		expect(db.reads.counts.replica).toBeGreaterThan(before);
		// the standby really serves them: its pg_stat_activity has the app's connections
		const admin = new pg.Client({ connectionString: pair.replicaUrl });
		await admin.connect();
		try {
			const { rows } = await admin.query<{ n: number }>(
				`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`
			);
			expect(rows[0].n).toBeGreaterThan(0);
		} finally {
			await admin.end();
		}
		// a write transaction stays on the primary (a standby would refuse it)
		const written = await withScope(db, SYSTEM, async (trx) => (await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(trx)).rows[0].r);
		expect(written).toBe(false);
	});

	it("warms the standby's connections as well as the primary's: tiles are built there", async () => {
		expect(await until('the replica to catch up', () => inRecovery())).toBe(true);
		const warm = await warmConnections(db, 4);
		expect(warm.layers).toBe(2 * 4 * LAYER_NAMES.length);
		const admin = new pg.Client({ connectionString: pair.replicaUrl });
		await admin.connect();
		try {
			const last = LAYER_NAMES.at(-1)!;
			const { rows } = await admin.query<{ query: string }>(
				`select query from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`
			);
			// its SQL, or at z14 its prepared statement executed with the layer's name (tiles/prepared-tile.ts)
			expect(rows.filter((r) => /ST_AsMVT|execute t_/.test(r.query) && r.query.includes(`'${last}'`))).toHaveLength(4);
		} finally {
			await admin.end();
		}
	});

	it('shows a write on the primary on the map once it is replayed', async () => {
		const tiles = new TileService(db, { versionTtlMs: 0 });
		const [lon, lat] = lonLat(-600, 600);
		const t = tileOf(lon, lat, 15);
		const centres = async () => decode(await tiles.build('service_centres', t, '', true), 'service_centres').map((f) => f.properties.name);
		expect(await centres()).not.toContain('复制测试站');
		const replicaReadsBefore = db.reads.counts.replica;
		const t0 = performance.now();
		await withScope(db, SYSTEM, (trx) =>
			sql`insert into service_centre (id, level, name, area_code, geom) overriding system value values (100, 'station', '复制测试站', '420105001001', ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))`.execute(
				trx
			)
		);
		// seen through the app's read path as soon as the standby has replayed it (or, until then, from
		// the primary: never a map older than the write)
		expect(await centres()).toContain('复制测试站');
		// and the standby itself catches up: the lag, measured
		const admin = new pg.Client({ connectionString: pair.replicaUrl });
		await admin.connect();
		try {
			await until('the write on the replica', async () => (await admin.query(`select 1 from service_centre where name = '复制测试站'`)).rowCount === 1);
			console.log(`[replica] a write was on the map and on the standby ${(performance.now() - t0).toFixed(1)} ms after its commit (a tile build included)`);
		} finally {
			await admin.end();
		}
		expect(await centres()).toContain('复制测试站');
		expect(db.reads.counts.replica).toBeGreaterThan(replicaReadsBefore);
		const primary = new pg.Client({ connectionString: pair.primaryUrl });
		await primary.connect();
		const standby = new pg.Client({ connectionString: pair.replicaUrl });
		await standby.connect();
		try {
			// replication lag, commit on the primary → row visible on the standby, over 20 writes
			const lags: number[] = [];
			for (let i = 0; i < 20; i++) {
				const w0 = performance.now();
				await primary.query(`update service_centre set opening_hours = $1 where id = 100`, [`lag ${i}`]);
				await until(
					'the update on the replica',
					async () => (await standby.query(`select 1 from service_centre where id = 100 and opening_hours = $1`, [`lag ${i}`])).rowCount === 1
				);
				lags.push(performance.now() - w0);
			}
			lags.sort((a, b) => a - b);
			console.log(`[replica] commit → visible on the standby: median ${lags[10].toFixed(1)} ms, max ${lags[19].toFixed(1)} ms (20 writes, polled)`);
			expect(lags[19]).toBeLessThan(20_000);
			const { rows } = await primary.query<{ state: string; replay_lag: string | null }>(`select state, replay_lag::text from pg_stat_replication`);
			expect(rows.map((r) => r.state)).toEqual(['streaming']);
			console.log(`[replica] pg_stat_replication: ${JSON.stringify(rows)}`);
		} finally {
			await primary.end();
			await standby.end();
		}
	});

	it('reads from the primary while the standby is down, and returns to it when it is back', async () => {
		const tiles = new TileService(db, { versionTtlMs: 0 });
		const [lon, lat] = lonLat(-200, -20);
		const t = tileOf(lon, lat, 15);
		const centres = async () => decode(await tiles.build('service_centres', t, '', true), 'service_centres').map((f) => f.properties.name);
		expect(await inRecovery()).toBe(true);
		pair.haltReplica();
		// no error reaches the reader: the tile, the snapshot, the check all answer from the primary
		expect(await centres()).toContain('西街道党群服务中心');
		expect(await inRecovery()).toBe(false);
		const n = await withScope(db, '420105002', async (trx) => (await sql<{ n: number }>`select count(*)::int as n from household`.execute(trx)).rows[0].n, {
			snapshot: true
		});
		expect(n).toBe(4);
		expect(db.reads.target()).toBe('primary');
		expect(db.reads.counts.failed).toBeGreaterThan(0);
		// a write while it is down, then the standby back: it catches up and the reads return to it
		await withScope(db, SYSTEM, (trx) => sql`update service_centre set name = '西街道党群服务中心（新）' where name = '西街道党群服务中心'`.execute(trx));
		pair.resumeReplica();
		await new Promise((ok) => setTimeout(ok, RETRY_MS + 50));
		expect(await until('reads back on the replica', () => inRecovery())).toBe(true);
		expect(await centres()).toContain('西街道党群服务中心（新）');
	});
});
