// The SQL shared by every tile source, and the two ways a tile leaves the database.
//
// Both backends run the same per-feature SQL: transform to EPSG:3857, scale into tile space
// (0..4096, y down), clip to the tile plus a buffer, simplify by a tolerance in tile units (so
// per zoom), snap to the integer grid, and orient polygon rings the way ST_AsMVTGeom does
// (exterior counter-clockwise in PostGIS's y-up reading, i.e. clockwise on screen, as the MVT
// spec wants). ST_AsMVTGeom itself is not used: the embedded PostGIS raises on it (no protobuf),
// and one geometry pipeline means both backends put the same vertices in the tile.
//
// Then the server wraps the rows in ST_AsMVT; the embedded build selects them with the geometry
// as WKB and encodes them in TypeScript (encode.ts), the same way ST_AsMVT does.
//
// GEOS is touched only by ST_ClipByBox2D on valid input (the schema checks ST_IsValid) and only
// when a geometry's box is not already inside the clip box; everything after it is liblwgeom.
// That matters on the embedded backend, where a GEOS error silently returns no rows.
import { sql, type RawBuilder } from 'kysely';
import { EXTENT, lonLatBox, type TileBox } from './bounds.ts';

export interface TileContext {
	box: TileBox;
	/** area-code prefix the tile is restricted to; '' is the whole district */
	scope: string;
	/**
	 * whether the viewer sees persons (viewer.persons): if not, counts of persons below the
	 * small-cell threshold are left out (src/lib/server/privacy/small-cells.ts) and nothing
	 * places a household. Undefined counts as false.
	 */
	persons?: boolean;
}

/** The tile's lon/lat envelope grown by `margin` tile units, for `geom && …` against the 4326 GiST indexes. */
export function envelope(ctx: TileContext, margin: number): RawBuilder<unknown> {
	const [w, s, e, n] = lonLatBox(ctx.box, margin);
	return sql`ST_MakeEnvelope(${w}::float8, ${s}::float8, ${e}::float8, ${n}::float8, 4326)`;
}

/** EPSG:3857 geometry → tile space (scale, move, flip y). */
export function toTileSpace(geom3857: RawBuilder<unknown>, box: TileBox): RawBuilder<unknown> {
	const s = box.scale;
	return sql`ST_Affine(${geom3857}, ${s}::float8, 0, 0, ${-s}::float8, ${-box.minx * s}::float8, ${box.maxy * s}::float8)`;
}

/** A 4326 geometry column → tile space. */
export function tileSpace(geom4326: RawBuilder<unknown>, box: TileBox): RawBuilder<unknown> {
	return toTileSpace(sql`ST_Transform(${geom4326}, 3857)`, box);
}

function clipBox(buffer: number): RawBuilder<unknown> {
	return sql`ST_MakeEnvelope(${sql.lit(-buffer)}, ${sql.lit(-buffer)}, ${sql.lit(EXTENT + buffer)}, ${sql.lit(EXTENT + buffer)})`;
}

function clipped(t: RawBuilder<unknown>, buffer: number, dim: 2 | 3): RawBuilder<unknown> {
	const box = clipBox(buffer);
	return sql`ST_CollectionExtract(case when ${t} @ ${box} then ${t} else ST_ClipByBox2D(${t}, ${box}) end, ${sql.lit(dim)})`;
}

/**
 * A tile-space polygon (column `t`) clipped, simplified by `tolerance` tile units (0: not at all),
 * snapped to the grid and oriented for MVT. Collapsed rings vanish; empty results are dropped by
 * the wrappers below.
 */
export function polygonGeom(t: RawBuilder<unknown>, buffer: number, tolerance: number): RawBuilder<unknown> {
	let g = clipped(t, buffer, 3);
	// preserveCollapsed: a small building stays a (tiny) polygon instead of vanishing before the snap
	if (tolerance > 0) g = sql`ST_Simplify(${g}, ${sql.lit(tolerance)}, true)`;
	return sql`ST_ForcePolygonCCW(ST_SnapToGrid(${g}, 1))`;
}

export function lineGeom(t: RawBuilder<unknown>, buffer: number, tolerance: number): RawBuilder<unknown> {
	let g = clipped(t, buffer, 2);
	if (tolerance > 0) g = sql`ST_Simplify(${g}, ${sql.lit(tolerance)}, false)`;
	return sql`ST_SnapToGrid(${g}, 1)`;
}

/**
 * A tile-space point, or null when it lies outside the tile. Points carry no buffer and the tile
 * is half-open ([0, 4096) on both axes), so every point is in exactly one tile of a zoom and the
 * counts of neighbouring tiles add up.
 */
export function pointGeom(t: RawBuilder<unknown>): RawBuilder<unknown> {
	return sql`case when ST_X(${t}) >= 0 and ST_X(${t}) < ${sql.lit(EXTENT)} and ST_Y(${t}) >= 0 and ST_Y(${t}) < ${sql.lit(EXTENT)}
		then ST_SnapToGrid(${t}, 1) end`;
}

/**
 * Where a household is drawn, in EPSG:3857: households have no geometry of their own, so each
 * gets a fixed spot in a disc around its building's centroid (radius 0.3·√area), from the R2
 * low-discrepancy sequence over its id: consecutive households of a building spread evenly, and
 * the spot never moves between zooms, tiles or layers (members points and central_links ends).
 */
export function householdPoint3857(building3857: RawBuilder<unknown>, householdId: RawBuilder<unknown>): RawBuilder<unknown> {
	const u = sql`(0.5 + ${householdId}::float8 * 0.7548776662466927)`;
	const v = sql`(0.5 + ${householdId}::float8 * 0.5698402909980532)`;
	const r = sql`(0.3 * sqrt(ST_Area(${building3857})) * sqrt(${u} - floor(${u})))`;
	const a = sql`(2 * pi() * (${v} - floor(${v})))`;
	return sql`ST_Translate(ST_Centroid(${building3857}), ${r} * cos(${a}), ${r} * sin(${a}))`;
}

// `offset 0` fences the rows off: without it the planner inlines the geometry pipeline into the
// emptiness filter and computes it twice.

/** The server's tile: ST_AsMVT over the rows (an empty bytea when there are none). */
export function mvtQuery(layer: string, inner: RawBuilder<unknown>, hasId: boolean): RawBuilder<{ mvt: Uint8Array | null }> {
	const id = hasId ? sql`, 'fid'` : sql``;
	return sql<{ mvt: Uint8Array | null }>`
		select ST_AsMVT(q, ${layer}::text, ${sql.lit(EXTENT)}, 'geom'${id}) as mvt
		from (select * from (${inner}) i offset 0) q where q.geom is not null and not ST_IsEmpty(q.geom)`;
}

/**
 * The embedded build's tile: the same rows with the geometry also as WKB, for encode.ts, which
 * keeps the column order (ST_AsMVT's key order) and skips `geom`, `wkb` and `fid`.
 */
export function rowsQuery(inner: RawBuilder<unknown>): RawBuilder<Record<string, unknown>> {
	return sql<Record<string, unknown>>`
		select ST_AsBinary(q.geom) as wkb, q.*
		from (select * from (${inner}) i offset 0) q where q.geom is not null and not ST_IsEmpty(q.geom)`;
}
