// Sessions in the database: a random 256-bit token in the cookie, only its SHA-256 stored.
// Idle timeout 30 minutes, absolute lifetime 12 hours; logout deletes the row.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Role } from './roles.ts';

export const SESSION_COOKIE = 'jiceng_session';
export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_LIFETIME_MS = 12 * 3600_000;
// last_seen is written at most this often, not on every tile request
const TOUCH_EVERY_MS = 60_000;

export function newToken(): string {
	return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

export interface SessionUser {
	accountId: number;
	username: string;
	displayName: string;
	role: Role;
	areaCode: string;
	canViewPersons: boolean;
	mustChangePassword: boolean;
	passwordExpired: boolean;
	demo: boolean;
}

export async function createSession(db: Kysely<Database>, accountId: number, clientAddr: string | null, now = new Date()): Promise<string> {
	const token = newToken();
	await db.insertInto('session').values({
		token_hash: tokenHash(token),
		account_id: accountId,
		created_at: now,
		last_seen_at: now,
		expires_at: new Date(now.getTime() + ABSOLUTE_LIFETIME_MS),
		client_addr: clientAddr
	}).execute();
	return token;
}

/** The session's user, or null when the token is unknown, idle too long, expired or its account locked. */
export async function validateSession(db: Kysely<Database>, token: string, now = new Date(), passwordMaxAgeDays = 90): Promise<SessionUser | null> {
	if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
	const hash = tokenHash(token);
	const row = await db
		.selectFrom('session as s')
		.innerJoin('account as a', 'a.id', 's.account_id')
		.select(['s.last_seen_at', 's.expires_at', 'a.id', 'a.username', 'a.display_name', 'a.role', 'a.area_code',
			'a.can_view_persons', 'a.must_change_password', 'a.password_changed_at', 'a.demo', 'a.disabled_at', 'a.locked_until',
			'a.pending'])
		.where('s.token_hash', '=', hash)
		.executeTakeFirst();
	if (!row) return null;
	const idle = now.getTime() - new Date(row.last_seen_at).getTime();
	// a pending account has no role (sql/008): it never holds a session
	if (idle > IDLE_TIMEOUT_MS || now >= new Date(row.expires_at) || row.disabled_at || (row.locked_until && new Date(row.locked_until) > now)
		|| row.pending || !row.role || !row.area_code) {
		await db.deleteFrom('session').where('token_hash', '=', hash).execute();
		return null;
	}
	if (idle > TOUCH_EVERY_MS) {
		await db.updateTable('session').set({ last_seen_at: now }).where('token_hash', '=', hash).execute();
	}
	return {
		accountId: row.id,
		username: row.username,
		displayName: row.display_name,
		role: row.role,
		areaCode: row.area_code,
		canViewPersons: row.can_view_persons,
		mustChangePassword: row.must_change_password,
		passwordExpired: now.getTime() - new Date(row.password_changed_at).getTime() > passwordMaxAgeDays * 86_400_000,
		demo: row.demo
	};
}

export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
	await db.deleteFrom('session').where('token_hash', '=', tokenHash(token)).execute();
}

/**
 * After a password change: every other session of the account ends, and the current one goes on
 * under a new token (same lifetime). Returns the new token and when it expires, or null when
 * `token` is no session of this account (then all its sessions have ended).
 */
export async function rotateSession(db: Kysely<Database>, accountId: number, token: string | null | undefined): Promise<{ token: string; expiresAt: Date } | null> {
	let rotated: { token: string; expiresAt: Date } | null = null;
	if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
		const fresh = newToken();
		const row = await db.updateTable('session').set({ token_hash: tokenHash(fresh) })
			.where('token_hash', '=', tokenHash(token)).where('account_id', '=', accountId)
			.returning('expires_at').executeTakeFirst();
		if (row) rotated = { token: fresh, expiresAt: new Date(row.expires_at) };
	}
	let others = db.deleteFrom('session').where('account_id', '=', accountId);
	if (rotated) others = others.where('token_hash', '<>', tokenHash(rotated.token));
	await others.execute();
	return rotated;
}

export async function endAllSessions(db: Kysely<Database>, accountId: number): Promise<void> {
	await db.deleteFrom('session').where('account_id', '=', accountId).execute();
}
