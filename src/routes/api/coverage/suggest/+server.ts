// "Suggest k sites": greedy maximal coverage (lazy evaluation) over road nodes and public
// buildings in the caller's area, with pinned and excluded sites. GET, so it can be exported.
// Pinned points must lie in the caller's area (checked before any work). The analysis runs
// under a time budget (budget.ts): when the swap refinement after greedy runs out of time the
// best set found so far is returned with `partial: true`; when even the instance or greedy cannot
// finish, 503.
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { analyst } from '$lib/server/api/guards';
import { exportFormat, pinList, siteKeys, within, wholeNumber } from '$lib/api/inputs';
import { candidateSites, suggestFromCandidates } from '$lib/server/coverage/suggest';
import { suggestionsCsv, suggestionsGeoJson } from '$lib/server/coverage/export';
import { requireInArea } from '$lib/server/coverage/area-box';
import { Budget, withAnalysisSlot } from '$lib/server/coverage/budget';
import { suppressSuggestions } from '$lib/server/privacy/small-cells';
import { analysisError, areaWithin, coverageHeaders, download, modelMeta, servedCoverage } from '$lib/server/coverage/respond';
import { suggestAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

const query = v.object({
	within,
	format: exportFormat(['json', 'csv', 'geojson'] as const),
	k: wholeNumber(1, 20, 3),
	// the 5-, 10- or 15-minute circle
	circle: v.pipe(
		wholeNumber(1, 3, 3),
		v.transform((c) => c as 1 | 2 | 3)
	),
	pin: pinList,
	pinned: siteKeys,
	excluded: siteKeys
});

// no transaction held while it computes: the candidates' query has a short one of its own
export const GET = endpoint({ guard: analyst, query, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const { format, k, circle, pin } = input.query;
	const area = areaWithin(caller, input.query.within);
	await requireInArea(
		db.kysely,
		caller.scope,
		pin.map((p, i) => ({ field: `pin ${i + 1}`, ...p }))
	);
	// the last complete model, never a recompute (one runs in the background after a write); its
	// first load is shared work, not this request's budget
	const { engine, status } = await servedCoverage(db);
	const model = await engine.model();
	const meta = modelMeta(model, status);
	const budget = new Budget();
	const result = await withAnalysisSlot(budget, async () => {
		const candidates = await scoped((trx) => candidateSites(trx, model, area));
		budget.check();
		return suggestFromCandidates(
			model,
			candidates,
			{ scope: area, k, circle, pinned: [...input.query.pinned, ...pin], excluded: input.query.excluded },
			budget
		);
	}).catch(analysisError);
	// a site's gain counts households: small cells withheld from viewers without person access
	const suggestions = suppressSuggestions(result.suggestions, caller);
	if (format === 'csv') return download(db, caller, clientAddress, 'site-suggestions', 'csv', suggestionsCsv(suggestions), coverageHeaders(meta));
	if (format === 'geojson')
		return download(db, caller, clientAddress, 'site-suggestions', 'geojson', JSON.stringify(suggestionsGeoJson(suggestions)), coverageHeaders(meta));
	return reply(
		suggestAnswer,
		{ within: area, k, circle, ...result, suggestions, ...meta },
		{ headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } }
	);
});
