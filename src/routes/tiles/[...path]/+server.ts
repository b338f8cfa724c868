// /tiles/{layer}/{z}/{x}/{y}.mvt and /tiles/{layer}.json — one rest route, so a malformed path
// still gets a 400 with its reason instead of the app's 404 page. The scope comes from the
// session, never from the URL: query parameters are ignored.
import { error } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { serveTiles, toResponse } from '$lib/server/tiles/http';
import { parseTilePath } from '$lib/server/tiles/parse';
import { tileService } from '$lib/server/tiles/service';
import { mapViewer } from '$lib/server/auth/guard';

/** layers that place individual households (only for viewers who see persons): decided on the
 *  parsed path, the one serveTiles answers, so `members/016/…` or `//members/16/…` are caught too */
function placesHouseholds(path: string): boolean {
	const req = parseTilePath(path);
	if (req.kind === 'bad') return false;
	return req.layer === 'central_links' || (req.layer === 'members' && req.kind === 'tile' && req.z >= 16);
}

export async function GET({ params, request, url, locals }) {
	const viewer = mapViewer(locals);
	if (!viewer.persons && placesHouseholds(params.path)) error(403, 'this role sees counts, not households');
	const service = tileService(await getDb());
	return toResponse(await serveTiles(service, params.path, request.headers, { origin: url.origin, scope: viewer.scope, persons: viewer.persons }));
}
