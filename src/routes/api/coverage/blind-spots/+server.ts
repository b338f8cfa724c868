// Blind spots (盲区): uncovered buildings grouped within each grid, most households first.
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { exportFormat, within, wholeNumber } from '$lib/api/inputs';
import { blindSpots } from '$lib/server/db/queries/coverage';
import { blindSpotsCsv, blindSpotsGeoJson } from '$lib/server/coverage/export';
import { blindSpotsFor } from '$lib/server/privacy/coverage';
import { areaWithin, computing, coverageHeaders, download, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { blindSpotsAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

const query = v.object({ within, format: exportFormat(['json', 'csv', 'geojson'] as const), limit: wholeNumber(1, 5000, 200) });

export const GET = endpoint({ guard: mapViewer, query, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const { format, limit } = input.query;
	const area = areaWithin(caller, input.query.within);
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	// households withheld when small for viewers who see no persons, in JSON and exports alike
	const { value, meta } = await readCoverage(scoped, status, (trx) =>
		blindSpots(trx, area, { limit: format === 'json' ? limit : 100_000, geometry: format === 'geojson' })
	);
	const rows = blindSpotsFor(value, caller);
	if (format === 'csv') return download(db, caller, clientAddress, 'blind-spots', 'csv', blindSpotsCsv(rows), coverageHeaders(meta));
	if (format === 'geojson')
		return download(db, caller, clientAddress, 'blind-spots', 'geojson', JSON.stringify(blindSpotsGeoJson(rows)), coverageHeaders(meta));
	return reply(blindSpotsAnswer, { within: area, rows, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
});
