// Editing a visit (issue 11 part 2): its own visitor only, within 24 hours of recording it
// (db/queries/visits.ts); anyone else's, or an older one, is refused with the reason (403
// not_yours / too_old), one outside the caller's subtree is a 404. Audited, refusals included.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { visitEditedAnswer, visitEditInput } from '$lib/api/visits';
import { editVisit, visitActorOf, VisitError } from '$lib/server/db/queries/visits';
import { audit } from '$lib/server/auth/audit';
import { visitChanges } from '$lib/server/coverage/visit-changes';

export const PATCH = endpoint(
	{ guard: personViewer, params: v.object({ id: rowId }), body: visitEditInput, tx: 'none' },
	async ({ caller, input, db, scoped, clientAddress }) => {
		const actor = visitActorOf(caller, clientAddress);
		if (!actor) error(403, 'forbidden');
		const { id } = input.params;
		try {
			const visit = await scoped((trx) => editVisit(trx, actor, id, input.body));
			// a new day may move the household in or out of the visit figures: answered once they count it
			await visitChanges(db).settle();
			return reply(visitEditedAnswer, { visit }, { headers: { 'cache-control': 'private, no-store' } });
		} catch (e) {
			if (!(e instanceof VisitError)) throw e;
			await audit(db.kysely, { ...actor, action: 'edit', object: `visit:${id}:edit ${e.code}`, result: 'denied' });
			error(e.status, e.code);
		}
	}
);
