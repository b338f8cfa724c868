import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { selectionSummary } from '$lib/server/db/queries/selection';
import { mapViewer } from '$lib/server/auth/guard';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	if (!/^\d{1,15}$/.test(params.id)) error(400, `malformed building id "${params.id}"`);
	const summary = await withScope(await getDb(), viewer.scope, (trx) => selectionSummary(trx, `b:${params.id}`, viewer));
	if (!summary) error(404, `no building with id ${params.id}`);
	// it carries persons (the secretary's name; for viewers who see persons, counts as small as they come): never stored
	return json(summary, { headers: { 'cache-control': 'private, no-store' } });
}
