// npm run bench:tiles — tile speed on server PostGIS with the `district` and `chaoyang` demos.
//
// For a fixed, seeded set of tiles at z12–z16 of every layer: p50/p95 of uncached requests through
// a real HTTP endpoint (node:http around serveTiles, the code the SvelteKit route runs) against the
// raw tile SQL for the same tiles, run in this process on a connection of its own (the database's
// own time is the floor); p95 of cached requests; requests per second at concurrency 16 (warm LRU,
// and uncached). Goals: endpoint p95 ≤ 1.25 × SQL p95; cached p95 < 5 ms.
// Ends with one JSON line: {"district": {…}, "chaoyang": {…}}.
//
// The server cluster lives in data/bench-postgis/ (gitignored) and is kept between runs, stopped at
// the end; each dataset is seeded into its own database when missing (`BENCH_SCALES=district` to
// run one; `BENCH_ROUNDS` uncached rounds, default 3).
import { createServer as createHttpServer, Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { openDb, type Db } from '../src/lib/server/db/open.ts';
import { startCluster, ensureDataset, SEED } from './lib/bench-postgis.ts';
import { TileService } from '../src/lib/server/tiles/service.ts';
import { serveTiles } from '../src/lib/server/tiles/http.ts';
import { tileBox, tileOf, type TileId } from '../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES, type LayerName } from '../src/lib/server/tiles/sources.ts';
import { mvtQuery } from '../src/lib/server/tiles/tile-sql.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const SCALES = (process.env.BENCH_SCALES ?? 'district,chaoyang').split(',') as ('district' | 'chaoyang')[];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POINTS = 8; // places per dataset; each gives one tile per layer and zoom
const ZOOMS = [12, 13, 14, 15, 16];

// ---------------------------------------------------------------- the tiles and the clients
/** POINTS buildings picked by a seeded hash of their id, then a tile per layer and zoom over each */
async function tileSet(db: Db): Promise<{ layer: LayerName; t: TileId }[]> {
	const { rows } = await sql<{ lon: number; lat: number }>`
		select ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from building
		order by md5(${String(SEED)} || id::text) limit ${POINTS}`.execute(db.kysely);
	const seen = new Set<string>();
	const out: { layer: LayerName; t: TileId }[] = [];
	for (const { lon, lat } of rows) {
		for (const z of ZOOMS) {
			const { x, y } = tileOf(lon, lat, z);
			for (const layer of LAYER_NAMES) {
				if (z < SOURCES[layer].minzoom) continue;
				const key = `${layer}/${z}/${x}/${y}`;
				if (!seen.has(key)) {
					seen.add(key);
					out.push({ layer, t: { z, x, y } });
				}
			}
		}
	}
	return out;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(port: number, path: string): Promise<{ status: number; bytes: number; cache: string }> {
	return new Promise((ok, fail) => {
		const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
			let bytes = 0;
			res.on('data', (c: Buffer) => (bytes += c.length));
			res.on('end', () => ok({ status: res.statusCode ?? 0, bytes, cache: String(res.headers['x-tile-cache'] ?? '') }));
			res.on('error', fail);
		});
		req.on('error', fail);
		req.end();
	});
}

function quantile(xs: number[], q: number): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const r2 = (v: number) => Math.round(v * 100) / 100;

async function benchDataset(url: string, scale: string) {
	const db = await openDb({ backend: 'server', url, poolSize: 16 });
	const service = new TileService(db);
	const server = createHttpServer(async (req, res) => {
		try {
			const path = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/tiles\//, '');
			const r = await serveTiles(service, path, new Headers(req.headers as Record<string, string>), { origin: 'http://127.0.0.1' });
			res.writeHead(r.status, r.headers);
			res.end(r.body ?? undefined);
		} catch (e) {
			res.writeHead(500, { 'content-type': 'text/plain' });
			res.end(`${(e as Error).message}\n`);
		}
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	const port = (server.address() as AddressInfo).port;

	// the floor: the same SQL, on a connection of this process, JIT off as the service runs it
	const raw = new pg.Client({ connectionString: url });
	await raw.connect();
	await raw.query('set jit = off');
	const rawSql = async (layer: LayerName, t: TileId) => {
		const q = mvtQuery(layer, SOURCES[layer].sql({ box: tileBox(t), scope: '' }), SOURCES[layer].hasId).compile(db.kysely);
		const started = performance.now();
		await raw.query(q.sql, q.parameters as unknown[]);
		return performance.now() - started;
	};

	const tiles = await tileSet(db);
	log(`[bench] ${scale}: ${tiles.length} tiles (${POINTS} places × z${ZOOMS[0]}–${ZOOMS.at(-1)} × layers)`);
	const path = (x: { layer: LayerName; t: TileId }) => `/tiles/${x.layer}/${x.t.z}/${x.t.x}/${x.t.y}.mvt`;

	// warm-up: PROJ and the buffers on every pooled connection, and the raw one
	for (const x of tiles) await rawSql(x.layer, x.t);
	await Promise.all(tiles.map((x) => get(port, path(x))));

	const sqlMs: number[] = [];
	const httpMs: number[] = [];
	const perLayer = new Map<string, { sql: number[]; http: number[] }>();
	let bytes = 0;
	for (let round = 0; round < ROUNDS; round++) {
		service.cache.clear();
		// alternate which goes first so neither gets the other's warm pages
		for (const [i, x] of tiles.entries()) {
			let s = 0;
			let h = 0;
			const http = async () => {
				const started = performance.now();
				const r = await get(port, path(x));
				h = performance.now() - started;
				if (r.cache !== 'miss' && r.status !== 204) throw new Error(`expected an uncached tile, got ${r.cache}`);
				if (r.status !== 200 && r.status !== 204) throw new Error(`${path(x)} → ${r.status}`);
				bytes += r.bytes;
			};
			if ((i + round) % 2 === 0) {
				s = await rawSql(x.layer, x.t);
				await http();
			} else {
				await http();
				s = await rawSql(x.layer, x.t);
			}
			sqlMs.push(s);
			httpMs.push(h);
			const k = `${x.layer}`;
			const e = perLayer.get(k) ?? { sql: [], http: [] };
			e.sql.push(s);
			e.http.push(h);
			perLayer.set(k, e);
		}
	}
	for (const [k, v] of perLayer) {
		log(`[bench] ${scale} ${k.padEnd(16)} sql p50 ${quantile(v.sql, 0.5).toFixed(1)} p95 ${quantile(v.sql, 0.95).toFixed(1)} ms · http p50 ${quantile(v.http, 0.5).toFixed(1)} p95 ${quantile(v.http, 0.95).toFixed(1)} ms`);
	}

	// cached: the LRU holds every tile now
	const cachedMs: number[] = [];
	for (let round = 0; round < 3; round++) {
		for (const x of tiles) {
			const started = performance.now();
			const r = await get(port, path(x));
			cachedMs.push(performance.now() - started);
			if (r.cache !== 'hit' && r.cache !== 'none') throw new Error(`expected a cached tile, got ${r.cache}`);
		}
	}

	// throughput at concurrency 16: warm LRU, then uncached (the LRU cleared, each tile once)
	const throughput = async (requests: { layer: LayerName; t: TileId }[]) => {
		let next = 0;
		const started = performance.now();
		await Promise.all(
			Array.from({ length: 16 }, async () => {
				while (next < requests.length) await get(port, path(requests[next++]));
			})
		);
		return requests.length / ((performance.now() - started) / 1000);
	};
	const warm: { layer: LayerName; t: TileId }[] = [];
	for (let i = 0; i < 20; i++) warm.push(...tiles);
	const rpsWarm = await throughput(warm);
	service.cache.clear();
	const rpsCold = await throughput(tiles);

	server.close();
	await raw.end();
	await db.close();
	const sqlP95 = quantile(sqlMs, 0.95);
	const httpP95 = quantile(httpMs, 0.95);
	const result = {
		uncached_p95_ms: r2(httpP95),
		sql_p95_ms: r2(sqlP95),
		ratio_p95: r2(httpP95 / sqlP95),
		cached_p95_ms: r2(quantile(cachedMs, 0.95)),
		rps_c16: Math.round(rpsWarm),
		uncached_p50_ms: r2(quantile(httpMs, 0.5)),
		sql_p50_ms: r2(quantile(sqlMs, 0.5)),
		rps_c16_uncached: Math.round(rpsCold),
		tiles: tiles.length,
		avg_gzip_kb: r2(bytes / httpMs.length / 1024)
	};
	log(`[bench] ${scale}: ${JSON.stringify(result)}`);
	return result;
}

const cluster = await startCluster();
process.on('exit', () => cluster.stop());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const results: Record<string, unknown> = {};
try {
	for (const scale of SCALES) {
		const url = await ensureDataset(cluster.url, scale);
		results[scale] = await benchDataset(url, scale);
	}
} finally {
	cluster.stop();
}
console.log(JSON.stringify(results));
