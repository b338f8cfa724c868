// Unmet needs next to the nearest resources that could meet them, by walking distance on the
// coverage engine's network (src/lib/server/needs/nearest.ts). Reads the last complete network
// (never waiting for a recompute) and runs under an analysis budget and slot, like a what-if:
// 503 with Retry-After when the budget runs out or the analyses are full.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { MATCH_NEEDS_MAX, NEAREST_WALK_MAX_M, needListQuery, needMatchesAnswer } from '$lib/api/needs';
import { activeResources, needActorOf, NEED_READERS, NeedError, openNeeds } from '$lib/server/db/queries/needs';
import { nearestResourceSteps } from '$lib/server/needs/nearest';
import { Budget, drive, withAnalysisSlot } from '$lib/server/coverage/budget';
import { analysisError, servedCoverage } from '$lib/server/coverage/respond';

export const GET = endpoint({ guard: personViewer, query: needListQuery, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const actor = needActorOf(caller, clientAddress);
	if (!actor || !NEED_READERS.includes(actor.role)) error(403, 'forbidden');
	const area = input.query.area;
	const { needs, resources } = await scoped(async (trx) => ({
		needs: await openNeeds(trx, MATCH_NEEDS_MAX, area),
		resources: await activeResources(trx, actor, area)
	})).catch((e: unknown) => {
		if (e instanceof NeedError) error(e.status, e.code);
		throw e;
	});
	const { engine } = await servedCoverage(db);
	const model = await engine.model();
	const budget = new Budget();
	const matches = await withAnalysisSlot(budget, () => drive(nearestResourceSteps(model, needs.rows, resources, NEAREST_WALK_MAX_M), budget)).catch(
		analysisError
	);
	return reply(
		needMatchesAnswer,
		{ matches, truncated: needs.truncated, walk_max_m: NEAREST_WALK_MAX_M },
		{ headers: { 'cache-control': 'private, no-store' } }
	);
});
