// Claiming a need (双向认领, issue 11 part 4): a listed resource taken for it (需求认领资源), or an
// organisation or member of the caller's area claiming it (资源认领需求). Either way the need becomes
// a project with an owner and a due date. Refusals: 409 already_claimed (of two claims at once, one
// wins), 400 wrong_category / due_in_past, 404 outside the caller's area; each audited.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { claimInput, projectAnswer } from '$lib/api/needs';
import { claimNeed, needActorOf, NeedError } from '$lib/server/db/queries/needs';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint(
	{ guard: personViewer, params: v.object({ id: rowId }), body: claimInput, tx: 'none' },
	async ({ caller, input, db, scoped, clientAddress }) => {
		const actor = needActorOf(caller, clientAddress);
		if (!actor) error(403, 'forbidden');
		const { id } = input.params;
		try {
			const project = await scoped((trx) => claimNeed(trx, actor, id, input.body));
			return reply(projectAnswer, { project }, { status: 201, headers: { 'cache-control': 'private, no-store' } });
		} catch (e) {
			if (!(e instanceof NeedError)) throw e;
			await audit(db.kysely, { ...actor, action: 'edit', object: `need:${id}:claim ${e.code}`, result: 'denied' });
			error(e.status, e.code);
		}
	}
);
