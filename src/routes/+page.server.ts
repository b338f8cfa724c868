import { error, redirect } from '@sveltejs/kit';
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { mapPage } from '$lib/server/api/guards';
import { areaStats } from '$lib/server/db/queries/area-stats';
import { selectionSummary } from '$lib/server/db/queries/selection';
import { ROLE_RULES } from '$lib/server/auth/roles';

export const load = pageLoad(
	{ guard: mapPage, query: v.object({ sel: v.optional(v.pipe(v.string(), v.maxLength(200, 'at most 200 characters'))) }), tx: 'none' },
	async ({ caller: viewer, input, db, scoped, event }) => {
		const { locals } = event;
		// a grid leader's home is their grid (issue 11): the planner's map stays a link away (?sel=)
		if (viewer.principal === 'grid_leader' && !input.query.sel) redirect(303, '/grid');
		// the figures as they are; a refresh after a write runs in the background (nobody waits for it)
		await areaStats(db).status(1000);
		const sel = input.query.sel ?? null;
		const selection = await scoped((trx) => selectionSummary(trx, sel, viewer));
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
);
