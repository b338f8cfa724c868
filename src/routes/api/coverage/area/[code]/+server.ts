// One area's coverage: living-circle shares, the coverage index and rank, gap counts per rule.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { areaCoverage, coverageRun, gapCounts } from '$lib/server/coverage/store';
import { GAP_RULE_SPECS, gapCountsFor } from '$lib/server/coverage/gaps';
import { areaCoverageFor } from '$lib/server/privacy/coverage';
import { INDEX_FORMULA } from '$lib/server/coverage/ranking';
import { computing, coverageHeaders, readCoverage, servedCoverage } from '$lib/server/coverage/respond';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	if (!/^\d{6}(\d{3}){0,3}$/.test(params.code)) error(400, `malformed area code "${params.code.slice(0, 20)}"`);
	if (!params.code.startsWith(viewer.scope)) error(404, `no area with code ${params.code}`);
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	const { value: body, meta } = await readCoverage(db, viewer.scope, status, async (trx) => {
		const area = await areaCoverage(trx, params.code, viewer.scope);
		if (!area) return null;
		// household counts withheld when small for viewers who see no persons
		const counts = gapCountsFor(await gapCounts(trx, params.code), viewer);
		return {
			run: await coverageRun(trx),
			area: areaCoverageFor(area, viewer),
			gaps: Object.entries(counts).map(([rule, c]) => ({
				rule, ...c, kind: GAP_RULE_SPECS[rule as keyof typeof GAP_RULE_SPECS].kind,
				label: { 'zh-CN': GAP_RULE_SPECS[rule as keyof typeof GAP_RULE_SPECS].zh, en: GAP_RULE_SPECS[rule as keyof typeof GAP_RULE_SPECS].en }
			})),
			formula: { 'zh-CN': INDEX_FORMULA.zh, en: INDEX_FORMULA.en }
		};
	});
	if (!body) error(404, `no area with code ${params.code}`);
	return json({ ...body, ...meta }, { headers: { 'cache-control': 'private, no-cache', ...coverageHeaders(meta) } });
}
