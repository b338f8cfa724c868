import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { areaStats } from '$lib/server/db/queries/area-stats';
import { selectionSummary } from '$lib/server/db/queries/selection';
import { mapViewer } from '$lib/server/auth/guard';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	if (!/^\d{6}(\d{3}){0,3}$/.test(params.code)) error(400, `malformed area code "${params.code}" (6, 9, 12 or 15 digits)`);
	const db = await getDb();
	// the figures as they are; a refresh after a write runs in the background (nobody waits for it)
	const figures = await areaStats(db).status(1000);
	const summary = await withScope(db, viewer.scope, (trx) => selectionSummary(trx, params.code, viewer));
	// outside the caller's area and nonexistent look the same
	if (!summary) error(404, `no area with code ${params.code}`);
	// it carries persons (the secretary's name; for viewers who see persons, counts as small as they come): never stored
	return json({ ...summary, figures_updating: figures.updating }, { headers: { 'cache-control': 'private, no-store', 'x-figures-updating': figures.updating ? '1' : '0' } });
}
