// npm run import -- <file> --layer areas|buildings|roads|service_centres [--mapping <profile|file.json>]
//   [--set field=value …] [--crs EPSG:4527] [--encoding GBK] [--repair] [--from-gcj02] [--dry-run]
//   [--report report.csv] [--save-mapping <name>]
// Imports one file into the database named by the environment (embedded PGlite in data/pglite —
// stop the app first, it holds that folder — or DATABASE_URL), in one transaction. Progress goes
// to stderr; the last line on stdout is one JSON object (features, accepted, rejected, crs,
// encoding, layer, …). Exits 1 only when the file cannot be read at all (2 for a usage error).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { SYSTEM, withScope } from '../src/lib/server/db/scoped.ts';
import { parseCrs } from '../src/lib/server/import/crs.ts';
import { encodingFromArg } from '../src/lib/server/import/source.ts';
import { loadProfile, runImport, saveProfile, summaryLine } from '../src/lib/server/import/run.ts';
import { isImportLayer, UnreadableFile } from '../src/lib/server/import/types.ts';
import { reportCsv } from '../src/lib/server/import/report.ts';

function usage(message: string): never {
	process.stderr.write(
		`import: ${message}\nusage: npm run import -- <file> --layer areas|buildings|roads|service_centres [--mapping <profile>] [--set field=value] [--crs EPSG:…] [--encoding UTF-8|GBK] [--repair] [--from-gcj02] [--dry-run] [--report file.csv] [--save-mapping name]\n`
	);
	process.exit(2);
}

let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> }>>;
try {
	parsed = parseArgs({
		allowPositionals: true,
		options: {
			layer: { type: 'string' },
			mapping: { type: 'string' },
			set: { type: 'string', multiple: true },
			crs: { type: 'string' },
			encoding: { type: 'string' },
			repair: { type: 'boolean' },
			'from-gcj02': { type: 'boolean' },
			'dry-run': { type: 'boolean' },
			report: { type: 'string' },
			'save-mapping': { type: 'string' }
		}
	});
} catch (e) {
	usage((e as Error).message);
}
const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
const [file] = parsed.positionals;
if (!file) usage('which file?');
const layer = String(v.layer ?? '');
if (!isImportLayer(layer)) usage(`--layer ${layer || '(missing)'}: expected areas, buildings, roads or service_centres`);
const srid = typeof v.crs === 'string' ? (parseCrs(v.crs) ?? usage(`--crs ${v.crs}: expected EPSG:<code>, wgs84, cgcs2000 or webmercator`)) : undefined;
let encoding;
try {
	encoding = encodingFromArg(typeof v.encoding === 'string' ? v.encoding : undefined);
} catch (e) {
	usage((e as Error).message);
}
const set: Record<string, string> = {};
for (const kv of (v.set as string[] | undefined) ?? []) {
	const i = kv.indexOf('=');
	if (i < 1) usage(`--set ${kv}: expected field=value`);
	set[kv.slice(0, i)] = kv.slice(i + 1);
}

let config: ReturnType<typeof readDbConfig>;
try {
	config = readDbConfig();
} catch (e) {
	if (e instanceof ConfigError) usage(e.message);
	throw e;
}
const db = await openDb(config);
try {
	await migrate(db);
	const result = await runImport(db, file, {
		layer,
		mapping: typeof v.mapping === 'string' ? v.mapping : undefined,
		set,
		srid,
		encoding,
		scope: SYSTEM,
		dryRun: !!v['dry-run'],
		repair: !!v.repair,
		fromGcj02: !!v['from-gcj02'],
		onProgress: (p) => {
			if (p.phase === 'done') return;
			const eta = p.eta !== null ? `, ETA ${Math.ceil(p.eta)} s` : '';
			process.stderr.write(`[import] ${p.phase}: ${p.features.toLocaleString('en-US')} features, ${Math.round(p.perSecond).toLocaleString('en-US')}/s${eta}\n`);
		}
	});
	for (const r of result.report.slice(0, 20)) process.stderr.write(`[import] ${r.action} ${r.file}#${r.feature}${r.field ? ` ${r.field}` : ''}: ${r.reason}\n`);
	if (result.report_total > 20)
		process.stderr.write(`[import] … ${result.report_total - 20} more report rows${v.report ? '' : ' (--report file.csv for all)'}\n`);
	if (typeof v.report === 'string') await writeFile(v.report, reportCsv(result.report));
	if (typeof v['save-mapping'] === 'string') {
		const profile = (await loadProfile(db, typeof v.mapping === 'string' ? v.mapping : undefined)) ?? { name: v['save-mapping'], layer, fields: {} };
		const fields = { ...profile.fields, ...Object.fromEntries(Object.entries(set).map(([k, x]) => [k, { const: x }])) };
		await withScope(db, SYSTEM, (trx) => saveProfile(trx, { ...profile, name: v['save-mapping'] as string, layer, fields }, process.env.USER ?? null));
	}
	const verdict = result.dry_run
		? 'dry run: nothing written'
		: result.committed
			? `committed: ${result.written.inserted} new, ${result.written.updated} updated, ${result.written.unchanged} unchanged`
			: result.refused.length
				? 'refused: nothing written'
				: 'nothing to change';
	process.stderr.write(`[import] ${verdict} (${result.seconds} s, ${result.features_per_second.toLocaleString('en-US')} features/s)\n`);
	process.stdout.write(`${summaryLine(result)}\n`);
} catch (e) {
	if (e instanceof UnreadableFile) {
		process.stderr.write(`import: cannot read ${file}: ${e.message}\n`);
		process.stdout.write(`${JSON.stringify({ features: 0, accepted: 0, rejected: 0, crs: null, encoding: null, layer, error: e.message })}\n`);
		process.exitCode = 1;
	} else {
		process.stderr.write(`import: failed, nothing was changed: ${(e as Error).message.split('\n')[0]}\n`);
		process.stdout.write(
			`${JSON.stringify({ features: 0, accepted: 0, rejected: 0, crs: null, encoding: null, layer, error: (e as Error).message.split('\n')[0] })}\n`
		);
		process.exitCode = 1;
	}
} finally {
	await db.close();
}
