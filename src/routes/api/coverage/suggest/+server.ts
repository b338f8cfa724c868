// "Suggest k sites": greedy maximal coverage (lazy evaluation) over road nodes and public
// buildings in the caller's area, with pinned and excluded sites. GET, so it can be exported.
// Pinned points must lie in the caller's area (checked before any work). The analysis runs
// under a time budget (budget.ts): when the swap refinement after greedy runs out of time the
// best set found so far is returned with `partial: true`; when even the instance or greedy cannot
// finish, 503.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { candidateSites, suggestFromCandidates } from '$lib/server/coverage/suggest';
import { suggestionsCsv, suggestionsGeoJson } from '$lib/server/coverage/export';
import { requireInArea } from '$lib/server/coverage/area-box';
import { Budget, withAnalysisSlot } from '$lib/server/coverage/budget';
import { suppressSuggestions } from '$lib/server/privacy/small-cells';
import { analysisError, areaWithin, coverageHeaders, download, exportFormat, modelMeta, requireAnalyses, servedCoverage } from '$lib/server/coverage/respond';

function keys(url: URL, name: string): string[] {
	return (url.searchParams.get(name) ?? '').split(',').map((k) => k.trim()).filter((k) => /^[a-z]+:[\w.,:-]{1,60}$/.test(k)).slice(0, 50);
}

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	requireAnalyses(viewer);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url);
	const k = Number(url.searchParams.get('k') ?? 3);
	const circle = Number(url.searchParams.get('circle') ?? 3);
	if (!Number.isInteger(k) || k < 1 || k > 20) error(400, 'k must be an integer from 1 to 20');
	if (![1, 2, 3].includes(circle)) error(400, 'circle must be 1, 2 or 3 (5-, 10- or 15-minute)');
	const pins = (url.searchParams.get('pin') ?? '').split(';').filter(Boolean);
	if (pins.length > 20) error(400, 'at most 20 pins');
	const pinnedPoints = pins.map((p) => {
		const [lon, lat] = p.split(',').map(Number);
		if (!Number.isFinite(lon) || !Number.isFinite(lat)) error(400, `pin "${p.slice(0, 40)}" is not lon,lat`);
		return { lon, lat };
	});
	const db = await getDb();
	await requireInArea(db.kysely, viewer.scope, pinnedPoints.map((p, i) => ({ field: `pin ${i + 1}`, ...p })));
	// the last complete model, never a recompute (one runs in the background after a write); its
	// first load is shared work, not this request's budget
	const { engine, status } = await servedCoverage(db);
	const model = await engine.model();
	const meta = modelMeta(model, status);
	const budget = new Budget();
	const result = await withAnalysisSlot(budget, async () => {
		// the transaction lasts for the candidates' query only: the rest is in memory, under the budget
		const candidates = await withScope(db, viewer.scope, (trx) => candidateSites(trx, model, within));
		budget.check();
		return suggestFromCandidates(model, candidates, {
			scope: within, k, circle: circle as 1 | 2 | 3,
			pinned: [...keys(url, 'pinned'), ...pinnedPoints], excluded: keys(url, 'excluded')
		}, budget);
	}).catch(analysisError);
	// a site's gain counts households: small cells withheld from viewers without person access
	const suggestions = suppressSuggestions(result.suggestions, viewer);
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'site-suggestions', 'csv', suggestionsCsv(suggestions), coverageHeaders(meta));
	if (format === 'geojson') return download(db, viewer, getClientAddress(), 'site-suggestions', 'geojson', JSON.stringify(suggestionsGeoJson(suggestions)), coverageHeaders(meta));
	return json({ within, k, circle, ...result, suggestions, ...meta }, { headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } });
}
