// TileJSON 3.0.0 for one layer: where its tiles are, its zoom range, bounds and attributes.
// Spec: https://github.com/mapbox/tilejson-spec/tree/master/3.0.0
import { sql } from 'kysely';
import type { Db } from '../db/open.ts';
import { SOURCES, type LayerName } from './sources.ts';

export interface TileJson {
	tilejson: '3.0.0';
	name: string;
	description: string;
	version: string;
	scheme: 'xyz';
	tiles: string[];
	minzoom: number;
	maxzoom: number;
	bounds?: [number, number, number, number];
	center?: [number, number, number];
	vector_layers: { id: string; description: string; minzoom: number; maxzoom: number; fields: Record<string, string> }[];
}

/**
 * @param origin the request's origin, e.g. `http://localhost:5173`, so tile URLs are absolute
 * @param persons whether the viewer sees persons: a layer that places households from some zoom
 * on (householdsFrom) is refused there to viewers who don't, so their TileJSON ends the layer a
 * zoom below — the map then overzooms the last tile it may have instead of asking for refused ones
 */
export async function tileJson(db: Db, layer: LayerName, origin: string, scope = '', persons = false): Promise<TileJson> {
	const s = SOURCES[layer];
	const maxzoom = !persons && s.householdsFrom !== undefined && s.householdsFrom > s.minzoom ? Math.min(s.maxzoom, s.householdsFrom - 1) : s.maxzoom;
	const { rows } = await sql<{ w: number | null; s: number | null; e: number | null; n: number | null }>`
		select ST_XMin(x) as w, ST_YMin(x) as s, ST_XMax(x) as e, ST_YMax(x) as n
		from (select ST_Extent(geom) as x from area
		      where (${scope}::text = '' and parent_code is null) or code = ${scope}::text) t`.execute(db.kysely);
	const b = rows[0];
	const bounds = b && b.w !== null ? ([b.w, b.s, b.e, b.n] as [number, number, number, number]).map((v) => Math.round(v * 1e6) / 1e6) : undefined;
	return {
		tilejson: '3.0.0',
		name: s.name,
		description: s.description,
		version: '1.0.0',
		scheme: 'xyz',
		tiles: [`${origin}/tiles/${s.name}/{z}/{x}/{y}.mvt`],
		minzoom: s.minzoom,
		maxzoom,
		...(bounds
			? {
					bounds: bounds as [number, number, number, number],
					center: [Math.round(((bounds[0] + bounds[2]) / 2) * 1e6) / 1e6, Math.round(((bounds[1] + bounds[3]) / 2) * 1e6) / 1e6, Math.max(s.minzoom, 12)] as [
						number,
						number,
						number
					]
				}
			: {}),
		vector_layers: [{ id: s.name, description: s.description, minzoom: s.minzoom, maxzoom, fields: s.fields }]
	};
}
