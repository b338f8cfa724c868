// Organisations ranked by the coverage index within their kind.
import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { orgRankings } from '$lib/server/coverage/store';
import { orgRankingsCsv } from '$lib/server/coverage/export';
import { areaWithin, computing, coverageHeaders, download, exportFormat, readCoverage, servedCoverage } from '$lib/server/coverage/respond';

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url, ['json', 'csv']);
	const kind = url.searchParams.get('kind') ?? undefined;
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: rows, meta } = await readCoverage(db, viewer.scope, status, (trx) => orgRankings(trx, within, kind ?? undefined));
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'coverage-ranking-organisations', 'csv', orgRankingsCsv(rows), coverageHeaders(meta));
	return json({ within, rows, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
}
