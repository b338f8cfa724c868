// A service centre's reach for each living circle, as GeoJSON polygons.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { reachAreas } from '$lib/server/db/queries/coverage';
import { computing, coverageHeaders, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { reachAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

export const GET = endpoint({ guard: mapViewer, params: v.object({ centre: rowId }), tx: 'none' }, async ({ caller, input, db, scoped }) => {
	const { centre } = input.params;
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: reach, meta } = await readCoverage(scoped, status, (trx) => reachAreas(trx, centre, caller.scope));
	if (!reach.length) error(404, `no service centre ${centre} in your area`);
	return reply(
		reachAnswer,
		{
			type: 'FeatureCollection' as const,
			features: reach.map((r) => ({
				type: 'Feature' as const,
				properties: { centre_id: centre, circle: r.circle, threshold_m: r.threshold_m },
				geometry: JSON.parse(r.geojson)
			})),
			...meta
		},
		{ headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } }
	);
});
