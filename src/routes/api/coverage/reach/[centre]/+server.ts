// A service centre's reach for each living circle, as GeoJSON polygons.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { reachAreas } from '$lib/server/coverage/store';
import { computing, coverageHeaders, readCoverage, servedCoverage } from '$lib/server/coverage/respond';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	if (!/^\d{1,12}$/.test(params.centre)) error(400, `malformed centre id "${params.centre.slice(0, 20)}"`);
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: reach, meta } = await readCoverage(db, viewer.scope, status, (trx) => reachAreas(trx, Number(params.centre), viewer.scope));
	if (!reach.length) error(404, `no service centre ${params.centre} in your area`);
	return json({
		type: 'FeatureCollection',
		features: reach.map((r) => ({ type: 'Feature', properties: { centre_id: Number(params.centre), circle: r.circle, threshold_m: r.threshold_m }, geometry: JSON.parse(r.geojson) })),
		...meta
	}, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
}
