// One building's panel, within the caller's area.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { selectionAnswer } from '$lib/api/selection';
import { mapViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { selectionSummary } from '$lib/server/db/queries/selection';

export const GET = endpoint({ guard: mapViewer, params: v.object({ id: rowId }) }, async ({ caller, input, trx }) => {
	const summary = await selectionSummary(trx, `b:${input.params.id}`, caller);
	if (!summary) error(404, `no building with id ${input.params.id}`);
	// it carries persons (the secretary's name; for viewers who see persons, counts as small as they come): never stored
	return reply(selectionAnswer, summary, { headers: { 'cache-control': 'private, no-store' } });
});
