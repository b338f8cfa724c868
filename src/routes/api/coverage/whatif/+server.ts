// A hypothetical station: households newly within each circle, per community, and its reach.
// The point must lie in the caller's area (checked before any work); the analysis runs under a
// time budget (budget.ts) and answers 503 when it runs out — a what-if has no partial answer.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { whatIf } from '$lib/server/coverage/whatif';
import { requireInArea } from '$lib/server/coverage/area-box';
import { Budget, withAnalysisSlot } from '$lib/server/coverage/budget';
import { analysisError, coverageHeaders, modelMeta, requireAnalyses, servedCoverage } from '$lib/server/coverage/respond';
import { suppressWhatIf } from '$lib/server/privacy/small-cells';

export async function POST({ request, locals }) {
	const viewer = mapViewer(locals);
	requireAnalyses(viewer);
	const body = await request.json().catch(() => null);
	const lon = Number(body?.lon);
	const lat = Number(body?.lat);
	if (!Number.isFinite(lon) || !Number.isFinite(lat)) error(400, 'body must be {"lon": number, "lat": number}');
	const db = await getDb();
	await requireInArea(db.kysely, viewer.scope, [{ field: 'lon/lat', lon, lat }]);
	// the last complete model, never a recompute (one runs in the background after a write); its
	// first load is shared work, not this request's budget
	const { engine, status } = await servedCoverage(db);
	const model = await engine.model();
	const meta = modelMeta(model, status);
	const budget = new Budget();
	const result = await withAnalysisSlot(budget, () => whatIf(db.kysely, model, lon, lat, viewer.scope, engine.params, budget)).catch(analysisError);
	// households per circle and community are counts of households: small cells withheld from viewers without person access
	const shown = suppressWhatIf(result, viewer);
	return json({ ...shown, access_m: Number.isFinite(result.access_m) ? result.access_m : null, ...meta }, { headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } });
}
