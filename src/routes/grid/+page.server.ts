// 我的网格 (issue 11 part 1): a grid leader's own grid; a community secretary chooses one of theirs.
// Filters are search params (gridFilterQuery), so a view can be linked.
import { error } from '@sveltejs/kit';
import { pageLoad } from '$lib/server/api/page';
import { gridWorker } from '$lib/server/api/guards';
import { gridFilterQuery } from '$lib/api/my-grid';
import { gridsInScope, myGrid } from '$lib/server/db/queries/my-grid';
import { ROLE_RULES } from '$lib/server/auth/roles';

export const load = pageLoad({ guard: gridWorker, query: gridFilterQuery }, async ({ caller, input, trx, event }) => {
	// the account the page is for: the outbox's database and the service worker's cache are its own
	const account = event.locals.user?.accountId ?? null;
	event.setHeaders({ 'cache-control': 'private, no-store', ...(account !== null && { 'x-jiceng-account': String(account) }) });
	const who = {
		name: event.locals.user?.displayName ?? caller.username,
		roleLabel: ROLE_RULES[caller.principal].label,
		demo: event.locals.user?.demo ?? false
	};
	if (caller.principal === 'grid_leader') {
		const view = await myGrid(trx, caller.scope, caller, input.query);
		if (!view) error(404, `no grid with code ${caller.scope}`);
		return { who, account, view, grids: null };
	}
	return { who, account, view: null, grids: await gridsInScope(trx) };
});
