// Organisations ranked by the coverage index within their kind.
import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { orgRankings } from '$lib/server/coverage/store';
import { orgRankingsCsv } from '$lib/server/coverage/export';
import { areaWithin, download, exportFormat, freshCoverage } from '$lib/server/coverage/respond';

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url, ['json', 'csv']);
	const kind = url.searchParams.get('kind') ?? undefined;
	const db = await getDb();
	await freshCoverage(db);
	const rows = await withScope(db, viewer.scope, (trx) => orgRankings(trx, within, kind ?? undefined));
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'coverage-ranking-organisations', 'csv', orgRankingsCsv(rows));
	return json({ within, rows }, { headers: { 'cache-control': 'private, no-cache' } });
}
