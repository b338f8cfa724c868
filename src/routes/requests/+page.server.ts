// 群众诉求 (issue 11 part 3): the requests of the caller's area — grid leaders their grid, the
// secretaries their community or street, the district administrator the district — worst overdue
// first, filtered by state, overdue and area (search params, so a view can be linked), a page at a time.
import { error } from '@sveltejs/kit';
import { pageLoad } from '$lib/server/api/page';
import { mapPage } from '$lib/server/api/guards';
import { requestListQuery, REQUEST_PAGE_MAX } from '$lib/api/requests';
import { listRequests, RequestError } from '$lib/server/db/queries/requests';
import { visitActorOf } from '$lib/server/db/queries/visits';
import { CREATORS, READERS } from '$lib/server/requests/machine';

export const load = pageLoad({ guard: mapPage, query: requestListQuery }, async ({ caller, input, trx, event, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor || !READERS.includes(actor.role)) error(403, 'requests are for grid leaders, secretaries and the district administrator');
	event.setHeaders({ 'cache-control': 'private, no-store' });
	const q = input.query;
	const limit = Math.min(q.limit ?? 30, REQUEST_PAGE_MAX);
	const offset = q.offset ?? 0;
	const filter = { state: q.state ?? '', overdue: q.overdue === '1' || q.overdue === 'true', area: q.area ?? '' };
	try {
		const rows = await listRequests(trx, actor, {
			state: filter.state || undefined,
			overdue: filter.overdue,
			area: filter.area || undefined,
			limit: limit + 1,
			offset
		});
		return { requests: rows.slice(0, limit), more: rows.length > limit, offset, limit, filter, scope: caller.scope, canCreate: CREATORS.includes(actor.role) };
	} catch (e) {
		if (e instanceof RequestError) error(e.status, e.code);
		throw e;
	}
});
