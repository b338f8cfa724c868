// /tiles/{layer}/{z}/{x}/{y}.mvt and /tiles/{layer}.json — one rest route, so a malformed path
// still gets a 400 with its reason instead of the app's 404 page.
import { getDb } from '$lib/server/db';
import { serveTiles, toResponse } from '$lib/server/tiles/http';
import { tileService } from '$lib/server/tiles/service';

export async function GET({ params, request, url }) {
	const service = tileService(await getDb());
	return toResponse(await serveTiles(service, params.path, request.headers, { origin: url.origin }));
}
