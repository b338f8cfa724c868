// A hypothetical station: households newly within each circle, per community, and its reach.
// The point must lie in the caller's area (checked before any work); the analysis runs under a
// time budget (budget.ts) and answers 503 when it runs out — a what-if has no partial answer.
import { endpoint } from '$lib/server/api/endpoint';
import { analyst } from '$lib/server/api/guards';
import { lonLat } from '$lib/api/inputs';
import { whatIf } from '$lib/server/coverage/whatif';
import { requireInArea } from '$lib/server/coverage/area-box';
import { Budget, withAnalysisSlot } from '$lib/server/coverage/budget';
import { analysisError, coverageHeaders, modelMeta, servedCoverage } from '$lib/server/coverage/respond';
import { suppressWhatIf } from '$lib/server/privacy/small-cells';
import { whatIfAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

// no transaction held while it computes: the analysis opens the short ones it needs
export const POST = endpoint({ guard: analyst, body: lonLat, tx: 'none' }, async ({ caller, input, db }) => {
	const { lon, lat } = input.body;
	await requireInArea(db.kysely, caller.scope, [{ field: 'lon/lat', lon, lat }]);
	// the last complete model, never a recompute (one runs in the background after a write); its
	// first load is shared work, not this request's budget
	const { engine, status } = await servedCoverage(db);
	const model = await engine.model();
	const meta = modelMeta(model, status);
	const budget = new Budget();
	const result = await withAnalysisSlot(budget, () => whatIf(db.kysely, model, lon, lat, caller.scope, engine.params, budget)).catch(analysisError);
	// households per circle and community are counts of households: small cells withheld from viewers without person access
	const shown = suppressWhatIf(result, caller);
	return reply(
		whatIfAnswer,
		{ ...shown, access_m: Number.isFinite(result.access_m) ? result.access_m : null, ...meta },
		{ headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } }
	);
});
