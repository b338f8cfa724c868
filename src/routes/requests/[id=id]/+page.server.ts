// One request (issue 11 part 3): what was asked, where it is held, its history, and the actions the
// viewer may take now (the buttons; the server decides again when one is sent). Outside the viewer's
// area: 404.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { mapPage } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { allowedActions, getRequest, requestEvents, RequestError } from '$lib/server/db/queries/requests';
import { visitActorOf } from '$lib/server/db/queries/visits';
import { READERS } from '$lib/server/requests/machine';
import { NEED_WRITERS, needOfRequest } from '$lib/server/db/queries/needs';

export const load = pageLoad({ guard: mapPage, params: v.object({ id: rowId }) }, async ({ caller, input, trx, event, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor || !READERS.includes(actor.role)) error(403, 'requests are for grid leaders, secretaries and the district administrator');
	event.setHeaders({ 'cache-control': 'private, no-store' });
	try {
		const request = await getRequest(trx, actor, input.params.id);
		if (!request) error(404, 'not_found');
		const events = await requestEvents(trx, request.id);
		return {
			request: { ...request, created_at: new Date(request.created_at).toISOString() },
			events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
			actions: allowedActions(actor, request),
			// a request may become a need of the 需求清单 (issue 11 part 4), once
			need: { id: await needOfRequest(trx, request.id), canMake: NEED_WRITERS.includes(actor.role) }
		};
	} catch (e) {
		if (e instanceof RequestError) error(e.status, e.code);
		throw e;
	}
});
