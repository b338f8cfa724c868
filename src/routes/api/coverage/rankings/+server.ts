// Areas of one level ranked by the coverage index, the bottom marked for rectification.
// JSON is a page (`limit` ≤ 500, `offset`) that says how many there are in all (`total`): a
// district's grids are some 5,000 rows, 3 MB of JSON; the CSV and GeoJSON exports hold them all.
import { sql } from 'kysely';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { exportFormat, oneOf, within, wholeNumber } from '$lib/api/inputs';
import { rankingPage, rankings } from '$lib/server/db/queries/coverage';
import { areaRankingsCsv, areaRankingsGeoJson } from '$lib/server/coverage/export';
import { areaCoverageRowsFor } from '$lib/server/privacy/coverage';
import { areaWithin, computing, coverageHeaders, download, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { rankingsAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

/** the most rows a JSON page holds */
const PAGE_MAX = 500;
/** the furthest a page may start (a city has far fewer areas of a level) */
const OFFSET_MAX = 1_000_000;

const query = v.object({
	level: oneOf(['street', 'community', 'grid'] as const, 'community'),
	within,
	format: exportFormat(['json', 'csv', 'geojson'] as const),
	limit: wholeNumber(1, PAGE_MAX, PAGE_MAX),
	offset: wholeNumber(0, OFFSET_MAX, 0)
});

export const GET = endpoint({ guard: mapViewer, query, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const { level, format, limit, offset } = input.query;
	const area = areaWithin(caller, input.query.within);
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	if (format === 'json') {
		const { value, meta } = await readCoverage(scoped, status, (trx) => rankingPage(trx, level, area, { limit, offset }));
		// household counts withheld when small for viewers who see no persons, in JSON and exports alike
		const rows = areaCoverageRowsFor(value.rows, caller);
		return reply(
			rankingsAnswer,
			{ level, within: area, rows, total: value.total, limit, offset, ...meta },
			{ headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } }
		);
	}
	const {
		value: { rows, points },
		meta
	} = await readCoverage(scoped, status, async (trx) => {
		// household counts withheld when small for viewers who see no persons, in JSON and exports alike
		const rows = areaCoverageRowsFor(await rankings(trx, level, area), caller);
		const points = new Map<string, [number, number]>();
		if (format === 'geojson' && rows.length) {
			const { rows: p } = await sql<{ code: string; lon: number; lat: number }>`
				select code, ST_X(ST_PointOnSurface(geom)) as lon, ST_Y(ST_PointOnSurface(geom)) as lat
				from area where code = any(${rows.map((r) => r.code)}::text[])`.execute(trx);
			for (const r of p) points.set(r.code, [r.lon, r.lat]);
		}
		return { rows, points };
	});
	if (format === 'csv') return download(db, caller, clientAddress, `coverage-ranking-${level}`, 'csv', areaRankingsCsv(rows), coverageHeaders(meta));
	return download(db, caller, clientAddress, `coverage-ranking-${level}`, 'geojson', JSON.stringify(areaRankingsGeoJson(rows, points)), coverageHeaders(meta));
});
