// The objects each organisation/work rule flags. Viewers who see no persons get grid-, building-
// and organisation-level rules — households no one looks after as one row per building, without
// their ids — with small counts withheld (gaps.ts gapRowsFor); central households are persons' homes.
// JSON is a page (`limit` ≤ 500, `offset`) that says how many there are in all (`total`); the
// CSV export (format=csv) holds them all.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { gapList, gapPage } from '$lib/server/coverage/store';
import { GAP_RULE_SPECS, gapRowsFor, isGapRule } from '$lib/server/coverage/gaps';
import { toCsv, type CsvColumn } from '$lib/server/coverage/export';
import { cellValue } from '$lib/server/privacy/small-cells';
import { areaWithin, computing, coverageHeaders, download, exportFormat, readCoverage, servedCoverage } from '$lib/server/coverage/respond';

/** the most rows a JSON page holds */
const PAGE_MAX = 500;
/** the most rows the CSV holds (a district has some 10,000) */
const EXPORT_MAX = 1_000_000;

function whole(url: URL, name: string, fallback: number, min: number, max: number): number {
	const raw = url.searchParams.get(name);
	if (raw === null || raw === '') return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < min || n > max) error(400, `${name} must be an integer from ${min} to ${max}`);
	return n;
}

type ShownGap = ReturnType<typeof gapRowsFor>[number];
const GAP_COLUMNS: CsvColumn<ShownGap>[] = [
	{ key: 'rule', zh: '规则', value: (r) => r.rule },
	{ key: 'object_id', zh: '对象编号', value: (r) => r.object_id },
	{ key: 'area_code', zh: '区域编码', value: (r) => r.area_code },
	{ key: 'name', zh: '名称或地址', value: (r) => r.detail.name ?? r.detail.address ?? '' },
	{ key: 'households', zh: '户数', value: (r) => cellValue(r, 'households') },
	{ key: 'detail', zh: '详情', value: (r) => JSON.stringify(r.detail) }
];

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	const rule = url.searchParams.get('rule');
	if (rule === null || !isGapRule(rule)) error(400, `rule must be one of ${Object.keys(GAP_RULE_SPECS).join(', ')}`);
	if (GAP_RULE_SPECS[rule].object === 'central_household' && !viewer.persons) error(403, 'this role sees counts, not households');
	const within = areaWithin(viewer, url);
	const format = exportFormat(url, ['json', 'csv']);
	const limit = whole(url, 'limit', PAGE_MAX, 1, PAGE_MAX);
	const offset = whole(url, 'offset', 0, 0, EXPORT_MAX);
	const db = await getDb();
	const { status } = await servedCoverage(db);
	if (status.computed_version === null) return computing(status);
	if (format === 'csv') {
		const { value, meta } = await readCoverage(db, viewer.scope, status, (trx) => gapList(trx, rule, within, { limit: EXPORT_MAX }));
		return download(db, viewer, getClientAddress(), `coverage-gaps-${rule}`, 'csv', toCsv(GAP_COLUMNS, gapRowsFor(value, viewer)), coverageHeaders(meta));
	}
	const { value: page, meta } = await readCoverage(db, viewer.scope, status, (trx) => gapPage(trx, rule, within, { limit, offset }));
	// for viewers who see persons it holds households' and members' ids: never stored
	return json({
		rule, within, label: { 'zh-CN': GAP_RULE_SPECS[rule].zh, en: GAP_RULE_SPECS[rule].en },
		rows: gapRowsFor(page.rows, viewer), total: page.total, limit, offset, ...meta
	}, { headers: { 'cache-control': 'private, no-store', ...coverageHeaders(meta) } });
}
