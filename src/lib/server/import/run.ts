// One import, start to end: open the file, map and check every feature while streaming it into
// the staging table of one transaction, settle the coordinate system, validate and write in
// PostGIS, run the hierarchy checks, and commit — or roll back for a dry run, a refusal or any
// error (a killed process leaves an open transaction, which the database rolls back).
import { sql } from 'kysely';
import { readFile } from 'node:fs/promises';
import type { Db } from '../db/open.ts';
import type { Violation } from '../db/check.ts';
import { withScope, type Scope, type Scoped } from '../db/scoped.ts';
import { crsFromGeoJsonMember, emptyBBox, guessCrs, isGeographic, isSupportedSrid, type BBox } from './crs.ts';
import { detectGcj02, geometryFromGcj02, type GcjVerdict } from './gcj02.ts';
import { defaultLimits, type ImportLimits } from './limits.ts';
import { builtInProfile, parseProfile, resolveMapping, type MappingProfile, type ResolvedMapping } from './mapping.ts';
import { openSource, type Format } from './source.ts';
import { prepare } from './validate.ts';
import { createStage, openStage, validateAndWrite, type WriteOutcome } from './writer.ts';
import type { OpenCopy } from '../db/copy-rows.ts';
import type { Encoding } from './encoding.ts';
import type { ImportLayer, ReportRow, SourceFeature } from './types.ts';

export interface ImportOptions {
	layer: ImportLayer;
	/** a built-in or saved profile's name, a JSON file's path, or a profile */
	mapping?: string | MappingProfile;
	/** constants for our fields (--set level=street) */
	set?: Record<string, string>;
	dryRun?: boolean;
	/** the source's coordinate system, when the file does not say or says wrong */
	srid?: number;
	encoding?: Encoding;
	/** fix invalid geometries with ST_MakeValid instead of rejecting them */
	repair?: boolean;
	/** the coordinates are GCJ-02: convert them to WGS84 */
	fromGcj02?: boolean;
	/** the caller's scope (an area code), SYSTEM for the command line */
	scope: Scope;
	limits?: ImportLimits;
	displayName?: string;
	onProgress?: (p: Progress) => void;
	/** keep at most this many report rows (the counts stay exact) */
	maxReport?: number;
}

export interface Progress {
	features: number;
	perSecond: number;
	/** seconds left, when the size is known */
	eta: number | null;
	phase: 'reading' | 'validating' | 'checking' | 'done';
}

export interface ImportResult {
	features: number;
	accepted: number;
	rejected: number;
	crs: string | null;
	encoding: string | null;
	layer: ImportLayer;
	file: string;
	format: Format;
	mapping: string;
	dry_run: boolean;
	committed: boolean;
	written: WriteOutcome['written'];
	/** hierarchy checks that failed because of this import: it was refused */
	refused: Violation[];
	gaps: number;
	gcj02: GcjVerdict | null;
	crs_source: string;
	seconds: number;
	features_per_second: number;
	report: ReportRow[];
	report_total: number;
	preview: WriteOutcome['preview'];
	/** the mapping as used (profile, or the names matched automatically), to save as a profile */
	mapping_used: MappingProfile;
}

class Rollback extends Error {}

export async function loadProfile(db: Db, mapping: string | MappingProfile | undefined): Promise<MappingProfile | null> {
	if (mapping === undefined) return null;
	if (typeof mapping !== 'string') return mapping;
	const built = builtInProfile(mapping);
	if (built) return built;
	if (/\.json$/i.test(mapping)) return parseProfile(JSON.parse(await readFile(mapping, 'utf8')), mapping);
	const { rows } = await sql<{ mapping: unknown }>`select mapping from import_profile where name = ${mapping}`.execute(db.kysely);
	if (!rows.length) throw new Error(`no mapping profile "${mapping}" (built in: osm-buildings, osm-roads; or a saved name, or a .json file)`);
	return parseProfile(rows[0].mapping, mapping);
}

export async function saveProfile(trx: Scoped, profile: MappingProfile, by: string | null): Promise<void> {
	await sql`insert into import_profile (name, layer, mapping, updated_by) values (${profile.name}, ${profile.layer}, ${JSON.stringify(profile)}::jsonb, ${by})
		on conflict (name) do update set layer = excluded.layer, mapping = excluded.mapping, updated_at = now(), updated_by = excluded.updated_by`.execute(trx);
}

export async function runImport(db: Db, file: string, o: ImportOptions): Promise<ImportResult> {
	const started = performance.now();
	const profile = await loadProfile(db, o.mapping);
	if (profile && profile.layer !== o.layer) throw new Error(`mapping profile ${profile.name} is for ${profile.layer}, not ${o.layer}`);
	const source = await openSource(file, { layer: o.layer, limits: o.limits ?? defaultLimits(), encoding: o.encoding, displayName: o.displayName });
	const maxReport = o.maxReport ?? 10_000;
	let result: ImportResult | null = null;
	try {
		const features = source.features();
		// the mapping from the attribute names of the first features (read by hand: leaving a
		// for-await loop early would close the stream)
		const head: SourceFeature[] = [];
		while (head.length < 50) {
			const next = await features.next();
			if (next.done) break;
			head.push(next.value);
		}
		const columns = [...new Set(head.flatMap((f) => Object.keys(f.properties)))];
		const mapping: ResolvedMapping = resolveMapping(o.layer, columns, profile, o.set ?? {});
		const bbox: BBox = emptyBBox();
		const sample: [number, number][] = [];
		let count = 0;
		let lastTick = 0;
		const tick = (phase: Progress['phase'], force = false) => {
			const now = performance.now();
			if (!o.onProgress || (!force && now - lastTick < 500)) return;
			lastTick = now;
			const secs = (now - started) / 1000;
			const perSecond = secs > 0 ? count / secs : 0;
			const share = source.format === 'geojson' || source.format === 'geojsonseq' || source.format === 'csv' ? source.counters.bytes / source.size : 0;
			o.onProgress({ features: count, perSecond, eta: share > 0.01 && phase === 'reading' ? (secs / share) * (1 - share) : null, phase });
		};

		const attempt = async (trx: Scoped, openCopy: OpenCopy | null): Promise<ImportResult> => {
			// an import may run long: lift the app role's statement limit for this transaction only; and
			// no JIT: the planner's estimates over the staged rows pass its threshold on nearly every
			// statement, each then compiling for 0.1–0.2 s to save less than that
			// statistics target: the staged rows' statistics (ANALYZE of the work tables) steer the checks'
			// plans, not their answers: a sample of 3,000 rows instead of 30,000 (Chaoyang's buildings:
			// 0.35 s → 0.04 s)
			if (db.backend === 'server') await sql`set local statement_timeout = 0; set local jit = off; set local default_statistics_target = 10`.execute(trx);
			else await sql`set local default_statistics_target = 10`.execute(trx);
			await createStage(trx);
			const stager = openStage(trx, openCopy);
			const take = async (f: SourceFeature) => {
				if (o.fromGcj02 && f.geometry) f.geometry = geometryFromGcj02(f.geometry);
				const p = prepare(o.layer, mapping, f, bbox);
				if (p.first && sample.length < 200 && (count < 200 || count % 97 === 0)) sample.push(p.first);
				await stager.add(p);
				if (++count % 2000 === 0) tick('reading');
			};
			try {
				for (const f of head) await take(f);
				for (let next = await features.next(); !next.done; next = await features.next()) await take(next.value);
				await stager.finish();
			} catch (e) {
				await stager.abort(e as Error);
				throw e;
			}
			tick('validating', true);

			// the coordinate system: given, declared, or guessed from the range
			const notes: ReportRow[] = [...source.notes];
			let srid = o.srid ?? source.declaredSrid ?? crsFromGeoJsonMember(source.counters.crs);
			let crsSource = o.srid ? '--crs' : source.declaredSrid ? source.crsSource : srid ? 'GeoJSON crs member' : source.crsSource;
			if (!srid && !Number.isFinite(bbox[0])) {
				// no feature got as far as its coordinates: the report says why, per feature
				srid = 4326;
				crsSource = 'none (no usable coordinates)';
			} else if (!srid) {
				const guesses = guessCrs(bbox);
				if (guesses.length === 1 && guesses[0].srid) {
					srid = guesses[0].srid;
					crsSource = `guessed: ${guesses[0].why}`;
					notes.push({
						file: source.name,
						feature: 0,
						field: 'crs',
						reason: `no coordinate system declared; read as EPSG:${srid} because the ${guesses[0].why}`,
						action: 'warning'
					});
				} else {
					const fit = guesses.map((g) => (g.srid ? `EPSG:${g.srid} (${g.why})` : g.why)).join('; ');
					notes.push({
						file: source.name,
						feature: 0,
						field: 'crs',
						reason: `no coordinate system declared: choose one (--crs)${fit ? `; the coordinates fit ${fit}` : ''}`,
						action: 'rejected'
					});
				}
			}
			if (srid && !isSupportedSrid(srid)) {
				notes.push({
					file: source.name,
					feature: 0,
					field: 'crs',
					reason: `EPSG:${srid} is not supported (WGS84, CGCS2000, its Gauss-Krüger zones EPSG:4491–4554, Web Mercator)`,
					action: 'rejected'
				});
				srid = null;
			}
			let gcj: GcjVerdict | null = null;
			if (srid && isGeographic(srid) && !o.fromGcj02) {
				gcj = await detectGcj02(trx, sample);
				if (gcj.suspect) {
					notes.push({
						file: source.name,
						feature: 0,
						field: 'crs',
						action: 'warning',
						reason: `the coordinates look GCJ-02-shifted: median ${Math.round(gcj.asRead!)} m from the existing buildings and roads, ${Math.round(gcj.converted!)} m after GCJ-02 → WGS84; import with the conversion (--from-gcj02)`
					});
				}
			}
			let out: WriteOutcome;
			if (!srid) {
				const n = count;
				out = {
					features: n,
					accepted: 0,
					rejected: n,
					report: [],
					written: { inserted: 0, updated: 0, unchanged: 0 },
					violations: [],
					gaps: [],
					preview: { type: 'FeatureCollection', features: [] }
				};
			} else {
				tick('checking', true);
				out = await validateAndWrite(
					trx,
					{ layer: o.layer, srid, repair: !!o.repair, mergeDuplicates: mapping.mergeDuplicates, dryRun: !!o.dryRun },
					!o.dryRun
				);
			}
			const report = [...notes, ...out.report];
			for (const v of out.gaps)
				report.push({ file: source.name, feature: 0, field: 'hierarchy', reason: `${v.detail} (the next level's import fills it)`, action: 'warning' });
			for (const v of out.violations)
				report.push({ file: source.name, feature: 0, field: 'hierarchy', reason: `refused: ${v.rule}: ${v.detail}`, action: 'rejected' });
			const secs = (performance.now() - started) / 1000;
			const committed = !o.dryRun && out.violations.length === 0 && out.written.inserted + out.written.updated > 0;
			const r: ImportResult = {
				features: out.features,
				accepted: out.accepted,
				rejected: out.rejected,
				crs: srid ? `EPSG:${srid}` : null,
				encoding: source.encoding,
				layer: o.layer,
				file: source.name,
				format: source.format,
				mapping: mapping.profile,
				dry_run: !!o.dryRun,
				committed,
				written: committed || o.dryRun ? out.written : { inserted: 0, updated: 0, unchanged: out.written.unchanged },
				refused: out.violations,
				gaps: out.gaps.length,
				gcj02: gcj,
				crs_source: crsSource,
				seconds: Math.round(secs * 10) / 10,
				features_per_second: Math.round(out.features / Math.max(secs, 0.001)),
				report: report.slice(0, maxReport),
				report_total: report.length,
				preview: out.preview,
				mapping_used: {
					name: mapping.profile,
					layer: o.layer,
					sourcePrefix: mapping.sourcePrefix || undefined,
					mergeDuplicates: mapping.mergeDuplicates || undefined,
					fields: Object.fromEntries(Object.entries(mapping.fields).filter(([, f]) => f !== null)) as MappingProfile['fields'],
					values: profile?.values
				}
			};
			if (!committed) throw Object.assign(new Rollback(), { result: r });
			return r;
		};
		try {
			// on the server one connection holds the transaction and its COPY
			result = db.withCopy
				? await db.withCopy((kysely, openCopy) => withScope(kysely, o.scope, (trx) => attempt(trx, openCopy)))
				: await withScope(db, o.scope, (trx) => attempt(trx, null));
		} catch (e) {
			if (e instanceof Rollback) result = (e as Rollback & { result: ImportResult }).result;
			else throw e;
		}
		o.onProgress?.({ features: count, perSecond: result.features_per_second, eta: 0, phase: 'done' });
		return result;
	} finally {
		await source.close();
	}
}

/** The one JSON line a run ends with (issue 13). */
export function summaryLine(r: ImportResult): string {
	// the six keys the issue names first, then the rest (the report itself is too long for a line)
	const { report: _report, preview: _preview, mapping_used: _used, features, accepted, rejected, crs, encoding, layer, ...rest } = r;
	return JSON.stringify({ features, accepted, rejected, crs, encoding, layer, ...rest, refused: r.refused.map((v) => `${v.rule}: ${v.detail}`) });
}
