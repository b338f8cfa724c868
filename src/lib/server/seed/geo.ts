// Metres around the district centre ⇄ lon/lat (a local equirectangular projection: at a
// district's size the error is far below a metre), and WKT text for the inserts.

export interface Projector {
	lon(x: number): string;
	lat(y: number): string;
	point(x: number, y: number): string;
}

export function projector(centre: [number, number]): Projector {
	const [lon0, lat0] = centre;
	const mx = 111_320 * Math.cos((lat0 * Math.PI) / 180);
	const my = 110_574;
	// 7 decimals ≈ 1 cm; the same metres always give the same text, so shared vertices stay shared
	const lon = (x: number) => (lon0 + x / mx).toFixed(7);
	const lat = (y: number) => (lat0 + y / my).toFixed(7);
	return { lon, lat, point: (x, y) => `${lon(x)} ${lat(y)}` };
}

/** a closed ring from flat [x0, y0, x1, y1, …] (not repeating the first point) */
export function ringText(p: Projector, xy: readonly number[]): string {
	const pts: string[] = [];
	for (let k = 0; k < xy.length; k += 2) pts.push(p.point(xy[k], xy[k + 1]));
	pts.push(pts[0]);
	return `(${pts.join(',')})`;
}

export function multiPolygonWkt(p: Projector, xy: readonly number[]): string {
	return `SRID=4326;MULTIPOLYGON((${ringText(p, xy)}))`;
}

export function polygonWkt(p: Projector, xy: readonly number[]): string {
	return `SRID=4326;POLYGON(${ringText(p, xy)})`;
}

export function lineWkt(p: Projector, xs: readonly number[], ys: readonly number[]): string {
	return `SRID=4326;LINESTRING(${xs.map((x, k) => p.point(x, ys[k])).join(',')})`;
}

export function pointWkt(p: Projector, x: number, y: number): string {
	return `SRID=4326;POINT(${p.point(x, y)})`;
}

/** bilinear map of the unit square onto a quadrilateral: uv rectangles land inside it, never overlapping */
export function bilinear(qx: readonly number[], qy: readonly number[], u: number, v: number): [number, number] {
	const a = (1 - u) * (1 - v);
	const b = u * (1 - v);
	const c = u * v;
	const d = (1 - u) * v;
	return [a * qx[0] + b * qx[1] + c * qx[2] + d * qx[3], a * qy[0] + b * qy[1] + c * qy[2] + d * qy[3]];
}
