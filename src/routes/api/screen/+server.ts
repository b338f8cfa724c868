// The big screen's figures (issue 12), polled with an ETag: the tag is made from what the figures
// are made of (data version, the area figures' and coverage results' versions, the day's snapshot,
// the screen's tour interval), so an unchanged screen costs a 304 without running the queries.
// Every poll passes the kiosk token's check: a revoked screen gets 401 at its next poll.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { screenAnswer } from '$lib/api/screen';
import { screenDisplay } from '$lib/server/api/guards';
import { screenFigures, screenTag } from '$lib/server/screen/figures';

export const GET = endpoint({ guard: screenDisplay, tx: 'none' }, async ({ caller: { viewer, screen }, db, scoped, event }) => {
	const tag = await screenTag(db, screen.id, screen.tourIntervalS);
	const headers = { 'cache-control': 'private, no-cache', etag: tag };
	if (event.request.headers.get('if-none-match') === tag) return new Response(null, { status: 304, headers });
	const figures = await screenFigures(db, scoped, viewer, screen.tourIntervalS);
	if (!figures) error(404, `no area with code ${viewer.scope}`);
	return reply(screenAnswer, figures, { headers });
});
