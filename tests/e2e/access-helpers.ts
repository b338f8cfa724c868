// Helpers for the access-control end-to-end tests: API contexts signed in per role (or as a big
// screen), tile arithmetic, MVT decoding and point-in-polygon, all without the app's own code, so
// the tests check the app against an independent reading of the rules.
import type { APIRequestContext, APIResponse, PlaywrightWorkerArgs } from '@playwright/test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { DEMO_PASSWORD } from './helpers.ts';

type Playwright = PlaywrightWorkerArgs['playwright'];

export const ACCOUNT_ROLES = [
	'district_admin',
	'street_secretary',
	'community_secretary',
	'grid_leader',
	'planner',
	'auditor',
	'system_admin',
	'security_admin'
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
				const ax = (ring[i - 1][0] - p[0]) * kx,
					ay = (ring[i - 1][1] - p[1]) * ky;
				const bx = (ring[i][0] - p[0]) * kx,
					by = (ring[i][1] - p[1]) * ky;
				const dx = bx - ax,
					dy = by - ay;
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

// ─── sign-in, contexts, form actions ───────────────────────────────────────────────────────

/** Signs in with any user name and password; the answer's status and redirect, and the context (its cookie kept). */
export async function signInAs(
	playwright: Playwright,
	baseURL: string,
	username: string,
	password: string
): Promise<{ status: number; location: string | undefined; ctx: APIRequestContext }> {
	const ctx = await playwright.request.newContext({ baseURL });
	const response = await ctx.post('/login', {
		form: { username, password },
		headers: { origin: baseURL, accept: 'text/html' },
		maxRedirects: 0
	});
	return { status: response.status(), location: response.headers()['location'], ctx };
}

/** A new context with the cookies of `ctx` (a probe that would change them leaves `ctx` as it was). */
export async function cloneApi(playwright: Playwright, baseURL: string, ctx: APIRequestContext): Promise<APIRequestContext> {
	return playwright.request.newContext({ baseURL, storageState: await ctx.storageState() });
}

/**
 * devalue's flat form (what a SvelteKit form action answers in `data`) back into a value: plain
 * objects, arrays and primitives are enough for the admin page's results.
 */
export function unflatten(text: string): unknown {
	const values = JSON.parse(text) as unknown[];
	if (typeof values === 'number') return specialValue(values);
	const done = new Map<number, unknown>();
	const hydrate = (i: number): unknown => {
		if (i < 0) return specialValue(i);
		if (done.has(i)) return done.get(i);
		const v = values[i];
		if (Array.isArray(v)) {
			if (typeof v[0] === 'string') throw new Error(`devalue type ${v[0]} not supported`);
			const out: unknown[] = [];
			done.set(i, out);
			for (const j of v as number[]) out.push(hydrate(j));
			return out;
		}
		if (v && typeof v === 'object') {
			const out: Record<string, unknown> = {};
			done.set(i, out);
			for (const [k, j] of Object.entries(v as Record<string, number>)) out[k] = hydrate(j);
			return out;
		}
		done.set(i, v);
		return v;
	};
	return hydrate(0);
}

function specialValue(n: number): unknown {
	// devalue: -1 undefined, -2 hole, -3 NaN, -4 +∞, -5 −∞, -6 −0
	return n === -1 || n === -2 ? undefined : n === -3 ? NaN : n === -4 ? Infinity : n === -5 ? -Infinity : -0;
}

export interface ActionResult {
	/** what the action amounts to: 200 success, the failure's status, the error's status, 303 redirect */
	status: number;
	type: 'success' | 'failure' | 'error' | 'redirect' | 'other';
	location?: string;
	data?: Record<string, unknown>;
	message?: string;
	response: APIResponse;
}

/** Posts a form action as `use:enhance` does (JSON answer) and reads the answer. */
export async function postAction(ctx: APIRequestContext, baseURL: string, path: string, form: Record<string, string>): Promise<ActionResult> {
	const response = await ctx.post(path, {
		form,
		headers: { origin: baseURL, accept: 'application/json', 'x-sveltekit-action': 'true' },
		maxRedirects: 0
	});
	const text = await response.text();
	let body: { type?: string; status?: number; location?: string; data?: string; error?: { message?: string } } | null = null;
	try {
		body = JSON.parse(text);
	} catch {
		body = null;
	}
	if (!body || typeof body.type !== 'string') return { status: response.status(), type: 'other', response, message: text.slice(0, 200) };
	if (body.type === 'redirect') return { status: body.status ?? 303, type: 'redirect', location: body.location, response };
	if (body.type === 'error') return { status: response.status(), type: 'error', message: body.error?.message, response };
	const data = body.data ? (unflatten(body.data) as Record<string, unknown>) : undefined;
	return { status: body.status ?? response.status(), type: body.type as 'success' | 'failure', data, message: data?.message as string | undefined, response };
}

// ─── more geometry ─────────────────────────────────────────────────────────────────────────

/** metres from a point to the area's outline: negative inside, positive outside */
export function signedMetres(p: Position, g: AreaGeometry): number {
	const kx = 111_320 * Math.cos((p[1] * Math.PI) / 180);
	const ky = 110_574;
	let best = Infinity;
	for (const polygon of polygonsOf(g)) {
		for (const ring of polygon) {
			for (let i = 1; i < ring.length; i++) {
				const ax = (ring[i - 1][0] - p[0]) * kx,
					ay = (ring[i - 1][1] - p[1]) * ky;
				const bx = (ring[i][0] - p[0]) * kx,
					by = (ring[i][1] - p[1]) * ky;
				const dx = bx - ax,
					dy = by - ay;
				const len = dx * dx + dy * dy;
				const t = len === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len));
				best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
			}
		}
	}
	return pointInArea(p, g) ? -best : best;
}

/** the points of a line every `step` metres or so (its vertices included) */
export function densify(line: Position[], step = 2): Position[] {
	const out: Position[] = [];
	for (let i = 0; i < line.length; i++) {
		if (i > 0) {
			const [ax, ay] = line[i - 1],
				[bx, by] = line[i];
			const metres = Math.hypot((bx - ax) * 111_320 * Math.cos((ay * Math.PI) / 180), (by - ay) * 110_574);
			const n = Math.min(2000, Math.floor(metres / step));
			for (let k = 1; k < n; k++) out.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
		}
		out.push(line[i]);
	}
	return out;
}

/** A CSV text as rows of cells (RFC 4180 quoting). */
export function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	const s = text.replace(/^\uFEFF/, '');
	for (let i = 0; i < s.length; i++) {
		const ch = s[i];
		if (quoted) {
			if (ch === '"' && s[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ',') {
			row.push(cell);
			cell = '';
		} else if (ch === '\n' || ch === '\r') {
			if (ch === '\r' && s[i + 1] === '\n') i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
		} else cell += ch;
	}
	if (cell !== '' || row.length) {
		row.push(cell);
		rows.push(row);
	}
	return rows;
}
