import { error } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { selectionSummary } from '$lib/server/db/queries/selection';

export async function load({ url }) {
	const sel = url.searchParams.get('sel');
	const selection = await selectionSummary(await getDb(), sel);
	if (sel && !selection) error(404, `nothing selected by "${sel}"`);
	return { selection: selection ?? null };
}
