// A central household's page (党员中心户): the households it looks after, on the map and as a list.
// One outside the caller's area, or a household that is no central household, reads as nonexistent (404).
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { gridWorker } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { centralHousehold } from '$lib/server/db/queries/my-grid';
import { ROLE_RULES } from '$lib/server/auth/roles';

export const load = pageLoad({ guard: gridWorker, params: v.object({ id: rowId }) }, async ({ caller, input, trx, event }) => {
	// the account the page is for: the outbox's database and the service worker's cache are its own
	const account = event.locals.user?.accountId ?? null;
	event.setHeaders({ 'cache-control': 'private, no-store', ...(account !== null && { 'x-jiceng-account': String(account) }) });
	const view = await centralHousehold(trx, input.params.id, caller);
	if (!view) error(404, `no central household with id ${input.params.id}`);
	const who = {
		name: event.locals.user?.displayName ?? caller.username,
		roleLabel: ROLE_RULES[caller.principal].label,
		demo: event.locals.user?.demo ?? false
	};
	return { who, account, view, chooser: caller.principal !== 'grid_leader' };
});
