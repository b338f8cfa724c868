// The HTTP face of the tiles, as a plain function of (path, request headers) → response parts, so
// the SvelteKit route, the benchmark's node:http server and the tests all run the same code.
//
//   GET /tiles/{layer}/{z}/{x}/{y}.mvt   200 gzip MVT | 204 nothing there | 304 | 400 reason
//   GET /tiles/{layer}.json              200 TileJSON | 400 reason
import { gunzipSync } from 'node:zlib';
import { parseTilePath } from './parse.ts';
import type { TileService } from './service.ts';
import { SOURCES, emptyByDesign, type LayerName } from './sources.ts';
import { tileJson } from './tilejson.ts';
import { AREA_CODE } from '../../api/inputs.ts';

export interface TileResponse {
	status: 200 | 204 | 304 | 400;
	headers: Record<string, string>;
	body: Uint8Array | string | null;
}

export interface TileRequestOptions {
	/** origin for the tile URLs in TileJSON */
	origin?: string;
	/** area-code prefix the caller may see ('' = everything); set by the access-control layer later */
	scope?: string;
	/** whether the caller sees persons (viewer.persons); by default not: small counts are left out */
	persons?: boolean;
}

/** browsers and maps may keep a tile half a minute; after that the ETag makes a check cheap */
export const TILE_CACHE_CONTROL = 'private, max-age=30';
/** a layer that carries persons (sources.ts `persons`) is never stored: not after sign-out, not for the next user */
export const PERSON_TILE_CACHE_CONTROL = 'private, no-store';

/** The Cache-Control of a layer's tiles, from its declaration. */
export function tileCacheControl(layer: LayerName): string {
	return SOURCES[layer].persons ? PERSON_TILE_CACHE_CONTROL : TILE_CACHE_CONTROL;
}

/** @param path what follows `/tiles/`, e.g. `buildings/16/53342/27305.mvt` */
export async function serveTiles(service: TileService, path: string, headers: Headers, options: TileRequestOptions = {}): Promise<TileResponse> {
	const scope = options.scope ?? '';
	if (scope !== '' && !AREA_CODE.test(scope)) throw new Error(`bad tile scope "${scope}"`);
	const req = parseTilePath(path);
	if (req.kind === 'bad') return bad(req.reason);
	if (req.kind === 'tilejson') {
		const doc = await tileJson(service.db, req.layer, options.origin ?? '', scope, options.persons ?? false);
		return {
			status: 200,
			headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, max-age=60' },
			body: JSON.stringify(doc)
		};
	}
	// the same URL answers each viewer differently (scope, small counts): a browser keeping a tile
	// must not hand it to whoever signs in next
	const common = { 'cache-control': tileCacheControl(req.layer), vary: 'accept-encoding, cookie' };
	if (emptyByDesign(req.layer, req.z, scope)) return { status: 204, headers: { ...common, 'x-tile-cache': 'none' }, body: null };
	const { tile, source, version, coverage, stats } = await service.tile(req.layer, req, scope, options.persons ?? false);
	// which data the tile shows: coverage layers show stored results, which may be a little behind
	const cacheHeader = {
		'x-tile-cache': source,
		'x-data-version': String(version),
		...(coverage ? { 'x-coverage-version': String(coverage.computed_version ?? 'none'), 'x-coverage-updating': coverage.updating ? '1' : '0' } : {}),
		...(stats ? { 'x-figures-updating': stats.updating ? '1' : '0' } : {})
	};
	if (!tile.gzip || !tile.etag) return { status: 204, headers: { ...common, ...cacheHeader }, body: null };
	const etag = { ...common, ...cacheHeader, etag: tile.etag };
	if (matches(headers.get('if-none-match'), tile.etag)) return { status: 304, headers: etag, body: null };
	const gzipOk = /\bgzip\b/i.test(headers.get('accept-encoding') ?? '');
	return {
		status: 200,
		headers: {
			...etag,
			'content-type': 'application/vnd.mapbox-vector-tile',
			...(gzipOk ? { 'content-encoding': 'gzip' } : {})
		},
		body: gzipOk ? tile.gzip : new Uint8Array(gunzipSync(tile.gzip))
	};
}

function bad(reason: string): TileResponse {
	return {
		status: 400,
		headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
		body: `${reason}\n`
	};
}

function matches(ifNoneMatch: string | null, etag: string): boolean {
	if (!ifNoneMatch) return false;
	return ifNoneMatch
		.split(',')
		.map((t) => t.trim().replace(/^W\//, ''))
		.some((t) => t === etag || t === '*');
}

/** The parts as a fetch Response, for SvelteKit routes. */
export function toResponse(r: TileResponse): Response {
	const body = r.body === null ? null : typeof r.body === 'string' ? r.body : (r.body as Uint8Array<ArrayBuffer>);
	return new Response(body, { status: r.status, headers: r.headers });
}
