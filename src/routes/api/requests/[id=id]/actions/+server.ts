// A step of a request (issue 11 part 3): accept, start, resolve, confirm, reopen, escalate or return,
// with a reason where machine.ts asks for one (reopen, escalate; return's reason is the instruction).
// Answers the request as GET /api/requests/<id> does. Refusals: 403 forbidden (not this role or
// level), 409 invalid_state, 400 reason_required, 404 outside the caller's area; each audited.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { requestActionInput, requestDetailAnswer } from '$lib/api/requests';
import { actOnRequest, allowedActions, getRequest, requestEvents, RequestError } from '$lib/server/db/queries/requests';
import { visitActorOf } from '$lib/server/db/queries/visits';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint(
	{ guard: personViewer, params: v.object({ id: rowId }), body: requestActionInput, tx: 'none' },
	async ({ caller, input, db, scoped, clientAddress }) => {
		const actor = visitActorOf(caller, clientAddress);
		if (!actor) error(403, 'forbidden');
		const { id } = input.params;
		const { action, reason } = input.body;
		try {
			const detail = await scoped(async (trx) => {
				await actOnRequest(trx, actor, id, action, reason || null);
				const request = await getRequest(trx, actor, id);
				if (!request) throw new RequestError('not_found', 404);
				return { request, events: await requestEvents(trx, id), actions: allowedActions(actor, request) };
			});
			return reply(requestDetailAnswer, detail, { headers: { 'cache-control': 'private, no-store' } });
		} catch (e) {
			if (!(e instanceof RequestError)) throw e;
			await audit(db.kysely, { ...actor, action: 'edit', object: `request:${id}:${action} ${e.code}`, result: 'denied' });
			error(e.status, e.code);
		}
	}
);
