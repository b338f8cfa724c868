// Blind spots (盲区): uncovered buildings grouped within each grid, most households first.
import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { blindSpots } from '$lib/server/coverage/store';
import { blindSpotsCsv, blindSpotsGeoJson } from '$lib/server/coverage/export';
import { blindSpotsFor } from '$lib/server/privacy/coverage';
import { areaWithin, download, exportFormat, freshCoverage } from '$lib/server/coverage/respond';

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url);
	const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 200) || 200, 1), 5000);
	const db = await getDb();
	await freshCoverage(db);
	// households withheld when small for viewers who see no persons, in JSON and exports alike
	const rows = blindSpotsFor(await withScope(db, viewer.scope, (trx) => blindSpots(trx, within, { limit: format === 'json' ? limit : 100_000, geometry: format === 'geojson' })), viewer);
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'blind-spots', 'csv', blindSpotsCsv(rows));
	if (format === 'geojson') return download(db, viewer, getClientAddress(), 'blind-spots', 'geojson', JSON.stringify(blindSpotsGeoJson(rows)));
	return json({ within, rows }, { headers: { 'cache-control': 'private, no-cache' } });
}
