// 审计日志: the auditor (and nobody else) searches the append-only audit trail and sees whether
// its hash chain is intact.
import { getDb } from '$lib/server/db';
import { verifyAuditChain } from '$lib/server/auth/audit';
import { requireRole } from '$lib/server/admin/guard';
import { AUDIT_ACTIONS, AUDIT_RESULTS, roleLabel, searchAudit } from '$lib/server/admin/queries';
import { parseBeijingTime } from '$lib/admin-time';

export async function load({ locals, url, setHeaders }) {
	const user = requireRole(locals, 'auditor');
	setHeaders({ 'cache-control': 'no-store' });
	const p = (name: string) => (url.searchParams.get(name) ?? '').trim().slice(0, 100);
	const filters = { from: p('from'), to: p('to'), user: p('user'), action: p('action'), result: p('result'), q: p('q') };
	const problems: string[] = [];
	const from = parseBeijingTime(filters.from);
	const to = parseBeijingTime(filters.to);
	if (filters.from && !from) problems.push(`from: "${filters.from}" is not a date and time`);
	if (filters.to && !to) problems.push(`to: "${filters.to}" is not a date and time`);
	const page = Number(url.searchParams.get('page') ?? 1);

	const db = (await getDb()).kysely;
	const [result, broken] = await Promise.all([
		searchAudit(db, {
			from, to, username: filters.user, action: filters.action, result: filters.result, object: filters.q,
			page: Number.isFinite(page) ? page : 1
		}),
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
}
