// A centre's reach area: the part of the network within a walking distance of it — partial edges
// included — drawn as a band `reachBuffer` metres wide around those pieces, as one polygon.
//
// The pieces are cut in TypeScript from a bounded search; PostGIS buffers them. The buffer runs in
// the network's local metric frame, reached with ST_Affine (no PROJ, no SRID table), and buffers
// the whole MultiLineString at once: one GEOS buffer, no pairwise unions of many polygons — the
// embedded PostGIS answers a failed GEOS overlay with no rows instead of an error, so every call
// checks it got one polygon per request.
import { sql, type Kysely } from 'kysely';
import type { RoadGraph } from './graph.ts';
import type { Source } from './dijkstra.ts';

/** [x1, y1, x2, y2] in the graph's local frame, metres */
export type Piece = [number, number, number, number];

function along(g: RoadGraph, e: number, fromA: boolean, t0: number, t1: number): Piece {
	// t in metres from the node at the chosen end
	const a = fromA ? g.edgeFrom[e] : g.edgeTo[e];
	const b = fromA ? g.edgeTo[e] : g.edgeFrom[e];
	const L = g.edgeLen[e] || 1;
	const ax = g.nodeX[a], ay = g.nodeY[a];
	const dx = (g.nodeX[b] - ax) / L, dy = (g.nodeY[b] - ay) / L;
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
			const a = g.edgeFrom[e], b = g.edgeTo[e], L = g.edgeLen[e];
			const da = dist[a], db = dist[b];
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
export function reachPolygonSql(g: RoadGraph, wkt: ReturnType<typeof sql>, buffer: number) {
	const f = g.frame;
	return sql`ST_Multi(ST_SetSRID(ST_Affine(
		ST_Buffer(ST_GeomFromText(${wkt}), ${buffer}::float8, 'quad_segs=4'),
		${1 / f.mx}::float8, 0, 0, ${1 / f.my}::float8, ${f.lon0}::float8, ${f.lat0}::float8), 4326))`;
}

/** Reach polygons as GeoJSON text, one per request (an empty reach gives null). */
export async function reachGeoJson(db: Kysely<any>, g: RoadGraph, requests: readonly Piece[][], buffer: number): Promise<(string | null)[]> {
	if (!requests.length) return [];
	const wkts = requests.map(piecesWkt);
	const { rows } = await sql<{ k: number; gj: string | null }>`
		select t.k::int4 as k, case when t.w like '%EMPTY' then null
		       else ST_AsGeoJSON(${reachPolygonSql(g, sql`t.w`, buffer)}, 7) end as gj
		from unnest(${wkts}::text[]) with ordinality as t(w, k)`.execute(db);
	if (rows.length !== requests.length) throw new Error(`reach: ${requests.length} polygons asked, ${rows.length} returned (a GEOS failure?)`);
	const out: (string | null)[] = new Array(requests.length).fill(null);
	for (const r of rows) out[r.k - 1] = r.gj;
	return out;
}
