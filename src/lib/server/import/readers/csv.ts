// CSV, streamed: csv-parse behind a TextDecoderStream in the detected encoding (GBK read as
// GB18030; a UTF-8 BOM dropped). Rows become properties; the geometry comes from the columns the
// mapping names (lon/lat or WKT), not here.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { SourceFeature } from '../types.ts';
import { UnreadableFile } from '../types.ts';
import { decoderLabel, type Encoding } from '../encoding.ts';
import type { StreamCounters } from './geojson.ts';

export async function* csvRows(path: string, file: string, encoding: Encoding, counters: StreamCounters): AsyncGenerator<SourceFeature> {
	const bytes = createReadStream(path, { highWaterMark: 1 << 20 });
	bytes.on('data', (c) => (counters.bytes += c.length));
	const decoder = new TextDecoderStream(decoderLabel(encoding));
	const text = Readable.fromWeb(Readable.toWeb(bytes).pipeThrough(decoder as never) as never);
	const parser = text.pipe(
		parse({
			columns: (h: string[]) => h.map((c) => c.replace(/^\ufeff/, '').trim()),
			bom: true,
			skip_empty_lines: true,
			relax_column_count: true,
			trim: true,
			max_record_size: 1 << 20
		})
	);
	let n = 0;
	try {
		for await (const row of parser) yield { n: ++n, file, properties: row as Record<string, unknown>, geometry: null };
	} catch (e) {
		throw new UnreadableFile(`${file}: not readable as CSV${n ? ` after row ${n}` : ''}: ${(e as Error).message.slice(0, 200)}`);
	}
}
