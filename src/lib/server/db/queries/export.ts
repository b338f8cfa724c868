// The rows of a layer export (issue 13 part 2): every feature of an importable layer within the
// transaction's scope (row-level security sees the same scope) and the asked area, with the
// attributes named as the import reads them — so an export imports back as the same data.
// Geometry as GeoJSON text in WGS84; nothing here is about persons (households and members are
// not exported as layers).
import { sql } from 'kysely';
import { scopePrefix, type Scoped } from '../scoped.ts';

export const EXPORT_LAYERS = ['areas', 'buildings', 'roads', 'service_centres'] as const;
export type ExportLayer = (typeof EXPORT_LAYERS)[number];

export interface ExportRow {
	properties: Record<string, string | number | null>;
	/** the geometry (WGS84) as GeoJSON text, or WKT when asked */
	geometry: string;
}

/** The attribute columns of each layer, in order (names the import recognises without a mapping). */
export const EXPORT_COLUMNS: Record<ExportLayer, readonly string[]> = {
	areas: ['code', 'name', 'level', 'kind', 'parent_code'],
	buildings: ['source_id', 'name', 'address', 'kind', 'floors', 'height', 'units', 'grid_code'],
	roads: ['source_id', 'class', 'name'],
	service_centres: ['source_id', 'name', 'level', 'area_code', 'services', 'opening_hours']
};

/**
 * The layer's features inside `area` (an area code within the scope; '' for the whole scope), at
 * most `limit` (a count beyond it is reported by the caller as too large).
 */
export async function exportRows(
	trx: Scoped,
	layer: ExportLayer,
	area: string,
	limit: number,
	geometryAs: 'geojson' | 'wkt' = 'geojson'
): Promise<ExportRow[]> {
	const prefix = area || scopePrefix(trx);
	if (!prefix.startsWith(scopePrefix(trx))) return [];
	const like = `${prefix}%`;
	const geo = geometryAs === 'wkt' ? sql`ST_AsText(geom)` : sql`ST_AsGeoJSON(geom, 15)`;
	let q;
	if (layer === 'areas') {
		q = sql<{
			p: ExportRow['properties'];
			g: string;
		}>`select json_build_object('code', code, 'name', name, 'level', level, 'kind', kind, 'parent_code', parent_code) as p, ${geo} as g
			from area where code like ${like} order by length(code), code limit ${limit}`;
	} else if (layer === 'buildings') {
		q = sql<{
			p: ExportRow['properties'];
			g: string;
		}>`select json_build_object('source_id', coalesce(source_id, 'b' || id), 'name', name, 'address', address, 'kind', kind,
			'floors', floors, 'height', height, 'units', units, 'grid_code', grid_code) as p, ${geo} as g
			from building where grid_code like ${like} order by id limit ${limit}`;
	} else if (layer === 'roads') {
		// roads carry no area: those crossing the area's outline (the scope's when no area is asked)
		q = sql<{
			p: ExportRow['properties'];
			g: string;
		}>`select json_build_object('source_id', coalesce(r.source_id, 'r' || r.id), 'class', r.class, 'name', r.name) as p, ${geometryAs === 'wkt' ? sql`ST_AsText(r.geom)` : sql`ST_AsGeoJSON(r.geom, 15)`} as g
			from road r where exists (select 1 from area a where a.code = ${prefix === '' ? sql`(select min(code) from area where level = 'district')` : sql`${prefix}`} and a.geom && r.geom and ST_Intersects(a.geom, r.geom))
			order by r.id limit ${limit}`;
	} else {
		q = sql<{
			p: ExportRow['properties'];
			g: string;
		}>`select json_build_object('source_id', coalesce(source_id, 's' || id), 'name', name, 'level', level, 'area_code', area_code,
			'services', array_to_string(services, ';'), 'opening_hours', opening_hours) as p, ${geo} as g
			from service_centre where area_code like ${like} order by id limit ${limit}`;
	}
	const { rows } = await q.execute(trx);
	return rows.map((r) => ({ properties: r.p, geometry: r.g }));
}
