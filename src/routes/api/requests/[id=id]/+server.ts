// One request (issue 11 part 3): its row, its trail (request_event) and the actions the caller may
// take on it now. Outside the caller's area it is a 404, like an id that is no request.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { requestDetailAnswer } from '$lib/api/requests';
import { allowedActions, getRequest, requestEvents, RequestError } from '$lib/server/db/queries/requests';
import { visitActorOf } from '$lib/server/db/queries/visits';

export const GET = endpoint({ guard: personViewer, params: v.object({ id: rowId }) }, async ({ caller, input, trx, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		const request = await getRequest(trx, actor, input.params.id);
		if (!request) error(404, 'not_found');
		const events = await requestEvents(trx, request.id);
		const actions = allowedActions(actor, request);
		return reply(requestDetailAnswer, { request, events, actions }, { headers: { 'cache-control': 'private, no-store' } });
	} catch (e) {
		if (e instanceof RequestError) error(e.status, e.code);
		throw e;
	}
});
