// A project's end (项目清单, issue 11 part 4): done with its result (the need is met), or cancelled
// (the need is open for another claim). Refusals: 409 finished, 404 outside the caller's area; audited.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { finishProjectInput, projectAnswer } from '$lib/api/needs';
import { finishProject, needActorOf, NeedError } from '$lib/server/db/queries/needs';
import { audit } from '$lib/server/auth/audit';

export const PATCH = endpoint(
	{ guard: personViewer, params: v.object({ id: rowId }), body: finishProjectInput, tx: 'none' },
	async ({ caller, input, db, scoped, clientAddress }) => {
		const actor = needActorOf(caller, clientAddress);
		if (!actor) error(403, 'forbidden');
		const { id } = input.params;
		try {
			const project = await scoped((trx) => finishProject(trx, actor, id, input.body));
			return reply(projectAnswer, { project }, { headers: { 'cache-control': 'private, no-store' } });
		} catch (e) {
			if (!(e instanceof NeedError)) throw e;
			await audit(db.kysely, { ...actor, action: 'edit', object: `project:${id}:${input.body.state} ${e.code}`, result: 'denied' });
			error(e.status, e.code);
		}
	}
);
