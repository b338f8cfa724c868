// GeoJSON, streamed: a FeatureCollection through @streamparser/json (one feature in memory at a
// time), or newline-delimited GeoJSON (GeoJSONSeq, with or without the RS separator) line by line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { JSONParser } from '@streamparser/json';
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

/** Features of a GeoJSON FeatureCollection read from a byte stream. */
export async function* featureCollection(input: Readable, file: string, counters: StreamCounters): AsyncGenerator<SourceFeature> {
	const parser = new JSONParser({ paths: ['$.features.*', '$.crs', '$.type'], keepStack: false });
	const queue: SourceFeature[] = [];
	let n = 0;
	let rootType: unknown;
	parser.onValue = ({ value, key, stack }) => {
		if (stack.length === 1 && key === 'crs') counters.crs = value;
		else if (stack.length === 1 && key === 'type') rootType = value;
		else if (stack.length === 2) queue.push(toFeature(value, ++n, file));
	};
	try {
		for await (const chunk of input) {
			counters.bytes += (chunk as Buffer).length;
			parser.write(chunk as Buffer);
			while (queue.length) yield queue.shift()!;
		}
		// the parser ends by itself after the root value; a stream that stops before it is truncated
		if (!parser.isEnded) parser.end();
	} catch (e) {
		throw new UnreadableFile(
			`${file}: not valid JSON${n ? ` after feature ${n}` : ''} (truncated or broken at about byte ${counters.bytes}): ${(e as Error).message.slice(0, 200)}`
		);
	}
	while (queue.length) yield queue.shift()!;
	if (rootType !== undefined && rootType !== 'FeatureCollection') throw new UnreadableFile(`${file}: a GeoJSON ${String(rootType)}, not a FeatureCollection`);
	if (rootType === undefined && n === 0) throw new UnreadableFile(`${file}: no GeoJSON FeatureCollection found`);
}

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
