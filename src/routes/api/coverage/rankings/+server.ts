// Areas of one level ranked by the coverage index, the bottom marked for rectification.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { rankings, type RankLevel } from '$lib/server/coverage/store';
import { areaRankingsCsv, areaRankingsGeoJson } from '$lib/server/coverage/export';
import { areaCoverageRowsFor } from '$lib/server/privacy/coverage';
import { areaWithin, computing, coverageHeaders, download, exportFormat, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { sql } from 'kysely';

const LEVELS: RankLevel[] = ['street', 'community', 'grid'];

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const level = (url.searchParams.get('level') ?? 'community') as RankLevel;
	if (!LEVELS.includes(level)) error(400, `level must be ${LEVELS.join(', ')}`);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url);
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: { rows, points }, meta } = await readCoverage(db, viewer.scope, status, async (trx) => {
		// household counts withheld when small for viewers who see no persons, in JSON and exports alike
		const rows = areaCoverageRowsFor(await rankings(trx, level, within), viewer);
		const points = new Map<string, [number, number]>();
		if (format === 'geojson' && rows.length) {
			const { rows: p } = await sql<{ code: string; lon: number; lat: number }>`
				select code, ST_X(ST_PointOnSurface(geom)) as lon, ST_Y(ST_PointOnSurface(geom)) as lat
				from area where code = any(${rows.map((r) => r.code)}::text[])`.execute(trx);
			for (const r of p) points.set(r.code, [r.lon, r.lat]);
		}
		return { rows, points };
	});
	if (format === 'csv') return download(db, viewer, getClientAddress(), `coverage-ranking-${level}`, 'csv', areaRankingsCsv(rows), coverageHeaders(meta));
	if (format === 'geojson') return download(db, viewer, getClientAddress(), `coverage-ranking-${level}`, 'geojson', JSON.stringify(areaRankingsGeoJson(rows, points)), coverageHeaders(meta));
	return json({ level, within, rows, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
}
