// Revealing a member's full record: a deliberate POST, allowed to the member's own grid leader
// and the secretaries above, and always audited (allowed or not).
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { memberRecord } from '$lib/server/db/queries/persons';
import { personViewer } from '$lib/server/auth/guard';
import { audit } from '$lib/server/auth/audit';

export async function POST({ params, locals, getClientAddress }) {
	const viewer = personViewer(locals);
	if (!/^\d{1,15}$/.test(params.id)) error(400, `malformed member id "${params.id}"`);
	const db = await getDb();
	const who = { accountId: viewer.accountId, username: viewer.username, role: viewer.principal, clientAddr: getClientAddress() };
	const object = `member:${params.id}`;
	if (!viewer.unmasked) {
		await audit(db.kysely, { ...who, action: 'view_person', object, result: 'denied' });
		error(403, 'this role sees masked records only');
	}
	const record = await withScope(db, viewer.scope, (trx) => memberRecord(trx, Number(params.id), viewer));
	await audit(db.kysely, { ...who, action: 'view_person', object, result: record ? 'ok' : 'denied' });
	if (!record) error(404, `no member with id ${params.id}`);
	return json(record, { headers: { 'cache-control': 'private, no-store' } });
}
