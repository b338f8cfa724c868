// The big screen's page (issue 12): the display only (its kiosk token); its figures are polled
// from /api/screen, the first of them rendered with the page.
import { error } from '@sveltejs/kit';
import { pageLoad } from '$lib/server/api/page';
import { screenDisplay } from '$lib/server/api/guards';
import { screenFigures } from '$lib/server/screen/figures';

export const load = pageLoad({ guard: screenDisplay, tx: 'none' }, async ({ caller: { viewer, screen }, db, scoped, event }) => {
	event.setHeaders({ 'cache-control': 'private, no-store' });
	const figures = await screenFigures(db, scoped, viewer, screen.tourIntervalS);
	if (!figures) error(404, `no area with code ${viewer.scope}`);
	return { figures, screen: { name: screen.name } };
});
