// Logging in: 5 failed attempts lock the account for 15 minutes; every attempt is audited.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit } from './audit.ts';
import { dummyHash, verifyPassword } from './password.ts';
import { createSession } from './sessions.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export type LoginResult =
	| { ok: true; token: string; accountId: number }
	| { ok: false; reason: 'invalid' | 'locked' | 'disabled'; lockedUntil?: Date };

export async function login(
	db: Kysely<Database>,
	username: string,
	password: string,
	clientAddr: string | null,
	now = new Date()
): Promise<LoginResult> {
	const account = await db
		.selectFrom('account')
		.select(['id', 'username', 'role', 'password_hash', 'failed_logins', 'locked_until', 'disabled_at'])
		.where('username', '=', username.trim().toLowerCase())
		.executeTakeFirst();
	const who = { accountId: account?.id ?? null, username: username.slice(0, 40), role: account?.role ?? null, clientAddr };
	if (!account) {
		await verifyPassword(await dummyHash(), password); // the same time as a wrong password
		await audit(db, { ...who, action: 'failed_login', object: 'unknown user', result: 'denied' });
		return { ok: false, reason: 'invalid' };
	}
	if (account.disabled_at) {
		await audit(db, { ...who, action: 'failed_login', object: 'disabled', result: 'denied' });
		return { ok: false, reason: 'disabled' };
	}
	if (account.locked_until && new Date(account.locked_until) > now) {
		await audit(db, { ...who, action: 'failed_login', object: 'locked', result: 'denied' });
		return { ok: false, reason: 'locked', lockedUntil: new Date(account.locked_until) };
	}
	if (!(await verifyPassword(account.password_hash, password))) {
		// a lock that has run out starts a fresh count
		const failures = (account.locked_until ? 0 : account.failed_logins) + 1;
		const locks = failures >= MAX_FAILED_LOGINS;
		const lockedUntil = locks ? new Date(now.getTime() + LOCKOUT_MS) : null;
		await db.updateTable('account')
			.set({ failed_logins: locks ? 0 : failures, locked_until: lockedUntil })
			.where('id', '=', account.id).execute();
		await audit(db, { ...who, action: 'failed_login', object: `attempt ${failures}`, result: 'denied' });
		if (locks) {
			await audit(db, { ...who, action: 'account_locked', object: `until ${lockedUntil!.toISOString()}`, result: 'ok' });
			return { ok: false, reason: 'locked', lockedUntil: lockedUntil! };
		}
		return { ok: false, reason: 'invalid' };
	}
	await db.updateTable('account').set({ failed_logins: 0, locked_until: null }).where('id', '=', account.id).execute();
	const token = await createSession(db, account.id, clientAddr, now);
	await audit(db, { ...who, action: 'login', result: 'ok' });
	return { ok: true, token, accountId: account.id };
}
