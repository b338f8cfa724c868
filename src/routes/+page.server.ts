import { error, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { areaStats } from '$lib/server/db/queries/area-stats';
import { selectionSummary } from '$lib/server/db/queries/selection';
import { ROLE_RULES } from '$lib/server/auth/roles';

export async function load({ url, locals }) {
	const viewer = locals.viewer!;
	// the auditor and the administrators have pages of their own and no map
	if (!viewer.map) redirect(303, viewer.principal === 'auditor' ? '/audit' : '/admin');
	const db = await getDb();
	// the figures as they are; a refresh after a write runs in the background (nobody waits for it)
	await areaStats(db).status(1000);
	const sel = url.searchParams.get('sel');
	const selection = await withScope(db, viewer.scope, (trx) => selectionSummary(trx, sel, viewer));
	if (sel && !selection) error(404, `nothing you may see is selected by "${sel}"`);
	return {
		selection: selection ?? null,
		viewer: {
			name: locals.user?.displayName ?? viewer.username,
			role: viewer.principal,
			roleLabel: ROLE_RULES[viewer.principal].label,
			scope: viewer.scope,
			persons: viewer.persons,
			unmasked: viewer.unmasked,
			analyses: ROLE_RULES[viewer.principal].analyses,
			demo: locals.user?.demo ?? false
		}
	};
}
