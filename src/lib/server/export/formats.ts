// A layer export's file in each format (issue 13 part 2): GeoJSON; CSV (UTF-8 with a BOM, WKT
// geometry column, cells defused as in every CSV the app writes: csv.ts); XLSX and a zipped
// Shapefile (.shp/.shx/.dbf/.prj/.cpg, attribute table in UTF-8 or GBK) written by GDAL's ogr2ogr
// (STACK.md: the npm Shapefile writers mangle Chinese field names; no XLSX writer on npm here
// that is kept). Text cells that a spreadsheet would run as a formula (= + - @) get a leading
// apostrophe in CSV and XLSX alike. Every format imports back through the import pipeline.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { csvCell } from '../csv.ts';
import { EXPORT_COLUMNS, type ExportLayer, type ExportRow } from '../db/queries/export.ts';

export const FILE_FORMATS = ['geojson', 'csv', 'xlsx', 'shp'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const CONTENT_TYPE: Record<FileFormat, string> = {
	geojson: 'application/geo+json; charset=utf-8',
	csv: 'text/csv; charset=utf-8',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	shp: 'application/zip'
};
export const EXTENSION: Record<FileFormat, string> = { geojson: 'geojson', csv: 'csv', xlsx: 'xlsx', shp: 'zip' };

/** Shapefile field names are at most 10 characters: the longer ones under a name the import also reads */
const SHP_NAME: Record<string, string> = { parent_code: 'parent', opening_hours: 'open_hours' };

const FORMULA_START = /^\s*[=+\-@]|^[\t\r\n]/;
/** a text cell a spreadsheet would run as a formula, defused (as csvCell does) */
export function defuse(v: string | number | null): string | number | null {
	return typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : v;
}

export function geojsonFile(rows: readonly ExportRow[]): string {
	const parts = rows.map((r) => `{"type":"Feature","properties":${JSON.stringify(r.properties)},"geometry":${r.geometry}}`);
	return `{"type":"FeatureCollection","features":[\n${parts.join(',\n')}\n]}\n`;
}

/** rows read with WKT geometry */
export function csvFile(layer: ExportLayer, rows: readonly ExportRow[]): string {
	const cols = EXPORT_COLUMNS[layer];
	const lines = [[...cols, 'wkt'].join(',')];
	for (const r of rows) lines.push([...cols.map((c) => csvCell(r.properties[c])), csvCell(r.geometry)].join(','));
	return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

function ogr2ogr(args: string[]): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn('ogr2ogr', args, { stdio: ['ignore', 'ignore', 'pipe'] });
		let err = '';
		child.stderr.on('data', (d: Buffer) => (err += d.toString()).slice(-2000));
		child.on('error', (e) => reject(new Error(`cannot run ogr2ogr (install gdal-bin): ${e.message}`)));
		child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ogr2ogr failed: ${err.trim().split('\n').pop()}`))));
	});
}

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
	const dir = mkdtempSync(path.join(tmpdir(), 'jiceng-export-'));
	try {
		return await fn(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** rows read with WKT geometry: one sheet named after the layer, a `wkt` column for the geometry */
export function xlsxFile(layer: ExportLayer, rows: readonly ExportRow[]): Promise<Buffer> {
	return inTemp(async (dir) => {
		const cols = EXPORT_COLUMNS[layer];
		// GeoJSON without geometry as GDAL's input: every attribute a string, so codes keep their zeros
		const features = rows.map((r) => ({
			type: 'Feature',
			geometry: null,
			properties: Object.fromEntries([...cols.map((c) => [c, defuse(r.properties[c])]), ['wkt', r.geometry]])
		}));
		const src = path.join(dir, 'in.geojson');
		writeFileSync(src, JSON.stringify({ type: 'FeatureCollection', features }));
		const out = path.join(dir, `${layer}.xlsx`);
		await ogr2ogr(['-f', 'XLSX', out, src, '-nln', layer]);
		return readFileSync(out);
	});
}

/** rows read with GeoJSON geometry: a zip of layer.shp/.shx/.dbf/.prj/.cpg */
export function shapefileZip(layer: ExportLayer, rows: readonly ExportRow[], encoding: 'UTF-8' | 'GBK'): Promise<Buffer> {
	return inTemp(async (dir) => {
		const renamed = rows.map((r) => ({
			properties: Object.fromEntries(Object.entries(r.properties).map(([k, v]) => [SHP_NAME[k] ?? k, v])),
			geometry: r.geometry
		}));
		const src = path.join(dir, 'in.geojson');
		writeFileSync(src, geojsonFile(renamed));
		const out = path.join(dir, 'out');
		// GBK as CP936 (GDAL's name; its .cpg says 936, which readers map to GBK)
		await ogr2ogr(['-f', 'ESRI Shapefile', out, src, '-nln', layer, '-lco', `ENCODING=${encoding === 'GBK' ? 'CP936' : 'UTF-8'}`, '-a_srs', 'EPSG:4326']);
		const files: Record<string, Uint8Array> = {};
		for (const f of readdirSync(out)) files[f] = readFileSync(path.join(out, f));
		return Buffer.from(zipSync(files));
	});
}
