import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { selectionSummary } from '$lib/server/db/queries/selection';

export async function GET({ params }) {
	if (!/^\d{1,15}$/.test(params.id)) error(400, `malformed building id "${params.id}"`);
	const summary = await selectionSummary(await getDb(), `b:${params.id}`);
	if (!summary) error(404, `no building with id ${params.id}`);
	return json(summary, { headers: { 'cache-control': 'private, no-cache' } });
}
