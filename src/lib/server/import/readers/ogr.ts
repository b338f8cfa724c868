// Shapefiles, XLSX and OSM (XML/PBF) through GDAL's ogr2ogr as a subprocess (STACK.md), written
// as GeoJSON to its stdout and streamed back. The coordinates pass through untouched: the source
// SRS is overridden (-a_srs) so GDAL never reprojects; PostGIS does (ST_Transform), from the
// system the .prj declares or the one the user confirms.
import { spawn } from 'node:child_process';
import type { SourceFeature } from '../types.ts';
import { UnreadableFile } from '../types.ts';
import { featureCollection, type StreamCounters } from './geojson.ts';

export interface OgrOptions {
	/** open options, e.g. ENCODING=CP936 */
	openOptions?: string[];
	/** the source layer to read (OSM: lines, multipolygons, points) */
	layer?: string;
	where?: string;
}

export async function* ogrFeatures(path: string, file: string, counters: StreamCounters, opts: OgrOptions = {}): AsyncGenerator<SourceFeature> {
	const args = [
		'-f',
		'GeoJSON',
		'/vsistdout/',
		path,
		'-a_srs',
		'EPSG:4326',
		'-lco',
		'RFC7946=NO',
		'-lco',
		'WRITE_BBOX=NO',
		'-lco',
		'SIGNIFICANT_FIGURES=17',
		'-skipfailures'
	];
	for (const o of opts.openOptions ?? []) args.push('-oo', o);
	if (opts.where) args.push('-where', opts.where);
	if (opts.layer) args.push(opts.layer);
	// XLSX: the first row is the header and every cell text (GDAL 3.6's XLSX driver ignores the
	// HEADERS/FIELD_TYPES open options — a sheet of text columns lost its header row — but honours these)
	const env = { ...process.env, OGR_INTERLEAVED_READING: 'YES', SHAPE_RESTORE_SHX: 'NO', OGR_XLSX_HEADERS: 'FORCE', OGR_XLSX_FIELD_TYPES: 'STRING' };
	const child = spawn('ogr2ogr', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
	let stderr = '';
	child.stderr.on('data', (c: Buffer) => {
		if (stderr.length < 4000) stderr += c.toString();
	});
	const exited = new Promise<number>((resolve, reject) => {
		child.on('error', (e) => reject(new UnreadableFile(`cannot run ogr2ogr (install gdal-bin): ${e.message}`)));
		child.on('close', (code) => resolve(code ?? 1));
	});
	let n = 0;
	try {
		for await (const f of featureCollection(child.stdout, file, counters)) {
			n++;
			yield f;
		}
		// the crs member is the one -a_srs wrote, not the source's (that is the .prj's)
		counters.crs = undefined;
	} catch (e) {
		const code = await exited.catch(() => 1);
		throw new UnreadableFile(`${file}: GDAL could not read it${code ? ` (exit ${code})` : ''}: ${firstError(stderr) || (e as Error).message}`);
	} finally {
		if (child.exitCode === null) child.kill();
	}
	const code = await exited;
	if (code !== 0 && n === 0) throw new UnreadableFile(`${file}: GDAL could not read it: ${firstError(stderr) || `exit ${code}`}`);
}

function firstError(stderr: string): string {
	const line = stderr.split('\n').find((l) => /ERROR|FAILURE/.test(l)) ?? stderr.split('\n')[0] ?? '';
	return line
		.replace(/^ERROR \d+: /, '')
		.trim()
		.slice(0, 300);
}
