// Resources (资源清单, issue 11 part 4): POST lists one, offered by an organisation or member of the
// caller's area to an area inside it, at their place unless a point is given (idempotent on its
// client id). The lists are read with GET /api/needs. Community and street secretaries and the
// district admin; audited, a refusal too.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { newResourceInput, resourceSavedAnswer } from '$lib/api/needs';
import { needActorOf, NeedError, recordResource } from '$lib/server/db/queries/needs';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint({ guard: personViewer, body: newResourceInput, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const actor = needActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		const saved = await scoped((trx) => recordResource(trx, actor, input.body));
		return reply(resourceSavedAnswer, saved, { status: saved.created ? 201 : 200, headers: { 'cache-control': 'private, no-store' } });
	} catch (e) {
		if (!(e instanceof NeedError)) throw e;
		const by = input.body.org_id != null ? `org:${input.body.org_id}` : `member:${input.body.member_id}`;
		await audit(db.kysely, { ...actor, action: 'edit', object: `resource:record ${by} ${e.code}`, result: 'denied' });
		error(e.status, e.code);
	}
});
