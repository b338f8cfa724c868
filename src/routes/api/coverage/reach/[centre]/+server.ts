// A service centre's reach for each living circle, as GeoJSON polygons.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { reachAreas } from '$lib/server/coverage/store';
import { freshCoverage } from '$lib/server/coverage/respond';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	if (!/^\d{1,12}$/.test(params.centre)) error(400, `malformed centre id "${params.centre.slice(0, 20)}"`);
	const db = await getDb();
	await freshCoverage(db);
	const reach = await withScope(db, viewer.scope, (trx) => reachAreas(trx, Number(params.centre), viewer.scope));
	if (!reach.length) error(404, `no service centre ${params.centre} in your area`);
	return json({
		type: 'FeatureCollection',
		features: reach.map((r) => ({ type: 'Feature', properties: { centre_id: Number(params.centre), circle: r.circle, threshold_m: r.threshold_m }, geometry: JSON.parse(r.geojson) }))
	}, { headers: { 'cache-control': 'private, no-cache' } });
}
