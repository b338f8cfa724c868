import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { search } from '$lib/server/db/queries/search';
import { mapViewer } from '$lib/server/auth/guard';

export async function GET({ url, locals }) {
	const viewer = mapViewer(locals);
	const q = url.searchParams.get('q') ?? '';
	const hits = await withScope(await getDb(), viewer.scope, (trx) => search(trx, q, viewer.scope));
	return json({ query: q, hits }, { headers: { 'cache-control': 'private, no-cache' } });
}
