// Mapbox Vector Tile encoding in TypeScript for the embedded PostGIS, which has no protobuf.
// Mirrors ST_AsMVT (postgis/mvt.c): one layer, version 2, extent 4096; keys in the order the
// columns come, values deduplicated; nulls left out; integers as uint (sint when negative),
// other numbers as double, booleans as bool; the `fid` column becomes the feature id; geometry
// commands with zigzag deltas, a polygon ring without its closing point and then ClosePath.
// Geometry arrives as WKB already in tile space (see tile-sql.ts), so nothing is transformed here.
// Spec: https://github.com/mapbox/vector-tile-spec/blob/master/2.1/README.md
import { PbfWriter } from 'pbf';
import { EXTENT } from './bounds.ts';

type Ring = number[]; // flat x0, y0, x1, y1, …
type Geom = { type: 1 | 2 | 3; parts: Ring[] };
type Value = string | number | boolean;

const SKIP = new Set(['geom', 'wkb', 'fid']);

interface Feature {
	id?: number;
	tags: number[];
	type: 1 | 2 | 3;
	geometry: number[];
}

interface Layer {
	name: string;
	features: Feature[];
	keys: string[];
	values: Value[];
}

/** Encodes rows of `{ wkb, fid?, …attributes }` into one MVT layer; null when no row has geometry. */
export function encodeLayer(name: string, rows: readonly Record<string, unknown>[]): Uint8Array | null {
	const keyIndex = new Map<string, number>();
	const valueIndex = new Map<string, number>();
	const layer: Layer = { name, features: [], keys: [], values: [] };
	for (const row of rows) {
		const geom = readWkb(toBytes(row.wkb));
		if (!geom) continue;
		const geometry = encodeGeometry(geom);
		if (geometry.length === 0) continue;
		const tags: number[] = [];
		for (const key in row) {
			if (SKIP.has(key)) continue;
			const raw = row[key];
			if (raw === null || raw === undefined) continue;
			const value = toValue(raw);
			let k = keyIndex.get(key);
			if (k === undefined) {
				k = layer.keys.length;
				layer.keys.push(key);
				keyIndex.set(key, k);
			}
			const vkey = `${typeof value}:${String(value)}`;
			let v = valueIndex.get(vkey);
			if (v === undefined) {
				v = layer.values.length;
				layer.values.push(value);
				valueIndex.set(vkey, v);
			}
			tags.push(k, v);
		}
		const feature: Feature = { tags, type: geom.type, geometry };
		if (row.fid !== null && row.fid !== undefined) feature.id = Number(row.fid);
		layer.features.push(feature);
	}
	if (layer.features.length === 0) return null;
	const pbf = new PbfWriter();
	pbf.writeMessage(3, writeLayer, layer);
	return pbf.finish();
}

function toValue(raw: unknown): Value {
	if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
	if (typeof raw === 'number') return raw;
	if (typeof raw === 'bigint') return Number(raw);
	return String(raw);
}

function writeLayer(layer: Layer, pbf: PbfWriter): void {
	pbf.writeVarintField(15, 2);
	pbf.writeStringField(1, layer.name);
	for (const f of layer.features) pbf.writeMessage(2, writeFeature, f);
	for (const k of layer.keys) pbf.writeStringField(3, k);
	for (const v of layer.values) pbf.writeMessage(4, writeValue, v);
	pbf.writeVarintField(5, EXTENT);
}

function writeFeature(f: Feature, pbf: PbfWriter): void {
	if (f.id !== undefined) pbf.writeVarintField(1, f.id);
	pbf.writePackedVarint(2, f.tags);
	pbf.writeVarintField(3, f.type);
	pbf.writePackedVarint(4, f.geometry);
}

function writeValue(v: Value, pbf: PbfWriter): void {
	if (typeof v === 'string') pbf.writeStringField(1, v);
	else if (typeof v === 'boolean') pbf.writeBooleanField(7, v);
	else if (Number.isInteger(v)) {
		if (v >= 0) pbf.writeVarintField(5, v);
		else pbf.writeSVarintField(6, v);
	} else pbf.writeDoubleField(3, v);
}

const command = (id: number, count: number) => (id & 7) | (count << 3);
const zigzag = (n: number) => (n << 1) ^ (n >> 31);

function encodeGeometry(g: Geom): number[] {
	const out: number[] = [];
	let cx = 0;
	let cy = 0;
	const push = (x: number, y: number) => {
		out.push(zigzag(x - cx), zigzag(y - cy));
		cx = x;
		cy = y;
	};
	if (g.type === 1) {
		const pts = g.parts.flatMap((p) => p);
		if (pts.length === 0) return out;
		out.push(command(1, pts.length / 2));
		for (let i = 0; i < pts.length; i += 2) push(pts[i], pts[i + 1]);
		return out;
	}
	for (const part of g.parts) {
		// a polygon ring drops its closing point; ClosePath draws it
		const n = g.type === 3 ? part.length / 2 - 1 : part.length / 2;
		if (g.type === 3 ? n < 3 : n < 2) continue;
		out.push(command(1, 1));
		push(part[0], part[1]);
		out.push(command(2, n - 1));
		for (let i = 1; i < n; i++) push(part[2 * i], part[2 * i + 1]);
		if (g.type === 3) out.push(command(7, 1));
	}
	return out;
}

function toBytes(v: unknown): Uint8Array {
	if (v instanceof Uint8Array) return v;
	if (typeof v === 'string' && /^(\\x)?[0-9a-fA-F]*$/.test(v)) return Buffer.from(v.replace(/^\\x/, ''), 'hex');
	throw new Error('tile row without WKB geometry');
}

/** 2D WKB (what ST_AsBinary gives) → rings of integer tile coordinates; collections are flattened. */
export function readWkb(bytes: Uint8Array): Geom | null {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let pos = 0;
	let type: 1 | 2 | 3 | 0 = 0;
	const parts: Ring[] = [];
	const readGeometry = () => {
		const le = view.getUint8(pos) === 1;
		pos += 1;
		const wkbType = view.getUint32(pos, le) % 1000;
		pos += 4;
		const u32 = () => {
			const n = view.getUint32(pos, le);
			pos += 4;
			return n;
		};
		const points = (n: number): Ring => {
			const ring: Ring = new Array(n * 2);
			for (let i = 0; i < n; i++) {
				ring[2 * i] = Math.round(view.getFloat64(pos, le));
				ring[2 * i + 1] = Math.round(view.getFloat64(pos + 8, le));
				pos += 16;
			}
			return ring;
		};
		switch (wkbType) {
			case 1: {
				const p = points(1);
				if (!Number.isNaN(p[0])) {
					type ||= 1;
					parts.push(p);
				}
				break;
			}
			case 2:
				type ||= 2;
				parts.push(points(u32()));
				break;
			case 3: {
				type ||= 3;
				const rings = u32();
				for (let r = 0; r < rings; r++) parts.push(points(u32()));
				break;
			}
			case 4:
			case 5:
			case 6:
			case 7: {
				const n = u32();
				for (let i = 0; i < n; i++) readGeometry();
				break;
			}
			default:
				throw new Error(`unsupported WKB geometry type ${wkbType}`);
		}
	};
	readGeometry();
	return type === 0 || parts.length === 0 ? null : { type, parts };
}
