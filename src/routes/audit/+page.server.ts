// 审计日志: the auditor (and nobody else) searches the append-only audit trail and sees whether
// its hash chain is intact.
import { pageLoad } from '$lib/server/api/page';
import { accountRole } from '$lib/server/api/guards';
import { auditQuery } from '$lib/api/forms';
import { verifyAuditChain } from '$lib/server/auth/audit';
import { AUDIT_ACTIONS, AUDIT_RESULTS, roleLabel, searchAudit } from '$lib/server/admin/queries';
import { parseBeijingTime } from '$lib/admin-time';

export const load = pageLoad({ guard: accountRole('auditor'), query: auditQuery, tx: 'none' }, async ({ caller: user, input, db: { kysely: db }, event }) => {
	event.setHeaders({ 'cache-control': 'no-store' });
	const { page, ...filters } = input.query;
	const problems: string[] = [];
	const from = parseBeijingTime(filters.from);
	const to = parseBeijingTime(filters.to);
	if (filters.from && !from) problems.push(`from: "${filters.from}" is not a date and time`);
	if (filters.to && !to) problems.push(`to: "${filters.to}" is not a date and time`);

	const [result, broken] = await Promise.all([
		searchAudit(db, { from, to, username: filters.user, action: filters.action, result: filters.result, object: filters.q, page }),
		verifyAuditChain(db)
	]);
	return {
		me: { username: user.username, displayName: user.displayName, roleLabel: roleLabel(user.role) },
		filters,
		problems,
		actions: AUDIT_ACTIONS,
		results: AUDIT_RESULTS,
		chain: { intact: broken === null, firstBroken: broken },
		...result,
		rows: result.rows.map((r) => ({ ...r, roleLabel: r.role ? roleLabel(r.role) : '—' }))
	};
});
