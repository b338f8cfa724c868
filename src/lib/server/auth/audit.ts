// The audit trail: one row per security-relevant action, chained by hash (sql/006).
// No phone numbers ever go in: objects are ids and codes.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export type AuditAction =
	| 'login'
	| 'failed_login'
	| 'logout'
	| 'account_locked'
	| 'password_change'
	| 'view_person'
	| 'export'
	| 'import'
	| 'edit'
	| 'permission_change'
	| 'kiosk_access';

export interface AuditEntry {
	accountId?: number | null;
	username?: string | null;
	role?: string | null;
	action: AuditAction;
	object?: string | null;
	result: 'ok' | 'denied' | 'error';
	clientAddr?: string | null;
}

// an 11-digit mobile number (optionally +86, optionally split 3-4-4) standing on its own: not the
// digits inside a longer run such as a 15-digit grid code
const PHONE = /(?<!\d)(?:\+?86[- ]?)?1\d{2}[- ]?\d{4}[- ]?\d{4}(?!\d)/g;

export async function audit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
	await db
		.insertInto('audit_log')
		.values({
			account_id: e.accountId ?? null,
			// a phone number typed into the login form as a user name is masked too
			username: e.username?.replace(PHONE, '[phone]') ?? null,
			role: e.role ?? null,
			action: e.action,
			object: e.object?.replace(PHONE, '[phone]') ?? null,
			result: e.result,
			client_addr: e.clientAddr ?? null,
			// filled by the chain trigger
			seq: 0,
			prev_hash: '',
			hash: ''
		})
		.execute();
}

/** Who acted, as every audited write names them (an account, or the system with a null id). */
export interface AuditActor {
	accountId: number | null;
	username: string;
	role: string;
	clientAddr?: string | null;
}

/** One audit row for an action `actor` took on `object`. */
export function auditBy(db: Kysely<Database>, actor: AuditActor, action: AuditAction, object: string, result: AuditEntry['result'] = 'ok'): Promise<void> {
	return audit(db, { accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr ?? null, action, object, result });
}

/** Recomputes the chain; returns the seq of the first broken row, or null when intact. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<number | null> {
	const { rows } = await sql<{ seq: number; ok: boolean; linked: boolean }>`
		select seq,
		  hash = encode(sha256(convert_to(concat_ws('|', prev_hash, seq,
		    to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), account_id, username, role,
		    action, object, result, client_addr), 'UTF8')), 'hex') as ok,
		  prev_hash = coalesce(lag(hash) over (order by seq), prev_hash) as linked
		from audit_log order by seq`.execute(db);
	return rows.find((r) => !r.ok || !r.linked)?.seq ?? null;
}
