// Coordinates an analysis is asked about (a what-if station, a pinned site) must lie in the
// caller's area: the bounding box of their scope area plus a margin (a station just across the
// boundary still serves it). Checked before any work, so a point at the other end of the Earth
// costs one cheap query and a 400, not a search. The box is cached per database handle, area
// code and data version (an area's outline changes only with a write, which bumps the version).
import { error } from '@sveltejs/kit';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { degreeLengths } from './graph.ts';

/** metres around the area's bounding box still accepted */
export const AREA_MARGIN_M = 2000;

export interface LonLatBox {
	west: number;
	south: number;
	east: number;
	north: number;
}

type Entry = { version: number; box: LonLatBox | null };
const caches = new WeakMap<object, Map<string, Entry>>();

/**
 * The bounding box of area `code` grown by `margin` metres; null when there is no such area.
 * Pass the process's Kysely instance (not a transaction) so the cache is found again.
 */
export async function areaBox(db: Kysely<Database>, code: string, margin = AREA_MARGIN_M): Promise<LonLatBox | null> {
	const {
		rows: [v]
	} = await sql<{ v: number }>`select version as v from data_version where id = 1`.execute(db);
	const version = Number(v.v);
	let cache = caches.get(db);
	if (!cache) caches.set(db, (cache = new Map()));
	let hit = cache.get(code);
	if (hit?.version !== version) {
		const { rows } = await sql<{ w: number; s: number; e: number; n: number }>`
			select ST_XMin(geom) as w, ST_YMin(geom) as s, ST_XMax(geom) as e, ST_YMax(geom) as n
			from area where code = ${code}`.execute(db);
		const r = rows[0];
		hit = { version, box: r ? { west: Number(r.w), south: Number(r.s), east: Number(r.e), north: Number(r.n) } : null };
		// one version at a time: older entries are stale
		for (const [k, e] of cache) if (e.version !== version) cache.delete(k);
		cache.set(code, hit);
	}
	if (!hit.box) return null;
	const { west, south, east, north } = hit.box;
	// metres → degrees at the latitude where a degree of longitude is shortest (the safe side)
	const { mx, my } = degreeLengths(Math.min(89, Math.max(Math.abs(south), Math.abs(north))));
	const dx = margin / mx,
		dy = margin / my;
	return { west: west - dx, south: south - dy, east: east + dx, north: north + dy };
}

export interface NamedPoint {
	/** how the request named it, for the error message: "lon/lat", "pin 3" … */
	field: string;
	lon: number;
	lat: number;
}

/**
 * Answers 400 unless every point is a finite lon/lat inside the caller's area box (`scope`: the
 * viewer's area code) and its margin.
 */
export async function requireInArea(db: Kysely<Database>, scope: string, points: readonly NamedPoint[]): Promise<void> {
	for (const p of points) {
		if (!Number.isFinite(p.lon) || !Number.isFinite(p.lat) || Math.abs(p.lon) > 180 || Math.abs(p.lat) > 90) {
			error(400, `${p.field} must be a longitude and latitude in degrees`);
		}
	}
	if (!points.length) return;
	const box = await areaBox(db, scope);
	if (!box) error(403, `your area ${scope} is not on the map`);
	for (const p of points) {
		if (p.lon < box.west || p.lon > box.east || p.lat < box.south || p.lat > box.north) {
			error(400, `${p.field} (${p.lon}, ${p.lat}) lies outside your area ${scope} (its bounding box and ${AREA_MARGIN_M / 1000} km around it)`);
		}
	}
}
