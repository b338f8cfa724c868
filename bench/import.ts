// npm run bench:import — import speed against GDAL (issue 13 part 3). The demo's buildings
// (BENCH_SCALE, default `chaoyang`; `district` is quicker) are exported from a seeded dataset as
// GeoJSON and as a zipped Shapefile (the app's own layer export), then each file is loaded into a
// fresh database on the same server PostGIS, in the same run, twice:
//   - by `npm run import` (scripts/import.ts, a child process: all checks, one transaction), and
//   - by `ogr2ogr -f PostgreSQL` (Debian's gdal-bin) into a plain table, no checks.
// The area hierarchy is imported first into each fresh database (not timed): buildings need their grids.
// Peak memory is the import process's maximum resident set (GNU time's %M).
// Server: BENCH_PG_URL, else TEST_DATABASE_URL (a login that may create databases), else the
// benchmarks' own cluster in data/bench-postgis/. Progress on stderr; one JSON line on stdout:
//   {"geojson_ratio_vs_ogr2ogr", "shapefile_ratio_vs_ogr2ogr", "peak_rss_mb", "features_per_s", …}
// A ratio is our seconds over ogr2ogr's (≤ 1: no slower). Not part of npm test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { withScope, SYSTEM } from '../src/lib/server/db/scoped.ts';
import { exportRows } from '../src/lib/server/db/queries/export.ts';
import { geojsonFile, shapefileZip } from '../src/lib/server/export/formats.ts';
import { runImport } from '../src/lib/server/import/run.ts';
import { ensureDataset, startCluster } from './lib/bench-postgis.ts';

const log = (line: string) => process.stderr.write(`[bench:import] ${line}\n`);
const SCALE = (process.env.BENCH_SCALE ?? 'chaoyang') as 'district' | 'chaoyang';
const base = process.env.BENCH_PG_URL ?? process.env.TEST_DATABASE_URL;
const cluster = base ? null : await startCluster();
const url = (db: string) => {
	if (cluster) return cluster.url(db);
	const u = new URL(base!);
	u.pathname = `/${db}`;
	return u.toString();
};

async function admin(statement: string) {
	const c = new pg.Client({ connectionString: url('postgres') });
	await c.connect();
	try {
		await c.query(statement);
	} finally {
		await c.end();
	}
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; stdout: string; stderr: string }> {
	const t0 = performance.now();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '',
			stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => {
			stderr += d.toString();
			if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
		});
		child.on('error', reject);
		child.on('close', (code) =>
			code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stdout, stderr }) : reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-800)}`))
		);
	});
}

const dir = mkdtempSync(path.join(tmpdir(), 'jiceng-bench-import-'));
try {
	const source = await ensureDataset(url, SCALE);
	const src = await openDb({ backend: 'server', url: source, poolSize: 2 });
	const files = { areas: path.join(dir, 'areas.geojson'), geojson: path.join(dir, 'buildings.geojson'), shapefile: path.join(dir, 'buildings.zip') };
	let features = 0;
	try {
		await withScope(src, SYSTEM, async (trx) => {
			writeFileSync(files.areas, geojsonFile(await exportRows(trx, 'areas', '', 10_000_000)));
			const rows = await exportRows(trx, 'buildings', '', 10_000_000);
			features = rows.length;
			writeFileSync(files.geojson, geojsonFile(rows));
			writeFileSync(files.shapefile, await shapefileZip('buildings', rows, 'UTF-8'));
		});
	} finally {
		await src.close();
	}
	log(`${SCALE}: ${features} buildings exported as GeoJSON and Shapefile`);

	const target = `jiceng_bench_import_${SCALE}`;
	const fresh = async () => {
		await admin(`drop database if exists ${target} with (force)`);
		await admin(`create database ${target}`);
		const db = await openDb({ backend: 'server', url: url(target), poolSize: 2 });
		try {
			await migrate(db);
			const r = await runImport(db, files.areas, { layer: 'areas', scope: SYSTEM });
			if (!r.committed) throw new Error(`the areas did not import: ${JSON.stringify(r.report.slice(0, 3))}`);
		} finally {
			await db.close();
		}
	};
	const pgConn = () => {
		const u = new URL(url(target));
		// the same way as the import: a socket directory in ?host= when the URL names one
		return `PG:host=${u.searchParams.get('host') ?? u.hostname} port=${u.port || 5432} dbname=${target} user=${decodeURIComponent(u.username)}${u.password ? ` password=${decodeURIComponent(u.password)}` : ''}`;
	};

	const out: Record<string, number> = {};
	let peakKb = 0;
	let oursSeconds = 0;
	for (const [kind, file] of [
		['geojson', files.geojson],
		['shapefile', files.shapefile]
	] as const) {
		await fresh();
		const ours = await run('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, 'scripts/import.ts', file, '--layer', 'buildings'], {
			DATABASE_URL: url(target)
		});
		// the import's own trace (JICENG_IMPORT_TRACE=1: each statement's time), passed on
		if (process.env.JICENG_IMPORT_TRACE === '1') process.stderr.write(ours.stderr.replace(/^maxrss_kb=.*$/m, ''));
		const result = JSON.parse(ours.stdout.trim().split('\n').pop()!) as { accepted: number };
		if (result.accepted !== features) throw new Error(`${kind}: ${result.accepted} of ${features} buildings accepted`);
		peakKb = Math.max(peakKb, Number(/maxrss_kb=(\d+)/.exec(ours.stderr)?.[1] ?? 0));
		const ogr = await run('ogr2ogr', [
			'-f',
			'PostgreSQL',
			pgConn(),
			kind === 'shapefile' ? `/vsizip/${file}` : file,
			'-nln',
			'ogr_buildings',
			'-overwrite',
			'-lco',
			'GEOMETRY_NAME=geom',
			'-nlt',
			'PROMOTE_TO_MULTI'
		]);
		out[`${kind}_ratio_vs_ogr2ogr`] = Number((ours.seconds / ogr.seconds).toFixed(2));
		out[`${kind}_s`] = Number(ours.seconds.toFixed(1));
		out[`${kind}_ogr2ogr_s`] = Number(ogr.seconds.toFixed(1));
		if (kind === 'geojson') oursSeconds = ours.seconds;
		log(`${kind}: npm run import ${ours.seconds.toFixed(1)} s, ogr2ogr ${ogr.seconds.toFixed(1)} s, peak ${(peakKb / 1024).toFixed(0)} MB`);
	}
	await admin(`drop database if exists ${target} with (force)`);
	process.stdout.write(
		`${JSON.stringify({ geojson_ratio_vs_ogr2ogr: out.geojson_ratio_vs_ogr2ogr, shapefile_ratio_vs_ogr2ogr: out.shapefile_ratio_vs_ogr2ogr, peak_rss_mb: Math.round(peakKb / 1024), features_per_s: Math.round(features / oursSeconds), scale: SCALE, features, ...out })}\n`
	);
} finally {
	rmSync(dir, { recursive: true, force: true });
	cluster?.stop();
}
