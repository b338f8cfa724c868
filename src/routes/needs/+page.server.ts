// 需求清单 · 资源清单 · 项目清单 (issue 11 part 4): the three lists of the caller's area and the map
// of unmet needs beside the nearest resources (fetched by the page from /api/needs/matches: an
// analysis, which may be busy). Grid leaders, secretaries and the district administrator.
import { error } from '@sveltejs/kit';
import { pageLoad } from '$lib/server/api/page';
import { mapPage } from '$lib/server/api/guards';
import { CLAIMERS, NEED_READERS, NEED_WRITERS, needActorOf, needLists, offerersInScope, scopeBox } from '$lib/server/db/queries/needs';

export const load = pageLoad({ guard: mapPage }, async ({ caller, trx, event, clientAddress }) => {
	const actor = needActorOf(caller, clientAddress);
	if (!actor || !NEED_READERS.includes(actor.role)) error(403, 'needs and resources are for grid leaders, secretaries and the district administrator');
	event.setHeaders({ 'cache-control': 'private, no-store' });
	const canClaim = CLAIMERS.includes(actor.role);
	return {
		lists: await needLists(trx, actor),
		offerers: canClaim ? await offerersInScope(trx, actor) : [],
		bbox: await scopeBox(trx),
		canCreate: NEED_WRITERS.includes(actor.role),
		canClaim,
		scope: caller.scope
	};
});
