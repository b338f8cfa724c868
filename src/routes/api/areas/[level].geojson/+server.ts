// The outlines of one level of areas in the caller's area, as GeoJSON.
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { oneOf } from '$lib/api/inputs';
import { areaOutlinesGeoJson } from '$lib/server/db/queries/areas';

export const GET = endpoint(
	{ guard: mapViewer, params: v.object({ level: oneOf(['street', 'community', 'grid'] as const) }) },
	async ({ input, trx }) =>
		new Response(await areaOutlinesGeoJson(trx, input.params.level), {
			headers: { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': 'private, max-age=60' }
		})
);
