// Residents' requests (群众诉求, issue 11 part 3). POST records one from a household or a point in
// the caller's area (idempotent on its client id: a retry answers 200 with the first request's id,
// a new one 201); its photo follows as the raw body of POST /api/requests/<id>/photo (a JSON body is
// capped far below a photo's size). GET lists the caller's area, worst overdue first, a page at a
// time. Who may do what: src/lib/server/requests/machine.ts (README table); each write is audited,
// a refusal too, after its transaction rolled back.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { newRequestInput, requestCreatedAnswer, requestListAnswer, requestListQuery, REQUEST_PAGE_MAX } from '$lib/api/requests';
import { createRequest, listRequests, RequestError } from '$lib/server/db/queries/requests';
import { visitActorOf } from '$lib/server/db/queries/visits';
import { audit } from '$lib/server/auth/audit';

const PRIVATE = { 'cache-control': 'private, no-store' };

export const POST = endpoint({ guard: personViewer, body: newRequestInput, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	const b = input.body;
	try {
		const made = await scoped((trx) =>
			createRequest(trx, actor, {
				clientId: b.client_id,
				category: b.category,
				urgency: b.urgency,
				description: b.description,
				householdId: b.household_id ?? null,
				point: b.point ?? null
			})
		);
		return reply(requestCreatedAnswer, made, { status: made.created ? 201 : 200, headers: PRIVATE });
	} catch (e) {
		if (!(e instanceof RequestError)) throw e;
		const where = b.household_id != null ? `household:${b.household_id}` : `point:${b.point?.join(',')}`;
		await audit(db.kysely, { ...actor, action: 'edit', object: `request:submit ${where} ${e.code}`, result: 'denied' });
		error(e.status, e.code);
	}
});

export const GET = endpoint({ guard: personViewer, query: requestListQuery }, async ({ caller, input, trx, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	const q = input.query;
	const limit = q.limit ?? 50;
	const offset = q.offset ?? 0;
	try {
		const rows = await listRequests(trx, actor, {
			state: q.state || undefined,
			overdue: q.overdue === '1' || q.overdue === 'true',
			area: q.area || undefined,
			limit: Math.min(limit, REQUEST_PAGE_MAX) + 1,
			offset
		});
		return reply(requestListAnswer, { requests: rows.slice(0, limit), offset, limit, more: rows.length > limit }, { headers: PRIVATE });
	} catch (e) {
		if (e instanceof RequestError) error(e.status, e.code);
		throw e;
	}
});
