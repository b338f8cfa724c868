// Needs (需求清单, issue 11 part 4). GET answers the caller's three lists — needs, the resources
// they can see (offered to their area, or to the community or street above it), and projects;
// POST enters a need from a request or a point in the caller's area (idempotent on its client id:
// a retry answers 200 with the first need, a new one 201). Who may do what:
// src/lib/server/db/queries/needs.ts (README table); each write is audited, a refusal too.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { needListQuery, needListsAnswer, needSavedAnswer, newNeedInput } from '$lib/api/needs';
import { needActorOf, needLists, NeedError, recordNeed } from '$lib/server/db/queries/needs';
import { audit } from '$lib/server/auth/audit';

const PRIVATE = { 'cache-control': 'private, no-store' };

export const GET = endpoint({ guard: personViewer, query: needListQuery }, async ({ caller, input, trx, clientAddress }) => {
	const actor = needActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		return reply(needListsAnswer, await needLists(trx, actor, input.query.area), { headers: PRIVATE });
	} catch (e) {
		if (e instanceof NeedError) error(e.status, e.code);
		throw e;
	}
});

export const POST = endpoint({ guard: personViewer, body: newNeedInput, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const actor = needActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		const saved = await scoped((trx) => recordNeed(trx, actor, input.body));
		return reply(needSavedAnswer, saved, { status: saved.created ? 201 : 200, headers: PRIVATE });
	} catch (e) {
		if (!(e instanceof NeedError)) throw e;
		const from = input.body.request_id != null ? `request:${input.body.request_id}` : `point:${input.body.point?.join(',')}`;
		await audit(db.kysely, { ...actor, action: 'edit', object: `need:record ${from} ${e.code}`, result: 'denied' });
		error(e.status, e.code);
	}
});
