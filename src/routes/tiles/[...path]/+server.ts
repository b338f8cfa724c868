// /tiles/{layer}/{z}/{x}/{y}.mvt and /tiles/{layer}.json — one rest route, so a malformed path
// still gets a 400 with its reason instead of the app's 404 page. The scope comes from the
// session, never from the URL: query parameters are ignored. The tile service opens its own
// scoped transaction per tile build (and none at all for a cached tile).
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { serveTiles, toResponse } from '$lib/server/tiles/http';
import { parseTilePath } from '$lib/server/tiles/parse';
import { tileService } from '$lib/server/tiles/service';
import { placesHouseholds } from '$lib/server/tiles/sources';

/** whether the path asks for individual households (the layer declaration says from which zoom):
 *  decided on the parsed path, the one serveTiles answers, so `members/016/…` or `//members/16/…` are caught too */
function asksForHouseholds(path: string): boolean {
	const req = parseTilePath(path);
	if (req.kind === 'bad') return false;
	return placesHouseholds(req.layer, req.kind === 'tile' ? req.z : null);
}

export const GET = endpoint(
	{ guard: mapViewer, params: v.object({ path: v.pipe(v.string(), v.maxLength(200, 'at most 200 characters')) }), tx: 'none' },
	async ({ caller, input, db, event, url }) => {
		if (!caller.persons && asksForHouseholds(input.params.path)) error(403, 'this role sees counts, not households');
		return toResponse(
			await serveTiles(tileService(db), input.params.path, event.request.headers, { origin: url.origin, scope: caller.scope, persons: caller.persons })
		);
	}
);
