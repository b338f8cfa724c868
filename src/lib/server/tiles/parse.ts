// Turns the path after /tiles/ into a tile request, or a one-line reason why not. Every refusal
// is a 400 with that reason: a malformed path must not fall through to the app's 404 page.
import { MAX_ZOOM } from './bounds.ts';
import { isLayerName, LAYER_NAMES, type LayerName } from './sources.ts';

export type TilePath =
	{ kind: 'tile'; layer: LayerName; z: number; x: number; y: number } | { kind: 'tilejson'; layer: LayerName } | { kind: 'bad'; reason: string };

// digits only (no sign, no exponent, no spaces); 7 digits reach 2^22 − 1 = 4194303
const TILE = /^([A-Za-z0-9_-]{1,40})\/([0-9]{1,3})\/([0-9]{1,8})\/([0-9]{1,8})\.mvt$/;
const TILEJSON = /^([A-Za-z0-9_-]{1,40})\.json$/;

export function parseTilePath(path: string): TilePath {
	const clean = path.replace(/^\/+/, '');
	const json = TILEJSON.exec(clean);
	if (json) {
		return isLayerName(json[1]) ? { kind: 'tilejson', layer: json[1] } : unknownLayer(json[1]);
	}
	const m = TILE.exec(clean);
	if (!m) {
		return {
			kind: 'bad',
			reason: `malformed tile path "${printable(clean)}": expected /tiles/{layer}/{z}/{x}/{y}.mvt or /tiles/{layer}.json`
		};
	}
	const [, layer, zs, xs, ys] = m;
	if (!isLayerName(layer)) return unknownLayer(layer);
	const z = Number(zs);
	const x = Number(xs);
	const y = Number(ys);
	if (z > MAX_ZOOM) return { kind: 'bad', reason: `zoom ${z} is above ${MAX_ZOOM}` };
	const last = 2 ** z - 1;
	if (x > last) return { kind: 'bad', reason: `x ${x} is outside 0..${last} at zoom ${z}` };
	if (y > last) return { kind: 'bad', reason: `y ${y} is outside 0..${last} at zoom ${z}` };
	return { kind: 'tile', layer, z, x, y };
}

function unknownLayer(name: string): TilePath {
	return { kind: 'bad', reason: `unknown layer "${name}" (layers: ${LAYER_NAMES.join(', ')})` };
}

/** keeps the reason one short line whatever the client sent */
function printable(s: string): string {
	const one = s.replace(/[\u0000-\u001f\u007f]/g, '?');
	return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}
