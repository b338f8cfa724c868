// The checks a feature can fail before the database sees it: a geometry that is missing, of the
// wrong type, malformed (unclosed rings, too few points), or with coordinates that are NaN,
// infinite or absurd (1e308); required fields missing; values of the wrong type or out of range.
// Each failure is one report row naming the file, feature, field and reason. What needs the other
// layers (containment, overlaps, duplicates) is checked in PostGIS (writer.ts).
import { growBBox, type BBox } from './crs.ts';
import { mapValue, readField, type ResolvedMapping } from './mapping.ts';
import { wkbBase64 } from './wkb.ts';
import type { ImportLayer, RawGeometry, SourceFeature } from './types.ts';

/** A feature ready for staging, or the reason it is rejected. */
export interface Prepared {
	n: number;
	file: string;
	key: string | null;
	attrs: Record<string, string | number | null>;
	gtext: string | null;
	gkind: 'json' | 'wkt' | 'wkb' | null;
	reject: string | null;
	field: string | null;
	/** a representative coordinate (first vertex), for the CRS guess and the GCJ-02 test */
	first: [number, number] | null;
}

const GEOMETRY_TYPES: Record<ImportLayer, string[]> = {
	areas: ['Polygon', 'MultiPolygon'],
	buildings: ['Polygon', 'MultiPolygon'],
	roads: ['LineString', 'MultiLineString'],
	service_centres: ['Point', 'Polygon', 'MultiPolygon']
};

/** Coordinates beyond this are nobody's metres or degrees (1e308 and its like). */
const ABSURD = 1e9;

class Bad extends Error {
	field: string;
	constructor(field: string, message: string) {
		super(message);
		this.field = field;
	}
}

function checkPosition(p: unknown, bbox: BBox): [number, number] {
	if (!Array.isArray(p) || p.length < 2) throw new Bad('geometry', 'a position is not an array of at least two numbers');
	const [x, y] = p as unknown[];
	if (typeof x !== 'number' || typeof y !== 'number') throw new Bad('geometry', `coordinate is not a number (${String(x)}, ${String(y)})`);
	if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Bad('geometry', `coordinate is NaN or infinite (${x}, ${y})`);
	if (Math.abs(x) > ABSURD || Math.abs(y) > ABSURD) throw new Bad('geometry', `coordinate out of range (${x}, ${y})`);
	growBBox(bbox, x, y);
	return [x, y];
}

function checkLine(line: unknown, bbox: BBox, ring: boolean): [number, number] {
	if (!Array.isArray(line)) throw new Bad('geometry', 'a line is not an array of positions');
	const pts = line.map((p) => checkPosition(p, bbox));
	if (ring) {
		if (pts.length < 4) throw new Bad('geometry', `a polygon ring has ${pts.length} positions, fewer than 4`);
		const [a, b] = [pts[0], pts[pts.length - 1]];
		if (a[0] !== b[0] || a[1] !== b[1]) throw new Bad('geometry', 'a polygon ring is not closed');
	} else if (pts.length < 2) throw new Bad('geometry', `a line has ${pts.length} position(s), fewer than 2`);
	return pts[0];
}

function checkGeometry(g: RawGeometry, bbox: BBox): [number, number] {
	const c = g.coordinates;
	const arr = (v: unknown, what: string): unknown[] => {
		if (!Array.isArray(v) || v.length === 0) throw new Bad('geometry', `${what} has no coordinates`);
		return v;
	};
	switch (g.type) {
		case 'Point':
			return checkPosition(c, bbox);
		case 'LineString':
			return checkLine(c, bbox, false);
		case 'MultiLineString':
			return arr(c, 'MultiLineString').map((l) => checkLine(l, bbox, false))[0];
		case 'Polygon':
			return arr(c, 'Polygon').map((r) => checkLine(r, bbox, true))[0];
		case 'MultiPolygon':
			return arr(c, 'MultiPolygon').map((p) => arr(p, 'a polygon').map((r) => checkLine(r, bbox, true))[0])[0];
		default:
			throw new Bad('geometry', `unsupported geometry type ${String(g.type)}`);
	}
}

/** Numbers in a WKT string: NaN, Infinity and absurd values are refused, the first vertex and bbox kept. */
function checkWkt(wkt: string, bbox: BBox): { type: string; first: [number, number] } {
	const m = /^\s*(?:SRID=\d+;\s*)?([A-Za-z]+)/.exec(wkt);
	if (!m) throw new Bad('wkt', 'not WKT');
	if (/nan|inf/i.test(wkt.slice(m[0].length))) throw new Bad('wkt', 'coordinate is NaN or infinite');
	const nums = (wkt.slice(m[0].length).match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi) ?? []).map(Number);
	if (nums.length < 2) throw new Bad('wkt', 'WKT without coordinates');
	for (let i = 0; i + 1 < nums.length; i += 2) checkPosition([nums[i], nums[i + 1]], bbox);
	const t = m[1].toUpperCase();
	const type = { POINT: 'Point', LINESTRING: 'LineString', MULTILINESTRING: 'MultiLineString', POLYGON: 'Polygon', MULTIPOLYGON: 'MultiPolygon' }[t] ?? t;
	return { type, first: [nums[0], nums[1]] };
}

function num(v: string, field: string): number {
	const x = Number(v);
	if (!Number.isFinite(x)) throw new Bad(field, `"${v.slice(0, 40)}" is not a number`);
	return x;
}

/** Maps and checks one feature. `bbox` grows by its coordinates when it is accepted this far. */
export function prepare(layer: ImportLayer, m: ResolvedMapping, f: SourceFeature, bbox: BBox): Prepared {
	const out: Prepared = { n: f.n, file: f.file, key: null, attrs: {}, gtext: null, gkind: null, reject: null, field: null, first: null };
	const own: BBox = [Infinity, Infinity, -Infinity, -Infinity];
	try {
		if (typeof f.properties.__error === 'string') throw new Bad('', f.properties.__error);
		// geometry: the feature's own, else WKT or lon/lat columns
		let type: string;
		const wkt = m.geometry.wkt ? f.properties[m.geometry.wkt] : undefined;
		if (f.geometry) {
			out.first = checkGeometry(f.geometry, own);
			type = f.geometry.type;
			// a polygon of a polygonal layer goes in as the one-part MultiPolygon ST_Multi would make
			// of it (a shapefile's single-part shapes are Polygons: no pass over the rows to convert them)
			const polygonal = (layer === 'areas' || layer === 'buildings') && type === 'Polygon';
			out.gtext = wkbBase64(polygonal ? { type: 'MultiPolygon', coordinates: [f.geometry.coordinates] } : f.geometry);
			out.gkind = 'wkb';
		} else if (typeof wkt === 'string' && wkt.trim()) {
			const w = checkWkt(wkt, own);
			type = w.type;
			out.first = w.first;
			out.gtext = wkt.trim();
			out.gkind = 'wkt';
		} else if (m.geometry.lon && m.geometry.lat && f.properties[m.geometry.lon] != null && f.properties[m.geometry.lat] != null) {
			const x = Number(String(f.properties[m.geometry.lon]).trim());
			const y = Number(String(f.properties[m.geometry.lat]).trim());
			if (String(f.properties[m.geometry.lon]).trim() === '' || String(f.properties[m.geometry.lat]).trim() === '')
				throw new Bad(m.geometry.lon, 'no coordinates');
			out.first = checkPosition([x, y], own);
			type = 'Point';
			out.gtext = JSON.stringify({ type: 'Point', coordinates: [x, y] });
			out.gkind = 'json';
		} else {
			throw new Bad('geometry', 'no geometry (and no lon/lat or WKT column)');
		}
		if (!GEOMETRY_TYPES[layer].includes(type))
			throw new Bad('geometry', `wrong geometry type: ${type} for ${layer} (expected ${GEOMETRY_TYPES[layer].join(' or ')})`);

		const get = (field: string) => readField(m, field, f.properties);
		const mapped = (field: string, required: boolean): string | null => {
			const raw = get(field);
			if (raw === null) {
				if (required) throw new Bad(field, `${field} is missing`);
				return null;
			}
			const v = mapValue(m, field, raw);
			if (v === null) throw new Bad(field, `${field} "${raw.slice(0, 40)}" is not imported (no ${field} of ours matches)`);
			if (v === undefined && m.values[field]) throw new Bad(field, `${field} "${raw.slice(0, 40)}" is not one of ours`);
			return v ?? raw;
		};
		const id = get('source_id');
		switch (layer) {
			case 'areas': {
				const level = mapped('level', true)!;
				let kind = mapped('kind', false);
				if (level === 'community') {
					const rawLevel = get('level') ?? '';
					kind ??= rawLevel === '村' || rawLevel === 'village' ? 'village' : 'community';
				} else kind = null;
				const code = get('code');
				if (code !== null && !/^[0-9]+$/.test(code)) throw new Bad('code', `code "${code.slice(0, 40)}" is not digits`);
				const name = get('name');
				if (!name) throw new Bad('name', 'name is missing');
				if (name.length > 100) throw new Bad('name', 'name is longer than 100 characters');
				out.attrs = { code, name, level, kind, parent_code: get('parent_code') };
				out.key = code;
				break;
			}
			case 'buildings': {
				const kind = mapped('kind', false) ?? 'mixed';
				let floors = get('floors') !== null ? num(get('floors')!, 'floors') : null;
				let height = get('height') !== null ? num(get('height')!, 'height') : null;
				if (floors !== null && (!Number.isInteger(floors) || floors < 1 || floors > 120))
					throw new Bad('floors', `floors ${floors} is not a whole number from 1 to 120`);
				if (height !== null && (height <= 0 || height >= 600)) throw new Bad('height', `height ${height} m is not between 0 and 600`);
				floors ??= height !== null ? Math.min(120, Math.max(1, Math.round(height / 3))) : 1;
				height ??= floors * 3;
				const units = get('units') !== null ? num(get('units')!, 'units') : 1;
				if (!Number.isInteger(units) || units < 1 || units > 20) throw new Bad('units', `units ${units} is not a whole number from 1 to 20`);
				out.attrs = { name: get('name'), address: get('address') ?? get('name') ?? '', kind, floors, height, units, grid_code: get('grid_code') };
				out.key = id !== null ? m.sourcePrefix + id : `${f.file}#${f.n}`;
				break;
			}
			case 'roads': {
				const cls = mapped('class', true)!;
				if (!['arterial', 'secondary', 'local', 'footway'].includes(cls)) throw new Bad('class', `class "${cls}" is not arterial, secondary, local or footway`);
				out.attrs = { class: cls, name: get('name') };
				out.key = id !== null ? m.sourcePrefix + id : `${f.file}#${f.n}`;
				break;
			}
			case 'service_centres': {
				const level = mapped('level', false) ?? 'station';
				if (!['district', 'street', 'community', 'station'].includes(level))
					throw new Bad('level', `level "${level}" is not district, street, community or station`);
				const name = get('name');
				if (!name) throw new Bad('name', 'name is missing');
				const services = (get('services') ?? '')
					.split(/[,;，；、|]/)
					.map((s) => s.trim())
					.filter(Boolean);
				out.attrs = { name, level, area_code: get('area_code'), services: JSON.stringify(services), opening_hours: get('opening_hours') ?? '' };
				out.key = id !== null ? m.sourcePrefix + id : `${f.file}#${f.n}`;
				break;
			}
		}
	} catch (e) {
		if (!(e instanceof Bad)) throw e;
		out.reject = e.message;
		out.field = e.field;
		out.gtext = null;
		return out;
	}
	growBBox(bbox, own[0], own[1]);
	growBBox(bbox, own[2], own[3]);
	return out;
}
