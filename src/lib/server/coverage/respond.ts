// What the coverage routes share: the results to answer from (never waiting for a recompute) and
// their status, the area to answer for, exports in the asked format, and the audit row an export
// leaves. Figures come from store.ts only (one query path).
import { error, json } from '@sveltejs/kit';
import { sql } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { audit } from '../auth/audit.ts';
import type { Db } from '../db/open.ts';
import type { Scoped } from '../db/scoped.ts';
import type { OpenScoped } from '../api/endpoint.ts';
import { coverageEngine, type CoverageEngine, type CoverageModel, type CoverageStatus } from './engine.ts';
import { AnalysisBusy, AnalysisTimeout } from './budget.ts';

/**
 * The area code to answer for: `within` (parsed by the route's schema) narrows the caller's
 * scope, never widens it (outside the caller's subtree reads as nonexistent).
 */
export function areaWithin(viewer: Viewer, within: string | undefined): string {
	if (within === undefined || within === '') return viewer.scope;
	if (!within.startsWith(viewer.scope)) error(404, `no area with code ${within}`);
	return within;
}

export type ExportFormat = 'json' | 'csv' | 'geojson';

/** A CSV or GeoJSON download, audited as an export; `headers` add to its own (coverageHeaders). */
export async function download(
	db: Db,
	viewer: Viewer,
	clientAddr: string,
	what: string,
	format: 'csv' | 'geojson',
	body: string,
	headers: Record<string, string> = {}
): Promise<Response> {
	await audit(db.kysely, {
		accountId: viewer.accountId,
		username: viewer.username,
		role: viewer.principal,
		clientAddr,
		action: 'export',
		object: `${what}.${format}`,
		result: 'ok'
	});
	const stamp = new Date().toISOString().slice(0, 10);
	return new Response(body, {
		headers: {
			'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json; charset=utf-8',
			'content-disposition': `attachment; filename="${what}-${stamp}.${format === 'csv' ? 'csv' : 'geojson'}"`,
			'cache-control': 'private, no-store',
			...headers
		}
	});
}

/**
 * The coverage a request answers from: the stored results as they are now, with their status. It
 * never waits for a recompute — when the data moved on, status() starts one in the background and
 * the answer says `updating`.
 */
export async function servedCoverage(db: Db): Promise<{ engine: CoverageEngine; status: CoverageStatus }> {
	const engine = coverageEngine(db);
	return { engine, status: await engine.status() };
}

/** What every coverage answer says of its figures: the data they reflect, and whether newer ones are coming. */
export interface CoverageMeta {
	/** every write up to this data version is in the figures */
	computed_version: number | null;
	/** when they were computed, ISO 8601 */
	computed_at: string | null;
	/** newer figures are being computed */
	updating: boolean;
}

export function coverageMeta(status: CoverageStatus): CoverageMeta {
	return { computed_version: status.computed_version, computed_at: status.computed_at, updating: status.updating };
}

/** What a planner answer (what-if, suggestions: computed from the in-memory model) says of its figures. */
export function modelMeta(model: CoverageModel, status: CoverageStatus): CoverageMeta {
	const v = model.network.dataVersion;
	return { computed_version: v, computed_at: model.computedAt, updating: status.updating || v < status.data_version };
}

/** The same as response headers (exports, whose body has no room for them). */
export function coverageHeaders(meta: CoverageMeta): Record<string, string> {
	return { 'x-coverage-version': meta.computed_version === null ? 'none' : String(meta.computed_version), 'x-coverage-updating': meta.updating ? '1' : '0' };
}

/** seconds a client is asked to wait before asking again while the first results are computed */
export const COMPUTING_RETRY_AFTER_S = 5;

/**
 * The answer before the first results exist (a new database, the first start): 503 with
 * Retry-After, flagged `updating` — the recompute is under way; nobody waits for it.
 */
export function computing(status: CoverageStatus): Response {
	return json(
		{ message: 'coverage is being computed for the first time: try again in a few seconds', ...coverageMeta(status) },
		{ status: 503, headers: { 'retry-after': String(COMPUTING_RETRY_AFTER_S), 'cache-control': 'no-store', ...coverageHeaders(coverageMeta(status)) } }
	);
}

/**
 * Reads stored results in one snapshot (REPEATABLE READ, scoped like withScope), so the figures
 * of one answer all come from one generation even when a new one is served meanwhile; `meta`
 * tells which (read in the same snapshot).
 */
export async function readCoverage<T>(scoped: OpenScoped, status: CoverageStatus, fn: (trx: Scoped) => Promise<T>): Promise<{ value: T; meta: CoverageMeta }> {
	return scoped(
		async (trx) => {
			const {
				rows: [run]
			} = await sql<{ v: number | null; at: Date | string | null }>`
			select (select data_version from coverage_run where id = 1) as v, (select computed_at from coverage_run where id = 1) as at`.execute(trx);
			const v = run.v === null ? null : Number(run.v);
			const meta: CoverageMeta = {
				computed_version: v,
				computed_at: run.at === null ? null : new Date(run.at).toISOString(),
				updating: status.updating || v === null || v < status.data_version
			};
			return { value: await fn(trx), meta };
		},
		{ snapshot: true }
	);
}

/** An analysis that ran out of its time budget or found no free place answers 503 with the reason. */
export function analysisError(e: unknown): never {
	if (e instanceof AnalysisTimeout || e instanceof AnalysisBusy) error(503, e.message);
	throw e;
}
