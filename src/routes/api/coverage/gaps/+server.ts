// The objects each organisation/work rule flags. Viewers who see no persons get grid-, building-
// and organisation-level rules — households no one looks after as one row per building, without
// their ids — with small counts withheld (gaps.ts gapRowsFor); central households are persons' homes.
// JSON is a page (`limit` ≤ 500, `offset`) that says how many there are in all (`total`); the
// CSV export (format=csv) holds them all.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { exportFormat, oneOf, within, wholeNumber } from '$lib/api/inputs';
import { gapList, gapPage } from '$lib/server/db/queries/coverage';
import { GAP_RULES, GAP_RULE_SPECS, gapRowsFor } from '$lib/server/coverage/gaps';
import { toCsv, type CsvColumn } from '$lib/server/coverage/export';
import { cellValue } from '$lib/server/privacy/small-cells';
import { areaWithin, computing, coverageHeaders, download, readCoverage, servedCoverage } from '$lib/server/coverage/respond';
import { gapsAnswer } from '$lib/api/coverage';
import { reply } from '$lib/server/api/reply';

/** the most rows a JSON page holds */
const PAGE_MAX = 500;
/** the most rows the CSV holds (a district has some 10,000) */
const EXPORT_MAX = 1_000_000;

const query = v.object({
	rule: oneOf(GAP_RULES),
	within,
	format: exportFormat(['json', 'csv'] as const),
	limit: wholeNumber(1, PAGE_MAX, PAGE_MAX),
	offset: wholeNumber(0, EXPORT_MAX, 0)
});

type ShownGap = ReturnType<typeof gapRowsFor>[number];
const GAP_COLUMNS: CsvColumn<ShownGap>[] = [
	{ key: 'rule', zh: '规则', value: (r) => r.rule },
	{ key: 'object_id', zh: '对象编号', value: (r) => r.object_id },
	{ key: 'area_code', zh: '区域编码', value: (r) => r.area_code },
	{ key: 'name', zh: '名称或地址', value: (r) => r.detail.name ?? r.detail.address ?? '' },
	{ key: 'households', zh: '户数', value: (r) => cellValue(r, 'households') },
	{ key: 'detail', zh: '详情', value: (r) => JSON.stringify(r.detail) }
];

export const GET = endpoint({ guard: mapViewer, query, tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const { rule, format, limit, offset } = input.query;
	if (GAP_RULE_SPECS[rule].object === 'central_household' && !caller.persons) error(403, 'this role sees counts, not households');
	const area = areaWithin(caller, input.query.within);
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	if (format === 'csv') {
		const { value, meta } = await readCoverage(scoped, status, (trx) => gapList(trx, rule, area, { limit: EXPORT_MAX }));
		return download(db, caller, clientAddress, `coverage-gaps-${rule}`, 'csv', toCsv(GAP_COLUMNS, gapRowsFor(value, caller)), coverageHeaders(meta));
	}
	const { value: page, meta } = await readCoverage(scoped, status, (trx) => gapPage(trx, rule, area, { limit, offset }));
	// for viewers who see persons it holds households' and members' ids: never stored
	return reply(
		gapsAnswer,
		{
			rule,
			within: area,
			label: { 'zh-CN': GAP_RULE_SPECS[rule].zh, en: GAP_RULE_SPECS[rule].en },
			rows: gapRowsFor(page.rows, caller),
			total: page.total,
			limit,
			offset,
			...meta
		},
		{ headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } }
	);
});
