// Helpers for the access-control end-to-end tests: API contexts signed in per role (or as a big
// screen), tile arithmetic, MVT decoding and point-in-polygon, all without the app's own code, so
// the tests check the app against an independent reading of the rules.
import type { APIRequestContext, APIResponse, PlaywrightWorkerArgs } from '@playwright/test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { DEMO_PASSWORD } from './helpers.ts';

type Playwright = PlaywrightWorkerArgs['playwright'];

export const ACCOUNT_ROLES = [
	'district_admin', 'street_secretary', 'community_secretary', 'grid_leader',
	'planner', 'auditor', 'system_admin', 'security_admin'
] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export const demoUsername = (role: AccountRole) => `demo-${role.replace(/_/g, '-')}`;

/** A fresh API context signed in through the login form (same-origin POST), cookie kept in it. */
export async function signInApi(playwright: Playwright, baseURL: string, role: AccountRole): Promise<APIRequestContext> {
	const ctx = await playwright.request.newContext({ baseURL });
	const response = await ctx.post('/login', {
		form: { username: demoUsername(role), password: DEMO_PASSWORD },
		headers: { origin: baseURL, accept: 'text/html' },
		maxRedirects: 0
	});
	if (response.status() !== 303) {
		throw new Error(`sign-in as ${role} answered ${response.status()}: ${(await response.text()).slice(0, 200)}`);
	}
	return ctx;
}

/** An anonymous API context. */
export async function anonymousApi(playwright: Playwright, baseURL: string): Promise<APIRequestContext> {
	return playwright.request.newContext({ baseURL });
}

/**
 * A kiosk token for a new big screen on `areaCode`, created through the security administrator's
 * /admin page (the demo screen's token is printed in the server log only).
 */
export async function createKioskToken(securityAdmin: APIRequestContext, baseURL: string, name: string, areaCode: string): Promise<string> {
	const response = await securityAdmin.post('/admin?/createScreen', {
		form: { name, areaCode },
		headers: { origin: baseURL, accept: 'application/json', 'x-sveltekit-action': 'true' },
		maxRedirects: 0
	});
	const text = await response.text();
	const token = /\/kiosk\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
	if (!token) throw new Error(`/admin?/createScreen answered ${response.status()} without a kiosk link: ${text.slice(0, 300)}`);
	return token;
}

/** A fresh API context that opened the kiosk link: the screen's cookie is kept in it. */
export async function kioskApi(playwright: Playwright, baseURL: string, token: string): Promise<APIRequestContext> {
	const ctx = await playwright.request.newContext({ baseURL });
	const response = await ctx.get(`/kiosk/${token}`, { maxRedirects: 0 });
	if (response.status() !== 303) throw new Error(`kiosk link answered ${response.status()}`);
	return ctx;
}

export async function json<T = unknown>(response: APIResponse): Promise<T> {
	if (response.status() !== 200) throw new Error(`${response.url()} answered ${response.status()}: ${(await response.text()).slice(0, 200)}`);
	return (await response.json()) as T;
}

// ─── tiles ─────────────────────────────────────────────────────────────────────────────────

export interface Tile {
	z: number;
	x: number;
	y: number;
}

export function tileOf(lon: number, lat: number, z: number): Tile {
	const n = 2 ** z;
	const x = Math.floor(((lon + 180) / 360) * n);
	const r = (lat * Math.PI) / 180;
	const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
	return { z, x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)) };
}

/** every tile of zoom z over a lon/lat box */
export function tilesCovering([west, south, east, north]: readonly number[], z: number): Tile[] {
	const a = tileOf(west, north, z);
	const b = tileOf(east, south, z);
	const out: Tile[] = [];
	for (let x = a.x; x <= b.x; x++) for (let y = a.y; y <= b.y; y++) out.push({ z, x, y });
	return out;
}

/** a position inside a tile (tile units of `extent`) as lon/lat */
export function tileToLonLat(t: Tile, px: number, py: number, extent = 4096): [number, number] {
	const n = 2 ** t.z;
	const lon = ((t.x + px / extent) / n) * 360 - 180;
	const m = Math.PI * (1 - (2 * (t.y + py / extent)) / n);
	const lat = (Math.atan(Math.sinh(m)) * 180) / Math.PI;
	return [lon, lat];
}

export const tilePath = (layer: string, t: Tile) => `/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt`;

export interface DecodedFeature {
	id: number | undefined;
	type: number;
	properties: Record<string, string | number | boolean>;
	/** rings or lines in tile units */
	geometry: { x: number; y: number }[][];
	extent: number;
}

/** The features of one layer (an empty or missing body: none); throws if other layers are present. */
export function decodeTile(body: Buffer | null, layer: string): DecodedFeature[] {
	if (!body || body.length === 0) return [];
	const tile = new VectorTile(new PbfReader(new Uint8Array(body)));
	const names = Object.keys(tile.layers);
	if (names.some((n) => n !== layer)) throw new Error(`tile of ${layer} holds layers ${names.join(', ')}`);
	const l = tile.layers[layer];
	if (!l) return [];
	const out: DecodedFeature[] = [];
	for (let i = 0; i < l.length; i++) {
		const f = l.feature(i);
		out.push({
			id: f.id,
			type: f.type,
			properties: { ...f.properties } as DecodedFeature['properties'],
			geometry: f.loadGeometry().map((ring) => ring.map((p) => ({ x: p.x, y: p.y }))),
			extent: l.extent
		});
	}
	return out;
}

// ─── geometry ──────────────────────────────────────────────────────────────────────────────

export type Position = [number, number];
export type AreaGeometry = { type: 'Polygon'; coordinates: Position[][] } | { type: 'MultiPolygon'; coordinates: Position[][][] };

function polygonsOf(g: AreaGeometry): Position[][][] {
	return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

function inRing([x, y]: Position, ring: Position[]): boolean {
	let inside = false;
	for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
		const [xi, yi] = ring[i];
		const [xj, yj] = ring[j];
		if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
	}
	return inside;
}

export function pointInArea(p: Position, g: AreaGeometry): boolean {
	return polygonsOf(g).some(([outer, ...holes]) => inRing(p, outer) && !holes.some((h) => inRing(p, h)));
}

/** metres from a point to the area's outline (0 inside), on a local equirectangular plane */
export function metresOutside(p: Position, g: AreaGeometry): number {
	if (pointInArea(p, g)) return 0;
	const kx = 111_320 * Math.cos((p[1] * Math.PI) / 180);
	const ky = 110_574;
	let best = Infinity;
	for (const polygon of polygonsOf(g)) {
		for (const ring of polygon) {
			for (let i = 1; i < ring.length; i++) {
				const ax = (ring[i - 1][0] - p[0]) * kx, ay = (ring[i - 1][1] - p[1]) * ky;
				const bx = (ring[i][0] - p[0]) * kx, by = (ring[i][1] - p[1]) * ky;
				const dx = bx - ax, dy = by - ay;
				const len = dx * dx + dy * dy;
				const t = len === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len));
				best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
			}
		}
	}
	return best;
}

/** attribute names that would carry a person's name, phone or political status */
export const PERSONAL_KEY = /name|phone|mobile|tel|status|political|formal|probation|birth|gender|id_?card|address|room/i;

/** building id → grid code over a box, from the buildings tiles (z14) as `ctx` sees them */
export async function buildingGrids(ctx: APIRequestContext, box: readonly number[]): Promise<Map<number, string>> {
	const out = new Map<number, string>();
	for (const t of tilesCovering(box, 14)) {
		const r = await ctx.get(tilePath('buildings', t));
		if (r.status() === 204) continue;
		if (r.status() !== 200) throw new Error(`${tilePath('buildings', t)} answered ${r.status()}`);
		for (const f of decodeTile(await r.body(), 'buildings')) out.set(Number(f.properties.id), String(f.properties.grid_code));
	}
	return out;
}
