// One area's panel: its figures, children, organisation and breadcrumb, within the caller's area.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { areaSummaryAnswer } from '$lib/api/selection';
import { mapViewer } from '$lib/server/api/guards';
import { areaCode } from '$lib/api/inputs';
import { areaStats } from '$lib/server/db/queries/area-stats';
import { selectionSummary } from '$lib/server/db/queries/selection';

// no transaction of the request's: the figures' status is read beside it
export const GET = endpoint({ guard: mapViewer, params: v.object({ code: areaCode }), tx: 'none' }, async ({ caller, input, db, scoped }) => {
	// the figures as they are; a refresh after a write runs in the background (nobody waits for it)
	const figures = await areaStats(db).status(1000);
	const summary = await scoped((trx) => selectionSummary(trx, input.params.code, caller));
	// outside the caller's area and nonexistent look the same
	if (!summary) error(404, `no area with code ${input.params.code}`);
	// it carries persons (the secretary's name; for viewers who see persons, counts as small as they come): never stored
	return reply(
		areaSummaryAnswer,
		{ ...summary, figures_updating: figures.updating },
		{ headers: { 'cache-control': 'private, no-store', 'x-figures-updating': figures.updating ? '1' : '0' } }
	);
});
