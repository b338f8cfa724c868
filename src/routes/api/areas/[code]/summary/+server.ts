import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { selectionSummary } from '$lib/server/db/queries/selection';

export async function GET({ params }) {
	if (!/^\d{6}(\d{3}){0,3}$/.test(params.code)) error(400, `malformed area code "${params.code}" (6, 9, 12 or 15 digits)`);
	const summary = await selectionSummary(await getDb(), params.code);
	if (!summary) error(404, `no area with code ${params.code}`);
	return json(summary, { headers: { 'cache-control': 'private, no-cache' } });
}
