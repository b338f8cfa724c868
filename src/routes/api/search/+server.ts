// The search box: areas, addresses and organisations in the caller's area.
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { searchAnswer } from '$lib/api/search';
import { mapViewer } from '$lib/server/api/guards';
import { search } from '$lib/server/db/queries/search';

export const GET = endpoint(
	{ guard: mapViewer, query: v.object({ q: v.optional(v.pipe(v.string(), v.maxLength(200, 'at most 200 characters')), '') }) },
	async ({ input, trx }) => {
		const hits = await search(trx, input.query.q);
		return reply(searchAnswer, { query: input.query.q, hits }, { headers: { 'cache-control': 'private, no-cache' } });
	}
);
