// Organisations ranked by the coverage index within their kind.
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { exportFormat, within } from '$lib/api/inputs';
import { orgRankings } from '$lib/server/db/queries/coverage';
import { orgRankingsCsv } from '$lib/server/coverage/export';
import { areaWithin, computing, coverageHeaders, download, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { orgRankingsAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

const query = v.object({
	within,
	format: exportFormat(['json', 'csv'] as const),
	kind: v.optional(v.pipe(v.string(), v.regex(/^[a-z_]{1,40}$/, 'must be an organisation kind')))
});

export const GET = endpoint({ guard: mapViewer, query, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const area = areaWithin(caller, input.query.within);
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: rows, meta } = await readCoverage(scoped, status, (trx) => orgRankings(trx, area, input.query.kind));
	if (input.query.format === 'csv')
		return download(db, caller, clientAddress, 'coverage-ranking-organisations', 'csv', orgRankingsCsv(rows), coverageHeaders(meta));
	return reply(orgRankingsAnswer, { within: area, rows, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
});
