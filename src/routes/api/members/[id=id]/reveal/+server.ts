// Revealing a member's full record: a deliberate POST, allowed to the member's own grid leader
// and the secretaries above, and always audited (allowed or not). Its own short transactions: the
// audit row of a refusal must outlive the refusal.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { memberRecordAnswer } from '$lib/api/persons';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { memberRecord } from '$lib/server/db/queries/persons';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint({ guard: personViewer, params: v.object({ id: rowId }), tx: 'none' }, async ({ caller, input, db, scoped, clientAddress }) => {
	const { id } = input.params;
	const who = { accountId: caller.accountId, username: caller.username, role: caller.principal, clientAddr: clientAddress };
	const object = `member:${id}`;
	if (!caller.unmasked) {
		await audit(db.kysely, { ...who, action: 'view_person', object, result: 'denied' });
		error(403, 'this role sees masked records only');
	}
	const record = await scoped((trx) => memberRecord(trx, id));
	await audit(db.kysely, { ...who, action: 'view_person', object, result: record ? 'ok' : 'denied' });
	if (!record) error(404, `no member with id ${id}`);
	return reply(memberRecordAnswer, record, { headers: { 'cache-control': 'private, no-store' } });
});
