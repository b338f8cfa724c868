// Which coordinate system a file is in: declared (.prj, GeoJSON `crs`, --crs), or guessed from the
// coordinates' range when nothing declares one. Transformations themselves run in PostGIS
// (ST_Transform, both backends hold EPSG:4490 and 4491–4554: STACK.md).
//
// CGCS2000 Gauss-Krüger (EPSG): 4491–4501 6° zones 13–23 with the zone number before the easting;
// 4502–4512 6° by central meridian 75°E…135°E without it; 4513–4533 3° zones 25–45 with it;
// 4534–4554 3° by central meridian 75°E…135°E without it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const WGS84 = 4326;
export const CGCS2000 = 4490;
export const WEB_MERCATOR = 3857;

export function isSupportedSrid(srid: number): boolean {
	return srid === WGS84 || srid === CGCS2000 || srid === WEB_MERCATOR || (srid >= 4491 && srid <= 4554);
}

export function isGeographic(srid: number): boolean {
	return srid === WGS84 || srid === CGCS2000;
}

/** `EPSG:4527`, `4527`, `wgs84`, `cgcs2000`, `webmercator`/`3857`/`900913` → an SRID, or null. */
export function parseCrs(s: string): number | null {
	const k = s.trim().toLowerCase();
	if (['wgs84', 'wgs 84', 'crs84', 'ogc:crs84', 'urn:ogc:def:crs:ogc:1.3:crs84', 'urn:ogc:def:crs:ogc::crs84'].includes(k)) return WGS84;
	if (['cgcs2000', 'cgcs 2000'].includes(k)) return CGCS2000;
	if (['webmercator', 'web mercator', 'epsg:900913', '900913', 'epsg:3785', 'epsg:102100'].includes(k)) return WEB_MERCATOR;
	const m = /(?:^|epsg:{1,2}(?:[0-9.]*:)?)([0-9]{4,6})$/.exec(k);
	if (!m) return null;
	const srid = Number(m[1]);
	return srid === 900913 ? WEB_MERCATOR : srid;
}

/** A GeoJSON `crs` member (the 2008 spec's named CRS), or null. */
export function crsFromGeoJsonMember(crs: unknown): number | null {
	if (!crs || typeof crs !== 'object') return null;
	const props = (crs as { properties?: { name?: unknown } }).properties;
	return typeof props?.name === 'string' ? parseCrs(props.name) : null;
}

/** The EPSG code GDAL finds for a .prj (ESRI or OGC WKT), or null when it finds none. */
export async function crsFromPrj(prj: string): Promise<number | null> {
	try {
		const { stdout } = await run('gdalsrsinfo', ['-o', 'epsg', prj], { timeout: 20_000 });
		const m = /EPSG:([0-9]+)/.exec(stdout);
		return m ? Number(m[1]) : null;
	} catch {
		return null;
	}
}

export type BBox = [number, number, number, number];

export interface CrsGuess {
	srid: number;
	why: string;
}

/**
 * Coordinate systems the range of coordinates fits, best first (China: 73–136°E, 3–54°N).
 * Gauss-Krüger eastings carry a false easting of 500 km (within ±400 km of it near China's
 * latitudes), northings the distance from the equator; a zone prefix makes the easting millions.
 */
export function guessCrs([minX, minY, maxX, maxY]: BBox): CrsGuess[] {
	const out: CrsGuess[] = [];
	if (![minX, minY, maxX, maxY].every(Number.isFinite)) return out;
	const northing = minY >= 300_000 && maxY <= 6_100_000;
	if (minX >= -180 && maxX <= 180 && minY >= -90 && maxY <= 90) {
		out.push({ srid: WGS84, why: 'coordinates look like longitude/latitude in degrees' });
		return out;
	}
	const zone = Math.floor(minX / 1_000_000);
	if (zone === Math.floor(maxX / 1_000_000) && northing) {
		const e0 = minX - zone * 1_000_000;
		const e1 = maxX - zone * 1_000_000;
		const inZone = e0 >= 100_000 && e1 <= 900_000;
		if (inZone && zone >= 25 && zone <= 45) out.push({ srid: 4513 + zone - 25, why: `eastings carry the 3° Gauss-Krüger zone number ${zone} (CGCS2000)` });
		if (inZone && zone >= 13 && zone <= 23) out.push({ srid: 4491 + zone - 13, why: `eastings carry the 6° Gauss-Krüger zone number ${zone} (CGCS2000)` });
	}
	// Web Mercator over China: x 8.1–15.2 million m, y 0.3–7.2 million m
	if (minX >= 8_100_000 && maxX <= 15_200_000 && minY >= 300_000 && maxY <= 7_200_000) {
		out.push({ srid: WEB_MERCATOR, why: 'coordinates look like Web Mercator metres over China' });
	}
	if (minX >= 100_000 && maxX <= 900_000 && northing) {
		out.push({
			srid: 0,
			why: 'coordinates look like Gauss-Krüger metres without a zone number: give the central meridian (EPSG:4502–4512 for 6° zones, 4534–4554 for 3°)'
		});
	}
	return out;
}

/** Expands a bounding box by a point. */
export function growBBox(b: BBox, x: number, y: number): void {
	if (x < b[0]) b[0] = x;
	if (y < b[1]) b[1] = y;
	if (x > b[2]) b[2] = x;
	if (y > b[3]) b[3] = y;
}

export function emptyBBox(): BBox {
	return [Infinity, Infinity, -Infinity, -Infinity];
}
