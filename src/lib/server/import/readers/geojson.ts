// GeoJSON, streamed: a FeatureCollection (one feature in memory at a time), or newline-delimited GeoJSON (GeoJSONSeq, with or without the RS separator) line by line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { RawGeometry, SourceFeature } from '../types.ts';
import { UnreadableFile } from '../types.ts';

export interface StreamCounters {
	bytes: number;
	/** a `crs` member met at the top level */
	crs?: unknown;
}

function toFeature(value: unknown, n: number, file: string): SourceFeature {
	const f = (value && typeof value === 'object' ? value : {}) as { type?: unknown; properties?: unknown; geometry?: unknown; id?: unknown };
	const properties = f.properties && typeof f.properties === 'object' ? { ...(f.properties as Record<string, unknown>) } : {};
	if (f.id !== undefined && properties.id === undefined) properties.id = f.id;
	const geometry = f.type === 'Feature' ? ((f.geometry ?? null) as RawGeometry | null) : f.type && f.type !== 'Feature' ? (f as RawGeometry) : null;
	return { n, file, properties, geometry };
}

/**
 * Features of a GeoJSON FeatureCollection read from a byte stream, one feature in memory at a time.
 * Every value is parsed by JSON.parse: this only finds where each element of the root's `features`
 * array begins and ends (brackets counted outside strings), and keeps the rest of the root (its
 * `type`, `crs`…) with an empty array in place of the features, parsed last — so a broken root
 * is as much an error as a broken feature. A tokenizer in JavaScript (@streamparser/json, before)
 * read 60 MB of Chaoyang's buildings in 3.1 s; this in 0.9 s.
 */
export async function* featureCollection(input: Readable, file: string, counters: StreamCounters): AsyncGenerator<SourceFeature> {
	let n = 0;
	const broken = (why: string) =>
		new UnreadableFile(`${file}: not valid JSON${n ? ` after feature ${n}` : ''} (truncated or broken at about byte ${counters.bytes}): ${why.slice(0, 200)}`);
	// the root without its features (the skeleton), and the element being read
	const skeleton: Buffer[] = [];
	let skeletonBytes = 0;
	let element: Buffer[] = [];
	let elementBytes = 0;
	let depth = 0;
	let inString = false;
	let escaped = false;
	let started = false;
	let ended = false;
	// in the features array: its depth is 2; an element is open between its first byte and the comma or bracket after it
	let inFeatures = false;
	let open = false;
	// the last string closed at depth 1 (a member's name when a colon follows), and where it began
	let keyStart = -1;
	let lastKey = '';
	const keyBytes: Buffer[] = [];
	const emit = (): SourceFeature => {
		const text = Buffer.concat(element, elementBytes).toString('utf8');
		element = [];
		elementBytes = 0;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch (e) {
			throw broken((e as Error).message);
		}
		return toFeature(value, ++n, file);
	};
	const keep = (chunk: Buffer, from: number, to: number) => {
		if (to <= from) return;
		skeletonBytes += to - from;
		if (skeletonBytes > MAX_SKELETON) throw broken(`the members beside "features" pass ${MAX_SKELETON >> 20} MB`);
		skeleton.push(chunk.subarray(from, to));
	};
	const queue: SourceFeature[] = [];
	for await (const raw of input) {
		const chunk = raw as Buffer;
		counters.bytes += chunk.length;
		// the part of this chunk that belongs to the skeleton starts here (-1: inside the features)
		let from = inFeatures ? -1 : 0;
		let elementFrom = open ? 0 : -1;
		for (let i = 0; i < chunk.length; i++) {
			const c = chunk[i];
			if (inString) {
				if (escaped) escaped = false;
				else if (c === 0x5c) escaped = true;
				else if (c === 0x22) {
					inString = false;
					if (depth === 1 && keyStart >= 0) {
						keyBytes.push(chunk.subarray(keyStart, i));
						lastKey = Buffer.concat(keyBytes).toString('utf8');
						keyBytes.length = 0;
						keyStart = -1;
					}
				}
				continue;
			}
			if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
			if (ended) throw broken('more after the end of the root value');
			if (!started) {
				// a byte-order mark or the RS of a sequence before the root: skipped
				if (c === 0xef || c === 0xbb || c === 0xbf || c === 0x1e) continue;
				if (c !== 0x7b) throw new UnreadableFile(`${file}: no GeoJSON FeatureCollection found (the file is not a JSON object)`);
				started = true;
				from = i;
			}
			if (inFeatures && depth === 2 && !open && c !== 0x2c && c !== 0x5d) {
				open = true;
				elementFrom = i;
			}
			if (c === 0x22) {
				inString = true;
				if (depth === 1) {
					keyStart = i + 1;
					keyBytes.length = 0;
				}
			} else if (c === 0x7b || c === 0x5b) {
				depth++;
				if (depth === 2 && c === 0x5b && lastKey === 'features' && !inFeatures) {
					// the skeleton keeps "features": [ … and takes up again at its closing bracket
					keep(chunk, from, i + 1);
					from = -1;
					inFeatures = true;
				}
			} else if (c === 0x7d || c === 0x5d) {
				if (inFeatures && depth === 2) {
					if (open) {
						element.push(chunk.subarray(elementFrom, i));
						elementBytes += i - elementFrom;
						open = false;
						queue.push(emit());
					}
					if (c !== 0x5d) throw broken('the features array ends with a brace');
					inFeatures = false;
					from = i;
				}
				depth--;
				if (depth < 0) throw broken('a closing bracket with nothing open');
				if (depth === 0) ended = true;
			} else if (c === 0x2c && inFeatures && depth === 2) {
				if (!open) throw broken('an empty element in the features array');
				element.push(chunk.subarray(elementFrom, i));
				elementBytes += i - elementFrom;
				open = false;
				queue.push(emit());
			}
		}
		if (inString && depth === 1 && keyStart >= 0) {
			keyBytes.push(chunk.subarray(keyStart));
			keyStart = 0;
		}
		if (open) {
			element.push(elementFrom >= 0 ? chunk.subarray(elementFrom) : chunk);
			elementBytes += chunk.length - Math.max(elementFrom, 0);
			if (elementBytes > MAX_FEATURE) throw broken(`feature ${n + 1} passes ${MAX_FEATURE >> 20} MB`);
		}
		if (from >= 0 && started) keep(chunk, from, chunk.length);
		while (queue.length) yield queue.shift()!;
	}
	if (!started) throw new UnreadableFile(`${file}: no GeoJSON FeatureCollection found`);
	if (!ended || inString) throw broken('it ends before the root value closes');
	let root: { type?: unknown; crs?: unknown };
	try {
		root = JSON.parse(Buffer.concat(skeleton, skeletonBytes).toString('utf8')) as typeof root;
	} catch (e) {
		throw broken((e as Error).message);
	}
	if (root.crs !== undefined) counters.crs = root.crs;
	if (root.type !== undefined && root.type !== 'FeatureCollection')
		throw new UnreadableFile(`${file}: a GeoJSON ${String(root.type)}, not a FeatureCollection`);
	if (root.type === undefined && n === 0) throw new UnreadableFile(`${file}: no GeoJSON FeatureCollection found`);
}

// one feature, and the root's other members together, at most this large in memory
const MAX_FEATURE = 256 << 20;
const MAX_SKELETON = 16 << 20;

export function geojsonFile(path: string, file: string, counters: StreamCounters): AsyncGenerator<SourceFeature> {
	return featureCollection(createReadStream(path, { highWaterMark: 1 << 20 }), file, counters);
}

/** Newline-delimited GeoJSON: one Feature (or geometry) per line; RS (0x1e) separators allowed. */
export async function* geojsonLines(path: string, file: string, counters: StreamCounters): AsyncGenerator<SourceFeature> {
	const stream = createReadStream(path, { highWaterMark: 1 << 20 });
	stream.on('data', (c) => (counters.bytes += c.length));
	const lines = createInterface({ input: stream, crlfDelay: Infinity });
	let n = 0;
	let lineNo = 0;
	for await (const raw of lines) {
		lineNo++;
		const line = raw.replace(/^[\x1e\ufeff]+/, '').trim();
		if (!line) continue;
		let value: unknown;
		try {
			value = JSON.parse(line);
		} catch {
			// a broken line is one rejected feature, not an unreadable file
			yield { n: ++n, file, properties: { __error: `line ${lineNo} is not valid JSON` }, geometry: null };
			continue;
		}
		yield toFeature(value, ++n, file);
	}
}
