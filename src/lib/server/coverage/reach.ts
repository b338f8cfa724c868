// A centre's reach area: the part of the network within a walking distance of it — partial edges
// included — drawn as a band `reachBuffer` metres wide around those pieces, as one polygon.
//
// The pieces are cut in TypeScript from a bounded search; PostGIS buffers them. The buffer runs in
// the network's local metric frame, reached with ST_Affine (no PROJ, no SRID table), and buffers
// the whole MultiLineString at once: one GEOS buffer, no pairwise unions of many polygons — the
// embedded PostGIS answers a failed GEOS overlay with no rows instead of an error, so every call
// checks it got one polygon per request.
import { sql, type RawBuilder, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RoadGraph } from './graph.ts';
import type { Source } from './dijkstra.ts';

/** [x1, y1, x2, y2] in the graph's local frame, metres */
export type Piece = [number, number, number, number];

function along(g: RoadGraph, e: number, fromA: boolean, t0: number, t1: number): Piece {
	// t in metres from the node at the chosen end
	const a = fromA ? g.edgeFrom[e] : g.edgeTo[e];
	const b = fromA ? g.edgeTo[e] : g.edgeFrom[e];
	const L = g.edgeLen[e] || 1;
	const ax = g.nodeX[a],
		ay = g.nodeY[a];
	const dx = (g.nodeX[b] - ax) / L,
		dy = (g.nodeY[b] - ay) / L;
	return [ax + dx * t0, ay + dy * t0, ax + dx * t1, ay + dy * t1];
}

/**
 * The reached pieces of the network within `limit` metres, given node distances of a search from
 * `sources` (bounded at `limit` or more).
 */
export function reachedPieces(g: RoadGraph, dist: Float64Array, reached: ArrayLike<number>, sources: readonly Source[], limit: number): Piece[] {
	const out: Piece[] = [];
	const seen = new Set<number>();
	for (let k = 0; k < reached.length; k++) {
		const u = reached[k];
		for (let p = g.adjStart[u]; p < g.adjStart[u + 1]; p++) {
			const e = g.adjEdge[p];
			if (seen.has(e)) continue;
			seen.add(e);
			const a = g.edgeFrom[e],
				b = g.edgeTo[e],
				L = g.edgeLen[e];
			const da = dist[a],
				db = dist[b];
			if (da <= limit && db <= limit && (da + db + L) / 2 <= limit) {
				out.push(along(g, e, true, 0, L));
				continue;
			}
			if (da <= limit) out.push(along(g, e, true, 0, Math.min(L, limit - da)));
			if (db <= limit) out.push(along(g, e, false, 0, Math.min(L, limit - db)));
		}
	}
	// a source's own edge: reached around the source even when neither end is
	for (const s of sources) {
		const left = limit - s.cost;
		if (left <= 0) continue;
		out.push(along(g, s.edge, true, Math.max(0, s.offset - left), Math.min(g.edgeLen[s.edge], s.offset + left)));
	}
	return out;
}

export function piecesWkt(pieces: readonly Piece[]): string {
	if (!pieces.length) return 'MULTILINESTRING EMPTY';
	return `MULTILINESTRING(${pieces.map((p) => `(${p[0].toFixed(2)} ${p[1].toFixed(2)},${p[2].toFixed(2)} ${p[3].toFixed(2)})`).join(',')})`;
}

/**
 * The PostGIS expression of a reach polygon in lon/lat from a local-frame MultiLineString WKT:
 * buffer in metres, then the affine map back to SRID 4326.
 */
export function reachPolygonSql(g: RoadGraph, wkt: ReturnType<typeof sql>, buffer: number, variant: ReachVariant = 'plain') {
	const f = g.frame;
	const lines = sql`ST_GeomFromText(${wkt})`;
	const buffered =
		variant === 'plain'
			? sql`ST_Buffer(${lines}, ${buffer}::float8, 'quad_segs=4')`
			: variant === 'snapped'
				? sql`ST_Buffer(ST_SnapToGrid(${lines}, 0.5), ${buffer}::float8, 'quad_segs=4')`
				: sql`(select ST_Union(ST_Buffer(d.geom, ${buffer}::float8, 'quad_segs=4'), 0.01) from ST_Dump(${lines}) d)`;
	return sql`ST_Multi(ST_SetSRID(ST_Affine(${buffered},
		${1 / f.mx}::float8, 0, 0, ${1 / f.my}::float8, ${f.lon0}::float8, ${f.lat0}::float8), 4326))`;
}

/**
 * GEOS in the embedded build now and then fails a buffer of a large MultiLineString, and a failed
 * GEOS call there yields no rows instead of an error. A reach that comes back empty is asked again
 * with its lines snapped to half a metre, then piece by piece; the server never needs this.
 */
export const REACH_VARIANTS = ['plain', 'snapped', 'pieces'] as const;
export type ReachVariant = (typeof REACH_VARIANTS)[number];

/** Reach polygons as GeoJSON text, one per request (an empty reach gives null). */
export async function reachGeoJson(db: Kysely<Database>, g: RoadGraph, requests: readonly Piece[][], buffer: number): Promise<(string | null)[]> {
	if (!requests.length) return [];
	const wkts = requests.map(piecesWkt);
	const { rows } = await sql<{ k: number; gj: string | null }>`
		select t.k::int4 as k, case when t.w like '%EMPTY' then null
		       else ST_AsGeoJSON(${reachPolygonSql(g, sql`t.w`, buffer)}, 7) end as gj
		from unnest(${wkts}::text[]) with ordinality as t(w, k)`.execute(db);
	const out: (string | null)[] = new Array(requests.length).fill(null);
	if (rows.length === requests.length) {
		for (const r of rows) out[r.k - 1] = r.gj;
		return out;
	}
	// one of them failed inside GEOS (embedded): ask one by one, falling back per REACH_VARIANTS
	for (let k = 0; k < wkts.length; k++) {
		if (wkts[k].endsWith('EMPTY')) continue;
		out[k] = await oneReach(
			db,
			g,
			wkts[k],
			buffer,
			(variant) => sql<{ gj: string }>`select ST_AsGeoJSON(${reachPolygonSql(g, sql`${wkts[k]}::text`, buffer, variant)}, 7) as gj`
		);
	}
	return out;
}

/** Runs `query` with each variant in turn until one answers; throws when none does. */
export async function oneReach<T>(
	db: Kysely<Database>,
	g: RoadGraph,
	wkt: string,
	buffer: number,
	query: (variant: ReachVariant) => RawBuilder<T>
): Promise<T extends { gj: infer G } ? G : never> {
	for (const variant of REACH_VARIANTS) {
		const { rows } = await query(variant).execute(db);
		if (rows.length) return (rows[0] as { gj: never }).gj;
	}
	throw new Error(`reach: no polygon for ${wkt.slice(0, 80)}… (GEOS failed every variant)`);
}
