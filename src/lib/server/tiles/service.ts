// Finished tiles for one database: build (SQL → MVT on either backend), gzip, ETag, and an
// in-process LRU keyed by scope, audience (whether the viewer sees persons: small counts are
// left out for those who don't, see sources.ts), layer, z/x/y and the data version.
//
// The data version (data_version, bumped by a trigger on every write, sql/004) is read at most
// once per `versionTtlMs` and concurrent readers share one query: a cached tile then costs no
// database round trip at all, at the price of serving the previous version for up to that long
// after a write. Tests set the TTL to 0 (read on every request).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb, gzipSync } from 'node:zlib';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Db } from '../db/open.ts';
import type { Database } from '../db/schema.ts';
import { areaStats, ensureAreaStats, type AreaStatsStatus } from '../db/queries/area-stats.ts';
import { coverageEngine, type CoverageStatus } from '../coverage/engine.ts';
import { tileBox, type TileId } from './bounds.ts';
import { TileCache, type CachedTile } from './cache.ts';
import { encodeLayer } from './encode.ts';
import { SOURCES, emptyByDesign, type LayerName } from './sources.ts';
import { mvtQuery, rowsQuery, type TileContext } from './tile-sql.ts';
import { priorityLane } from '../db/lanes.ts';
import { sharedRead } from '../shared-read.ts';
import { checkScope, SYSTEM } from '../db/scoped.ts';
import { inlineParameters } from '../db/inline-parameters.ts';
import { runTile } from './prepared-tile.ts';

const gzip = promisify(gzipCb);

export interface TileServiceOptions {
	/** how long a read of data_version is trusted, in ms (default 1000; 0 reads it for every request) */
	versionTtlMs?: number;
	/** LRU budget in bytes of gzipped tiles (default 64 MiB) */
	cacheBytes?: number;
	/**
	 * zlib level (default 1): an uncached tile waits for it. Chaoyang, a district admin's tiles:
	 * buildings z13 (567 kB of MVT) 6.5 ms at 1, 9.2 ms at 3 (27 ms at 6); buildings z14 (199 kB)
	 * 3.5 / 4.7 ms; grids z12 (161 kB) 2.0 / 2.7 ms — for 1–3 % more bytes than at 3
	 */
	gzipLevel?: number;
	/**
	 * tiles up to this many bytes gzip on the event loop (default 16 kB, ~0.2 ms at level 1):
	 * handing a few kB to the thread pool and back cost a street secretary's or grid leader's small
	 * tiles 0.25–0.5 ms of their 2–4 ms. Larger ones still go to the pool, so a 580 kB tile never
	 * holds up other requests.
	 */
	syncGzipBytes?: number;
}

export interface TileOutcome {
	tile: CachedTile;
	/** 'hit': from the LRU; 'shared': joined a build already under way; 'miss': built now */
	source: 'hit' | 'shared' | 'miss';
	version: number;
	/** coverage layers: the stored results the tile shows (never waited for: see tile()) */
	coverage: CoverageStatus | null;
	/** layers with area figures: what those figures reflect (never waited for either) */
	stats: AreaStatsStatus | null;
}

export class TileService {
	readonly db: Db;
	readonly cache: TileCache;
	readonly versionTtlMs: number;
	readonly gzipLevel: number;
	readonly syncGzipBytes: number;
	#version: number | undefined;
	#versionAt = 0;
	#versionRead = sharedRead(() => this.#readVersion());
	#building = new Map<string, Promise<CachedTile>>();

	constructor(db: Db, options: TileServiceOptions = {}) {
		this.db = db;
		this.cache = new TileCache(options.cacheBytes);
		this.versionTtlMs = options.versionTtlMs ?? 1000;
		this.gzipLevel = options.gzipLevel ?? 1;
		this.syncGzipBytes = options.syncGzipBytes ?? 16 * 1024;
	}

	/** The data version, from memory when read less than versionTtlMs ago. */
	async dataVersion(): Promise<number> {
		if (this.#version !== undefined && performance.now() - this.#versionAt < this.versionTtlMs) return this.#version;
		return this.#versionRead();
	}

	async #readVersion(): Promise<number> {
		const { rows } = await sql<{ version: number }>`select version from data_version where id = 1`.execute(priorityLane(this.db.kysely));
		const v = Number(rows[0].version);
		if (this.#version !== undefined && v !== this.#version) this.cache.clear();
		this.#version = v;
		this.#versionAt = performance.now();
		return v;
	}

	/**
	 * The finished tile (gzip + ETag), from the LRU when this version has it.
	 * @param persons whether the viewer sees persons (viewer.persons); by default not: small counts left out
	 */
	async tile(layer: LayerName, id: TileId, scope = '', persons = false): Promise<TileOutcome> {
		const version = await this.dataVersion();
		// coverage layers show the stored results served now — a recompute after a write runs in the
		// background and replaces them at once (coverage/engine.ts) — so their key has the generation
		const coverage = SOURCES[layer].usesCoverage ? await coverageEngine(this.db).status(this.versionTtlMs) : null;
		// and layers with area figures show area_stats as they are (refreshed in the background after
		// a write, never waited for): their key has the version the figures reflect
		const stats = SOURCES[layer].usesAreaStats ? await areaStats(this.db).status(this.versionTtlMs) : null;
		const key =
			`${scope}|${persons ? 'persons' : 'counts'}|${layer}/${id.z}/${id.x}/${id.y}@${version}` +
			`${coverage ? `/g${coverage.generation}.${coverage.visit_roll}` : ''}${stats ? `/s${stats.computed_version}` : ''}`;
		// a live layer (requests) changes without a data version: built for every request, never kept
		if (SOURCES[layer].live) return { tile: await this.#finish(layer, id, scope, persons), source: 'miss', version, coverage, stats };
		const hit = this.cache.get(key);
		if (hit) return { tile: hit, source: 'hit', version, coverage, stats };
		const under = this.#building.get(key);
		if (under) return { tile: await under, source: 'shared', version, coverage, stats };
		const build = this.#finish(layer, id, scope, persons);
		this.#building.set(key, build);
		try {
			const tile = await build;
			this.cache.set(key, tile);
			return { tile, source: 'miss', version, coverage, stats };
		} finally {
			this.#building.delete(key);
		}
	}

	async #finish(layer: LayerName, id: TileId, scope: string, persons: boolean): Promise<CachedTile> {
		const raw = await this.build(layer, id, scope, persons, { served: true });
		if (!raw) return { gzip: null, etag: null, rawBytes: 0 };
		const etag = `"${createHash('sha1').update(raw).digest('base64url').slice(0, 22)}"`;
		const options = { level: this.gzipLevel };
		const gz = raw.byteLength <= this.syncGzipBytes ? gzipSync(raw, options) : await gzip(raw, options);
		return { gzip: new Uint8Array(gz), etag, rawBytes: raw.byteLength };
	}

	/**
	 * The uncompressed MVT of one tile straight from the database, no cache: ST_AsMVT on the server,
	 * the same rows encoded in TypeScript on the embedded build. Null when the tile is empty.
	 * `persons`: as in tile().
	 */
	async build(layer: LayerName, id: TileId, scope = '', persons = false, { served = false } = {}): Promise<Uint8Array | null> {
		const source = SOURCES[layer];
		if (emptyByDesign(layer, id.z, scope)) return null;
		// tile() serves the area figures and coverage results as they are; a build of its own
		// (tests, benchmarks) brings them up to date first
		if (!served && source.usesAreaStats) await ensureAreaStats(this.db);
		if (!served && source.usesCoverage) await coverageEngine(this.db).ensure();
		const ctx: TileContext = { box: tileBox(id), scope, persons };
		// read only: on the read replica when there is one and it has caught up with the primary
		// (then never older than the version this tile is cached under), else on the primary (db/replica.ts)
		return this.db.reads.read((kysely) => this.#render(kysely, layer, ctx));
	}

	/** On the server in one round trip (renderServerTile); on the embedded build in a transaction, encoded here. */
	async #render(kysely: Kysely<Database>, layer: LayerName, ctx: TileContext): Promise<Uint8Array | null> {
		if (this.db.backend === 'server') return renderServerTile(kysely, layer, ctx);
		return kysely.transaction().execute(async (trx) => {
			await tileTransactionSettings(this.db.backend, ctx.scope).execute(trx);
			// the embedded PostGIS has no ST_AsMVT: the same rows, encoded here
			const { rows } = await rowsQuery(SOURCES[layer].sql(ctx)).execute(trx);
			return encodeLayer(layer, rows);
		});
	}
}

/**
 * One tile on the server, on `kysely` (the pool, or one connection held: warm-connections.ts):
 * ST_AsMVT in one round trip — the settings and the tile's SQL (its values written in, or from zoom
 * 14 on its prepared statement executed with them: prepared-tile.ts) as one simple-protocol
 * message, which PostgreSQL runs as one implicit transaction: the settings hold for the tile's SQL
 * and end with it, as after a COMMIT. BEGIN, the query and COMMIT were three round
 * trips, each waiting for the event loop to read its answer: under load the connection sat idle
 * between them (tests/tiles/one-message checks that one message goes, and nothing stays set).
 */
export async function renderServerTile(kysely: Kysely<Database>, layer: LayerName, ctx: TileContext): Promise<Uint8Array | null> {
	const source = SOURCES[layer];
	const settings = inlineParameters(tileTransactionSettings('server', ctx.scope).compile(kysely));
	const rows = await runTile<{ mvt: Uint8Array | null }>(
		kysely,
		settings,
		mvtQuery(layer, source.sql(ctx), source.hasId).compile(kysely),
		ctx.box.z,
		ctx.scope
	);
	const mvt = rows[0]?.mvt;
	return mvt && mvt.byteLength > 0 ? new Uint8Array(mvt.buffer, mvt.byteOffset, mvt.byteLength) : null;
}

/** the planner settings of a tile's transaction on the server (tileTransactionSettings says why) */
export const TILE_PLANNER: Readonly<Record<string, string>> = { jit: 'off', max_parallel_workers_per_gather: '0' };

/**
 * The first statement of a tile's transaction (on the server an implicit one: #render). Row-level security (sql/006) shows no household or
 * member without a transaction scope; the tile SQL filters by `scope` itself, so the transaction
 * gets the same one ('*': all). On the server, two planner settings for this transaction only:
 * - JIT off: it sees PostGIS functions' high declared costs and compiles every tile query, 300–500 ms
 *   of LLVM for a query that runs in 20 ms;
 * - no parallel workers: a tile reads a few thousand rows by index, and starting workers costs more
 *   than that (chaoyang, a district admin's members tile at z16: 86 ms with a Gather, 16 ms without;
 *   under load the workers also take the cores other requests are waiting for).
 * Literals (checked): on the server it travels in one message with the tile's SQL (#render),
 * on the embedded build with the BEGIN (db/fused-begin.ts).
 */
export function tileTransactionSettings(backend: Db['backend'], scope: string): RawBuilder<unknown> {
	const planner = backend === 'server' ? Object.entries(TILE_PLANNER).map(([name, value]) => sql`, set_config(${sql.lit(name)}, ${sql.lit(value)}, true)`) : [];
	return sql`select set_config('jiceng.scope', ${sql.lit(checkScope(scope || SYSTEM))}, true)${sql.join(planner, sql``)}`;
}

const services = new WeakMap<Db, TileService>();

/** The one TileService of a database handle (routes share it, so they share its LRU). */
export function tileService(db: Db, options?: TileServiceOptions): TileService {
	let s = services.get(db);
	if (!s) {
		s = new TileService(db, options);
		services.set(db, s);
	}
	return s;
}
