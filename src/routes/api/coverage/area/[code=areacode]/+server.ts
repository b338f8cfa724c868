// One area's coverage: living-circle shares, the coverage index and rank, gap counts per rule.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { areaCode } from '$lib/api/inputs';
import { areaCoverage, coverageRun, gapCounts } from '$lib/server/db/queries/coverage';
import { GAP_RULE_SPECS, gapCountsFor } from '$lib/server/coverage/gaps';
import { areaCoverageFor } from '$lib/server/privacy/coverage';
import { INDEX_FORMULA } from '$lib/server/coverage/ranking';
import { areaWithin, computing, coverageHeaders, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { areaCoverageAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

// its own snapshot, opened once the results' status is known
export const GET = endpoint({ guard: mapViewer, params: v.object({ code: areaCode }), tx: 'none' }, async ({ caller, input, db, scoped }) => {
	const code = areaWithin(caller, input.params.code);
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: body, meta } = await readCoverage(scoped, status, async (trx) => {
		const area = await areaCoverage(trx, code, caller.scope);
		if (!area) return null;
		// household counts withheld when small for viewers who see no persons
		const counts = gapCountsFor(await gapCounts(trx, code), caller);
		return {
			run: await coverageRun(trx),
			area: areaCoverageFor(area, caller),
			gaps: Object.entries(counts).map(([rule, c]) => {
				const spec = GAP_RULE_SPECS[rule as keyof typeof GAP_RULE_SPECS];
				return { rule, ...c, kind: spec.kind, label: { 'zh-CN': spec.zh, en: spec.en } };
			}),
			formula: { 'zh-CN': INDEX_FORMULA.zh, en: INDEX_FORMULA.en }
		};
	});
	if (!body) error(404, `no area with code ${code}`);
	return reply(areaCoverageAnswer, { ...body, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
});
