// The objects each organisation/work rule flags. Viewers who see no persons get grid-, building-
// and organisation-level rules — households no one looks after as one row per building, without
// their ids — with small counts withheld (gaps.ts gapRowsFor); central households are persons' homes.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { gapList } from '$lib/server/coverage/store';
import { GAP_RULE_SPECS, gapRowsFor, isGapRule } from '$lib/server/coverage/gaps';
import { areaWithin, freshCoverage } from '$lib/server/coverage/respond';

export async function GET({ url, locals }) {
	const viewer = mapViewer(locals);
	const rule = url.searchParams.get('rule');
	if (rule === null || !isGapRule(rule)) error(400, `rule must be one of ${Object.keys(GAP_RULE_SPECS).join(', ')}`);
	if (GAP_RULE_SPECS[rule].object === 'central_household' && !viewer.persons) error(403, 'this role sees counts, not households');
	const within = areaWithin(viewer, url);
	const db = await getDb();
	await freshCoverage(db);
	const rows = await withScope(db, viewer.scope, (trx) => gapList(trx, rule, within, { limit: 500 }));
	// for viewers who see persons it holds households' and members' ids: never stored
	return json({ rule, within, label: { 'zh-CN': GAP_RULE_SPECS[rule].zh, en: GAP_RULE_SPECS[rule].en }, rows: gapRowsFor(rows, viewer) },
		{ headers: { 'cache-control': 'private, no-store' } });
}
