// Opening an import file: size limits, zips unpacked safely into a private folder, the format
// known from the content (an extension that lies is an error, not a guess), a shapefile's
// companions found (.shx .dbf .prj .cpg, any letter case) and checked against each other, the
// encoding and the declared coordinate system read. Returns a stream of features.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { head, parseEncoding, shapefileEncoding, sniffEncoding, type Encoding } from './encoding.ts';
import { crsFromPrj } from './crs.ts';
import type { ImportLimits } from './limits.ts';
import { geojsonFile, geojsonLines, type StreamCounters } from './readers/geojson.ts';
import { ogrFeatures } from './readers/ogr.ts';
import { csvRows } from './readers/csv.ts';
import { extractZip } from './zip.ts';
import { UnreadableFile, type ImportLayer, type ReportRow, type SourceFeature } from './types.ts';

export type Format = 'geojson' | 'geojsonseq' | 'shapefile' | 'csv' | 'xlsx' | 'osm';

export interface OpenedSource {
	format: Format;
	/** the file's name as the user knows it (a zip's entry inside: zip/entry) */
	name: string;
	encoding: Encoding | null;
	encodingSource: string;
	/** declared coordinate system (.prj, or set later from a GeoJSON `crs` member), or null */
	declaredSrid: number | null;
	crsSource: string;
	/** bytes to read (for the ETA), and counters the readers advance */
	size: number;
	counters: StreamCounters;
	notes: ReportRow[];
	features(): AsyncGenerator<SourceFeature>;
	close(): Promise<void>;
}

export interface OpenOptions {
	layer: ImportLayer;
	limits: ImportLimits;
	/** --encoding: overrides detection */
	encoding?: Encoding;
	/** the name to report (an upload's original name), else the path's base name */
	displayName?: string;
}

const EXT: Record<string, Format> = {
	'.geojson': 'geojson',
	'.json': 'geojson',
	'.geojsonl': 'geojsonseq',
	'.geojsons': 'geojsonseq',
	'.ndjson': 'geojsonseq',
	'.jsonl': 'geojsonseq',
	'.geojsonseq': 'geojsonseq',
	'.shp': 'shapefile',
	'.csv': 'csv',
	'.txt': 'csv',
	'.xlsx': 'xlsx',
	'.osm': 'osm',
	'.pbf': 'osm'
};

type Magic = 'zip' | 'json' | 'shp' | 'xml' | 'pbf' | 'xlsx' | 'text' | 'binary';

function magicOf(b: Uint8Array): Magic {
	if (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5)) return 'zip';
	if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0x27 && b[3] === 0x0a) return 'shp';
	if (b.length > 16 && new TextDecoder('latin1').decode(b.subarray(0, 32)).includes('OSMHeader')) return 'pbf';
	const text = new TextDecoder('utf-8').decode(b.subarray(0, 512)).replace(/^[\ufeff\x1e\s]+/, '');
	if (text.startsWith('{') || text.startsWith('[')) return 'json';
	if (text.startsWith('<')) return 'xml';
	// text if no NUL in the sample
	return b.subarray(0, 4096).includes(0) ? 'binary' : 'text';
}

const FORMAT_MAGIC: Record<Format, Magic[]> = {
	geojson: ['json'],
	geojsonseq: ['json'],
	shapefile: ['shp'],
	csv: ['text', 'json'],
	xlsx: ['zip'],
	osm: ['xml', 'pbf']
};

export async function openSource(file: string, opts: OpenOptions): Promise<OpenedSource> {
	const st = await stat(file).catch(() => null);
	if (!st?.isFile()) throw new UnreadableFile(`${file}: no such file`);
	const display = opts.displayName ?? path.basename(file);
	if (st.size === 0) throw new UnreadableFile(`${display}: the file is empty (0 bytes)`);
	if (st.size > opts.limits.maxBytes)
		throw new UnreadableFile(`${display}: ${Math.round(st.size / 1048576)} MB, beyond the import limit of ${Math.round(opts.limits.maxBytes / 1048576)} MB`);
	const ext = path.extname(display).toLowerCase();
	const bytes = await head(file, 64 << 10);
	const magic = magicOf(bytes);

	if (ext === '.zip' || (magic === 'zip' && ext !== '.xlsx')) {
		if (magic !== 'zip') throw new UnreadableFile(`${display}: named .zip but is not a zip archive`);
		if (ext !== '.zip') throw new UnreadableFile(`${display}: named ${ext || 'without an extension'} but holds a zip archive: rename it .zip`);
		const dir = await mkdtemp(path.join(tmpdir(), 'jiceng-import-'));
		try {
			const entries = await extractZip(file, dir, opts.limits);
			const main = pickMain(entries);
			if (!main) throw new UnreadableFile(`${display}: the zip holds no file to import (.shp, .geojson, .csv, .xlsx, .osm, .pbf)`);
			const inner = await openPlain(path.join(dir, main), `${display}/${main}`, opts);
			return {
				...inner,
				close: async () => {
					await inner.close();
					await rm(dir, { recursive: true, force: true });
				}
			};
		} catch (e) {
			await rm(dir, { recursive: true, force: true });
			throw e;
		}
	}
	return openPlain(file, display, opts);
}

function pickMain(entries: string[]): string | null {
	const rank = ['.shp', '.geojson', '.json', '.geojsonl', '.geojsons', '.ndjson', '.jsonl', '.csv', '.xlsx', '.osm', '.pbf'];
	const files = entries.filter((e) => !e.split('/').some((p) => p.startsWith('.') || p === '__MACOSX'));
	for (const r of rank) {
		const hit = files.filter((e) => e.toLowerCase().endsWith(r)).sort();
		if (hit.length) return hit[0];
	}
	return null;
}

async function openPlain(file: string, display: string, opts: OpenOptions): Promise<OpenedSource> {
	const ext = path.extname(file).toLowerCase();
	const format = EXT[ext];
	const st = await stat(file);
	if (st.size === 0) throw new UnreadableFile(`${display}: the file is empty (0 bytes)`);
	const bytes = await head(file, 1 << 20);
	const magic = magicOf(bytes);
	if (!format) {
		if (['.dbf', '.shx', '.prj', '.cpg'].includes(ext))
			throw new UnreadableFile(`${display}: a shapefile's ${ext} alone: give the .shp (its companions beside it) or a zip of all of them`);
		throw new UnreadableFile(`${display}: unknown file type ${ext || '(no extension)'}: expected .geojson, .geojsonl, .shp, .zip, .csv, .xlsx, .osm or .pbf`);
	}
	if (!FORMAT_MAGIC[format].includes(magic)) {
		const what = {
			zip: 'a zip archive',
			json: 'JSON',
			shp: 'a shapefile',
			xml: 'XML',
			pbf: 'OSM PBF',
			xlsx: 'XLSX',
			text: 'plain text',
			binary: 'binary data'
		}[magic];
		throw new UnreadableFile(`${display}: named ${ext} but holds ${what}: wrong extension?`);
	}
	const counters: StreamCounters = { bytes: 0 };
	const base = {
		name: display,
		counters,
		size: st.size,
		notes: [] as ReportRow[],
		declaredSrid: null as number | null,
		crsSource: 'none',
		encoding: null as Encoding | null,
		encodingSource: 'n/a',
		close: async () => {}
	};

	if (format === 'geojson' || format === 'geojsonseq') {
		// a .json may be newline-delimited: a complete Feature on the first line, and more lines
		const firstLine = new TextDecoder().decode(bytes).split('\n', 2);
		let seq = format === 'geojsonseq';
		if (!seq && firstLine.length === 2) {
			try {
				const v = JSON.parse(firstLine[0].replace(/^[\x1e\ufeff]+/, '')) as { type?: string };
				seq = v.type === 'Feature';
			} catch {
				seq = false;
			}
		}
		const enc = sniffEncoding(bytes);
		return {
			...base,
			format: seq ? 'geojsonseq' : 'geojson',
			encoding: enc.encoding === 'UTF-8' ? 'UTF-8' : enc.encoding,
			encodingSource: 'detected',
			features: () => (seq ? geojsonLines(file, display, counters) : geojsonFile(file, display, counters))
		};
	}
	if (format === 'csv') {
		const enc = opts.encoding
			? { encoding: opts.encoding, source: '--encoding' }
			: { encoding: sniffEncoding(bytes).encoding, source: sniffEncoding(bytes).bom ? 'BOM' : 'detected' };
		return { ...base, format, encoding: enc.encoding, encodingSource: enc.source, features: () => csvRows(file, display, enc.encoding, counters) };
	}
	if (format === 'xlsx') {
		return {
			...base,
			format,
			encoding: 'UTF-8',
			encodingSource: 'XLSX (always Unicode)',
			features: () => ogrFeatures(file, display, counters, { openOptions: ['HEADERS=FORCE', 'FIELD_TYPES=STRING'] })
		};
	}
	if (format === 'osm') {
		const layer = opts.layer === 'roads' ? 'lines' : opts.layer === 'service_centres' ? 'points' : 'multipolygons';
		const where = opts.layer === 'roads' ? 'highway IS NOT NULL' : opts.layer === 'buildings' ? 'building IS NOT NULL' : undefined;
		return {
			...base,
			format,
			encoding: 'UTF-8',
			encodingSource: 'OSM (always UTF-8)',
			declaredSrid: 4326,
			crsSource: 'OSM (always WGS84)',
			features: () => ogrFeatures(file, display, counters, { layer, where })
		};
	}
	// shapefile: find the companions and check they agree
	const dir = path.dirname(file);
	const stem = path.basename(file, path.extname(file));
	const siblings = await readdir(dir);
	const companion = (e: string) => {
		const hit = siblings.find((s) => s.toLowerCase() === (stem + e).toLowerCase());
		return hit ? path.join(dir, hit) : null;
	};
	const shx = companion('.shx');
	const dbf = companion('.dbf');
	const prj = companion('.prj');
	const cpg = companion('.cpg');
	if (!shx) throw new UnreadableFile(`${display}: the shapefile's .shx is missing (give .shp, .shx and .dbf together, or a zip of them)`);
	if (!dbf) throw new UnreadableFile(`${display}: the shapefile's .dbf (its attribute table) is missing`);
	const shxSize = (await stat(shx)).size;
	const dbfHead = await head(dbf, 32);
	if (dbfHead.length < 32) throw new UnreadableFile(`${display}: the .dbf is truncated`);
	const shapes = (shxSize - 100) / 8;
	const rows = dbfHead[4] | (dbfHead[5] << 8) | (dbfHead[6] << 16) | (dbfHead[7] << 24);
	if (shxSize < 100 || !Number.isInteger(shapes)) throw new UnreadableFile(`${display}: the .shx is truncated`);
	if (shapes !== rows) throw new UnreadableFile(`${display}: the .shp holds ${shapes} shapes but the .dbf ${rows} rows: the files do not belong together`);
	// the .shp must be as long as its header says (16-bit words at byte 24)
	const declared = ((bytes[24] << 24) | (bytes[25] << 16) | (bytes[26] << 8) | bytes[27]) * 2;
	if (declared !== st.size) throw new UnreadableFile(`${display}: the .shp is ${st.size} bytes but its header says ${declared}: truncated or damaged`);
	const enc = opts.encoding ? { encoding: opts.encoding, source: '--encoding' } : await shapefileEncoding(dbf, cpg);
	const srid = prj ? await crsFromPrj(prj) : null;
	const notes: ReportRow[] = [];
	if (prj && srid === null)
		notes.push({ file: display, feature: 0, field: '.prj', reason: 'the .prj names no EPSG coordinate system GDAL knows', action: 'warning' });
	const gdalEnc = enc.encoding === 'GBK' ? 'CP936' : enc.encoding === 'UTF-8' ? 'UTF-8' : enc.encoding;
	return {
		...base,
		format,
		notes,
		encoding: enc.encoding,
		encodingSource: enc.source,
		declaredSrid: srid,
		crsSource: srid ? '.prj' : prj ? '.prj (unknown)' : 'none (no .prj)',
		features: () => ogrFeatures(file, display, counters, { openOptions: [`ENCODING=${gdalEnc}`] })
	};
}

export function encodingFromArg(s: string | undefined): Encoding | undefined {
	if (!s) return undefined;
	const e = parseEncoding(s);
	if (!e) throw new Error(`--encoding ${s}: expected UTF-8 or GBK`);
	return e;
}
