// Logging in: 5 failed attempts lock the account for 15 minutes; every attempt is audited.
//
// The lockout holds whatever the concurrency: an attempt is reserved in the database, in one
// atomic UPDATE, *before* the (slow) password verification, and only while fewer than
// MAX_FAILED_LOGINS attempts are counted. The reservation that reaches the limit sets the lock;
// a right password clears the count. So at most MAX_FAILED_LOGINS verifications run against an
// account per lock window, and a sixth concurrent request is refused without verifying.
//
// Every failure answers the same: unknown user, disabled, pending approval, locked or wrong
// password all give one generic 'invalid', after exactly one argon2 verification (against a dummy
// hash when there is nothing to verify), so neither the answer nor its timing tells which it was.
// A right password on a locked, disabled or pending account gets that same answer. The audit row
// says what really happened.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit } from './audit.ts';
import { ACTIVATION_HALF_LENGTH, dummyHash, hashPassword, verifyPassword } from './password.ts';
import { createSession, forgetAccountSessions } from './sessions.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export type LoginResult = { ok: true; token: string; accountId: number } | { ok: false; reason: 'invalid' };

const INVALID: LoginResult = { ok: false, reason: 'invalid' };

let accountVerifications = 0;
/** How many times this process verified a password against an account's own hashes: for tests. */
export function accountVerificationCount(): number {
	return accountVerifications;
}

interface Reserved {
	id: number;
	role: string | null;
	password_hash: string | null;
	activation_hash_a: string | null;
	activation_hash_b: string | null;
	failed_logins: number;
	locked_until: Date | string | null;
}

/**
 * Counts one attempt against the account, atomically, if it may be tried at all: it exists, is
 * neither disabled nor pending, and is not locked (a lock that has run out starts a fresh count).
 * Concurrent reservations of one row are serialised by its row lock, each re-checking the count.
 */
async function reserveAttempt(db: Kysely<Database>, username: string, now: Date): Promise<Reserved | undefined> {
	const lockUntil = new Date(now.getTime() + LOCKOUT_MS);
	const { rows } = await sql<Reserved>`
		update account set
		  failed_logins = case when locked_until <= ${now}::timestamptz then 1 else failed_logins + 1 end,
		  locked_until = case
		    when locked_until <= ${now}::timestamptz then null
		    when failed_logins + 1 >= ${MAX_FAILED_LOGINS}::int then ${lockUntil}::timestamptz
		    else locked_until end
		where username = ${username} and not pending and disabled_at is null
		  and ((locked_until is null and failed_logins < ${MAX_FAILED_LOGINS}::int) or locked_until <= ${now}::timestamptz)
		returning id, role, password_hash, activation_hash_a, activation_hash_b, failed_logins, locked_until`.execute(db);
	return rows[0];
}

/** One verification against the account's own password, or both halves of its first password. */
async function passwordMatches(account: Reserved, password: string): Promise<boolean> {
	accountVerifications++;
	if (account.password_hash) return verifyPassword(account.password_hash, password);
	const { activation_hash_a: a, activation_hash_b: b } = account;
	if (a && b && password.length === 2 * ACTIVATION_HALF_LENGTH) {
		// both at once: about the time of one verification
		const [okA, okB] = await Promise.all([
			verifyPassword(a, password.slice(0, ACTIVATION_HALF_LENGTH)),
			verifyPassword(b, password.slice(ACTIVATION_HALF_LENGTH))
		]);
		return okA && okB;
	}
	await verifyPassword(await dummyHash(), password);
	return false;
}

/** Why an attempt could not be reserved, for the audit row only (never for the answer). */
async function refusal(db: Kysely<Database>, username: string) {
	const row = await db
		.selectFrom('account')
		.select(['id', 'role', 'pending', 'disabled_at', 'locked_until'])
		.where('username', '=', username)
		.executeTakeFirst();
	if (!row) return { id: null, role: null, reason: 'unknown user' };
	const reason = row.disabled_at ? 'disabled' : row.pending ? 'pending approval' : 'locked';
	return { id: row.id, role: row.role, reason };
}

export async function login(db: Kysely<Database>, username: string, password: string, clientAddr: string | null, now = new Date()): Promise<LoginResult> {
	const name = username.trim().toLowerCase();
	const shown = username.slice(0, 40);
	const account = await reserveAttempt(db, name, now);
	if (!account) {
		await verifyPassword(await dummyHash(), password); // the same time as a wrong password
		const why = await refusal(db, name);
		await audit(db, { accountId: why.id, username: shown, role: why.role, clientAddr, action: 'failed_login', object: why.reason, result: 'denied' });
		return INVALID;
	}
	// the attempt that locked the account ends its sessions at their next request
	if (account.locked_until) forgetAccountSessions(db, account.id);
	const who = { accountId: account.id, username: shown, role: account.role, clientAddr };
	if (!(await passwordMatches(account, password))) {
		await audit(db, { ...who, action: 'failed_login', object: `attempt ${account.failed_logins}`, result: 'denied' });
		if (account.failed_logins >= MAX_FAILED_LOGINS && account.locked_until) {
			await audit(db, { ...who, action: 'account_locked', object: `until ${new Date(account.locked_until).toISOString()}`, result: 'ok' });
		}
		return INVALID;
	}
	if (account.password_hash) {
		await db.updateTable('account').set({ failed_logins: 0, locked_until: null }).where('id', '=', account.id).execute();
	} else {
		// the first sign-in with both halves: they become the password, to be changed at once
		await db
			.updateTable('account')
			.set({
				failed_logins: 0,
				locked_until: null,
				password_hash: await hashPassword(password),
				activation_hash_a: null,
				activation_hash_b: null,
				must_change_password: true,
				password_changed_at: now
			})
			.where('id', '=', account.id)
			.execute();
	}
	const token = await createSession(db, account.id, clientAddr, now);
	await audit(db, { ...who, action: 'login', object: account.password_hash ? null : 'first sign-in with both halves', result: 'ok' });
	return { ok: true, token, accountId: account.id };
}
