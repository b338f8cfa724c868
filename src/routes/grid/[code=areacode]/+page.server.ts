// One grid of the caller's (a community secretary's choice, or a grid leader's own): a grid outside
// the caller's area reads as nonexistent (404).
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { gridWorker } from '$lib/server/api/guards';
import { areaCode } from '$lib/api/inputs';
import { gridFilterQuery } from '$lib/api/my-grid';
import { myGrid } from '$lib/server/db/queries/my-grid';
import { ROLE_RULES } from '$lib/server/auth/roles';

export const load = pageLoad({ guard: gridWorker, params: v.object({ code: areaCode }), query: gridFilterQuery }, async ({ caller, input, trx, event }) => {
	// the account the page is for: the outbox's database and the service worker's cache are its own
	const account = event.locals.user?.accountId ?? null;
	event.setHeaders({ 'cache-control': 'private, no-store', ...(account !== null && { 'x-jiceng-account': String(account) }) });
	const view = await myGrid(trx, input.params.code, caller, input.query);
	if (!view) error(404, `no grid with code ${input.params.code}`);
	const who = {
		name: event.locals.user?.displayName ?? caller.username,
		roleLabel: ROLE_RULES[caller.principal].label,
		demo: event.locals.user?.demo ?? false
	};
	return { who, account, view, chooser: caller.principal !== 'grid_leader' };
});
