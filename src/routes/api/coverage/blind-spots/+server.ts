// Blind spots (盲区): uncovered buildings grouped within each grid, most households first.
import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { blindSpots } from '$lib/server/coverage/store';
import { blindSpotsCsv, blindSpotsGeoJson } from '$lib/server/coverage/export';
import { blindSpotsFor } from '$lib/server/privacy/coverage';
import { areaWithin, computing, coverageHeaders, download, exportFormat, readCoverage, servedCoverage } from '$lib/server/coverage/respond';

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url);
	const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 200) || 200, 1), 5000);
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	// households withheld when small for viewers who see no persons, in JSON and exports alike
	const { value, meta } = await readCoverage(db, viewer.scope, status, (trx) => blindSpots(trx, within, { limit: format === 'json' ? limit : 100_000, geometry: format === 'geojson' }));
	const rows = blindSpotsFor(value, viewer);
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'blind-spots', 'csv', blindSpotsCsv(rows), coverageHeaders(meta));
	if (format === 'geojson') return download(db, viewer, getClientAddress(), 'blind-spots', 'geojson', JSON.stringify(blindSpotsGeoJson(rows)), coverageHeaders(meta));
	return json({ within, rows, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
}
