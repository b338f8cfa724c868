import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { search } from '$lib/server/db/queries/search';

export async function GET({ url }) {
	const q = url.searchParams.get('q') ?? '';
	return json({ query: q, hits: await search(await getDb(), q) }, { headers: { 'cache-control': 'private, no-cache' } });
}
