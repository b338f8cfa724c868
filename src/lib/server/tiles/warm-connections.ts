// Every connection of the server's pool made and warmed before the first request. A new
// PostgreSQL backend runs its first tile of a layer 15–25 times slower than the next (Chaoyang, a
// grid leader's grids tile at z16: 30–50 ms, then 2 ms): it loads PostGIS and PROJ and reads the
// catalogue for every table, index and function the query names. After a start every map opens at
// once, and each connection would pay that for each layer while requests queue behind it. So each
// connection builds one tile of every layer — at the district's middle, whose pages it reads into
// the shared buffers too — before the server answers anyone. Nothing is cached by it. (Under
// bench:load's first seconds the gain is within the run-to-run noise: there the queue on two full
// cores is the larger part of the tail.)
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { SYSTEM, withScope } from '../db/scoped.ts';
import { tileBox, tileOf } from './bounds.ts';
import { LAYER_NAMES, SOURCES } from './sources.ts';
import { renderServerTile } from './service.ts';

/** the zoom of the tiles built: a street's blocks, where every layer but the closest has features */
const WARM_ZOOM = 14;
/** how long the connections wait for each other before each goes on alone (a pool smaller than asked) */
const GATHER_MS = 2000;

/**
 * Opens `connections` connections of the server pool at once (each held until all are, so each is
 * a different one) and builds one tile of every layer on each, as the district's administrator
 * sees it — and as many of the read replica's, where tiles are built when there is one. A layer
 * that fails (a replica down, or behind the migrations) is left cold, logged: warming never stops
 * a start.
 */
export async function warmConnections(db: Db, connections: number, log: (line: string) => void = () => {}): Promise<{ ms: number; layers: number }> {
	const started = performance.now();
	if (db.backend !== 'server') return { ms: 0, layers: 0 };
	const { rows } = await withScope(db, SYSTEM, (trx) =>
		sql<{ lon: number; lat: number }>`
				select ST_X(p) as lon, ST_Y(p) as lat from area a cross join lateral (select ST_PointOnSurface(a.geom) as p) c
				where a.level = 'district' order by a.code limit 1`.execute(trx)
	);
	if (!rows[0]) return { ms: 0, layers: 0 };
	const { lon, lat } = rows[0];
	let layers = 0;
	const pools = [db.kysely, ...(db.reads.replica ? [db.reads.replica] : [])];
	for (const pool of pools) {
		layers += await warmPool(pool, connections, lon, lat, log).catch((e: Error) => {
			log(`[db] warming the ${pool === db.kysely ? 'primary' : 'replica'}'s connections failed: ${e.message}`);
			return 0;
		});
	}
	return { ms: performance.now() - started, layers };
}

/** `connections` connections of one pool, gathered so that each is a different one, each building every layer's tile: how many were built */
async function warmPool(pool: Kysely<Database>, connections: number, lon: number, lat: number, log: (line: string) => void): Promise<number> {
	let arrived = 0;
	let gathered!: () => void;
	const all = new Promise<void>((ok) => (gathered = ok));
	const timer = setTimeout(() => gathered(), GATHER_MS);
	timer.unref?.();
	let layers = 0;
	try {
		await Promise.all(
			Array.from({ length: connections }, () =>
				pool.connection().execute(async (conn) => {
					if (++arrived === connections) gathered();
					await all;
					for (const layer of LAYER_NAMES) {
						const z = Math.max(WARM_ZOOM, SOURCES[layer].minzoom);
						await renderServerTile(conn, layer, { box: tileBox(tileOf(lon, lat, z)), scope: '', persons: false }).then(
							() => layers++,
							(e: Error) => log(`[db] warming a connection: the ${layer} tile failed: ${e.message}`)
						);
					}
				})
			)
		);
	} finally {
		clearTimeout(timer);
	}
	return layers;
}
