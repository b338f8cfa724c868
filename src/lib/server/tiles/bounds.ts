// Web Mercator tile arithmetic (EPSG:3857, XYZ scheme with y growing southwards), in TypeScript so
// the SQL gets plain numbers: an envelope passed as numbers keeps the GiST index in play and
// costs nothing per row.

/** half the width of the Web Mercator world, in metres */
export const WORLD_HALF = 20037508.342789244;
/** MVT extent: tile-space units along one side of a tile */
export const EXTENT = 4096;
export const MAX_ZOOM = 22;

export interface TileId {
	z: number;
	x: number;
	y: number;
}

export interface TileBox extends TileId {
	/** the tile's envelope in EPSG:3857 metres */
	minx: number;
	miny: number;
	maxx: number;
	maxy: number;
	/** tile-space units per metre */
	scale: number;
}

export function tileBox({ z, x, y }: TileId): TileBox {
	const size = (2 * WORLD_HALF) / 2 ** z;
	const minx = -WORLD_HALF + x * size;
	const maxy = WORLD_HALF - y * size;
	return { z, x, y, minx, maxx: minx + size, maxy, miny: maxy - size, scale: EXTENT / size };
}

/** The tile's envelope grown by `margin` tile-space units on every side, in lon/lat degrees. */
export function lonLatBox(box: TileBox, margin = 0): [number, number, number, number] {
	const m = margin / box.scale;
	const clampY = (v: number) => Math.max(-WORLD_HALF, Math.min(WORLD_HALF, v));
	return [
		mercatorToLon(Math.max(-WORLD_HALF, box.minx - m)),
		mercatorToLat(clampY(box.miny - m)),
		mercatorToLon(Math.min(WORLD_HALF, box.maxx + m)),
		mercatorToLat(clampY(box.maxy + m))
	];
}

export function mercatorToLon(x: number): number {
	return (x / WORLD_HALF) * 180;
}

export function mercatorToLat(y: number): number {
	return (Math.atan(Math.exp((y / WORLD_HALF) * Math.PI)) * 360) / Math.PI - 90;
}

export function lonLatToMercator(lon: number, lat: number): [number, number] {
	const x = (lon / 180) * WORLD_HALF;
	const y = (Math.log(Math.tan(((90 + lat) * Math.PI) / 360)) / Math.PI) * WORLD_HALF;
	return [x, y];
}

/** The tile at zoom z that holds a lon/lat, and the point's position inside it in tile units. */
export function tileOf(lon: number, lat: number, z: number): TileId & { px: number; py: number } {
	const [mx, my] = lonLatToMercator(lon, lat);
	const n = 2 ** z;
	const fx = ((mx + WORLD_HALF) / (2 * WORLD_HALF)) * n;
	const fy = ((WORLD_HALF - my) / (2 * WORLD_HALF)) * n;
	const x = Math.floor(fx);
	const y = Math.floor(fy);
	return { z, x, y, px: (fx - x) * EXTENT, py: (fy - y) * EXTENT };
}
