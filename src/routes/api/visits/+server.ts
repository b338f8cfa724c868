// Visits (走访, issue 11 part 2). POST records one (idempotent on its client id: a retry answers
// 200 with the visit the first attempt made, a new one 201); GET lists a household's visits,
// newest first. Grid leaders in their grid, secretaries in their subtree (db/queries/visits.ts
// VISIT_WRITERS / VISIT_READERS); a household outside the caller's subtree is a 404. Each write
// is audited; a refusal is audited too, after its transaction rolled back.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { newVisitInput, visitListAnswer, visitListQuery, visitSavedAnswer } from '$lib/api/visits';
import { recordVisit, visitActorOf, visitsOfHousehold, VisitError } from '$lib/server/db/queries/visits';
import { audit } from '$lib/server/auth/audit';
import { visitChanges } from '$lib/server/coverage/visit-changes';

const PRIVATE = { 'cache-control': 'private, no-store' };

export const POST = endpoint({ guard: personViewer, body: newVisitInput, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		const saved = await scoped((trx) => recordVisit(trx, actor, input.body));
		// answered once the visit figures count it (the pass after the commit, at most a moment: coverage/visit-changes.ts)
		if (saved.created) await visitChanges(db).settle();
		return reply(visitSavedAnswer, saved, { status: saved.created ? 201 : 200, headers: PRIVATE });
	} catch (e) {
		if (!(e instanceof VisitError)) throw e;
		await audit(db.kysely, { ...actor, action: 'edit', object: `visit:record household:${input.body.household_id} ${e.code}`, result: 'denied' });
		error(e.status, e.code);
	}
});

export const GET = endpoint({ guard: personViewer, query: visitListQuery }, async ({ caller, input, trx, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		const visits = await visitsOfHousehold(trx, actor, input.query.household);
		if (!visits) error(404, 'not_found');
		return reply(visitListAnswer, { household_id: input.query.household, visits }, { headers: PRIVATE });
	} catch (e) {
		if (e instanceof VisitError) error(e.status, e.code);
		throw e;
	}
});
