// The search box: areas, addresses and organisations in the caller's area.
import { json } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { search } from '$lib/server/db/queries/search';

export const GET = endpoint(
	{ guard: mapViewer, query: v.object({ q: v.optional(v.pipe(v.string(), v.maxLength(200, 'at most 200 characters')), '') }) },
	async ({ input, trx }) => {
		const hits = await search(trx, input.query.q);
		return json({ query: input.query.q, hits }, { headers: { 'cache-control': 'private, no-cache' } });
	}
);
