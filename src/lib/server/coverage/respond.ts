// What the coverage routes share: the area to answer for, exports in the asked format, and the
// audit row an export leaves. Figures come from store.ts only (one query path).
import { error } from '@sveltejs/kit';
import type { Viewer } from '../auth/viewer.ts';
import { audit } from '../auth/audit.ts';
import type { Db } from '../db/open.ts';
import { ROLE_RULES } from '../auth/roles.ts';
import { coverageEngine } from './engine.ts';
import { AnalysisBusy, AnalysisTimeout } from './budget.ts';

/**
 * The area code to answer for: `within` narrows the caller's scope, never widens it (outside
 * the caller's subtree reads as nonexistent).
 */
export function areaWithin(viewer: Viewer, url: URL): string {
	const within = url.searchParams.get('within');
	if (within === null || within === '') return viewer.scope;
	if (!/^\d{6}(\d{3}){0,3}$/.test(within)) error(400, `malformed area code "${within.slice(0, 20)}"`);
	if (!within.startsWith(viewer.scope)) error(404, `no area with code ${within}`);
	return within;
}

export type ExportFormat = 'json' | 'csv' | 'geojson';

export function exportFormat(url: URL, allowed: readonly ExportFormat[] = ['json', 'csv', 'geojson']): ExportFormat {
	const format = (url.searchParams.get('format') ?? 'json') as ExportFormat;
	if (!allowed.includes(format)) error(400, `format must be ${allowed.join(', ')}`);
	return format;
}

/** A CSV or GeoJSON download, audited as an export. */
export async function download(
	db: Db,
	viewer: Viewer,
	clientAddr: string,
	what: string,
	format: 'csv' | 'geojson',
	body: string
): Promise<Response> {
	await audit(db.kysely, {
		accountId: viewer.accountId, username: viewer.username, role: viewer.principal, clientAddr,
		action: 'export', object: `${what}.${format}`, result: 'ok'
	});
	const stamp = new Date().toISOString().slice(0, 10);
	return new Response(body, {
		headers: {
			'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json; charset=utf-8',
			'content-disposition': `attachment; filename="${what}-${stamp}.${format === 'csv' ? 'csv' : 'geojson'}"`,
			'cache-control': 'private, no-store'
		}
	});
}

/** Planner tools (what-if, suggestions) are for roles that run analyses. */
export function requireAnalyses(viewer: Viewer): void {
	if (!ROLE_RULES[viewer.principal].analyses) error(403, 'this role does not run analyses');
}

/** Stored results fresh for the data, then the engine (shared by every route of this Db). */
export async function freshCoverage(db: Db) {
	const engine = coverageEngine(db);
	await engine.ensure();
	return engine;
}

/** An analysis that ran out of its time budget or found no free place answers 503 with the reason. */
export function analysisError(e: unknown): never {
	if (e instanceof AnalysisTimeout || e instanceof AnalysisBusy) error(503, e.message);
	throw e;
}
