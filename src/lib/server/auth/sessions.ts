// Sessions in the database: a random 256-bit token in the cookie, only its SHA-256 stored.
// Idle timeout 30 minutes, absolute lifetime 12 hours; logout deletes the row. A validated
// session is believed for a few seconds without a query (session-cache.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Role } from './roles.ts';
import { tokenCache } from './session-cache.ts';
import { priorityLane } from '../db/lanes.ts';

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
	await db
		.insertInto('session')
		.values({
			token_hash: tokenHash(token),
			account_id: accountId,
			created_at: now,
			last_seen_at: now,
			expires_at: new Date(now.getTime() + ABSOLUTE_LIFETIME_MS),
			client_addr: clientAddr
		})
		.execute();
	return token;
}

/** A session row as read, judged again at every request (see session-cache.ts). */
interface CachedSession {
	accountId: number;
	username: string;
	displayName: string;
	role: Role | null;
	areaCode: string | null;
	canViewPersons: boolean;
	mustChangePassword: boolean;
	passwordChangedAt: number;
	demo: boolean;
	disabled: boolean;
	pending: boolean;
	lockedUntil: number | null;
	lastSeen: number;
	expiresAt: number;
}

const sessionCache = (db: Kysely<Database>) => tokenCache<CachedSession>(db, 'session');

async function readSession(db: Kysely<Database>, hash: string): Promise<{ owner: number; value: CachedSession } | undefined> {
	const row = await db
		.selectFrom('session as s')
		.innerJoin('account as a', 'a.id', 's.account_id')
		.select([
			's.last_seen_at',
			's.expires_at',
			'a.id',
			'a.username',
			'a.display_name',
			'a.role',
			'a.area_code',
			'a.can_view_persons',
			'a.must_change_password',
			'a.password_changed_at',
			'a.demo',
			'a.disabled_at',
			'a.locked_until',
			'a.pending'
		])
		.where('s.token_hash', '=', hash)
		.executeTakeFirst();
	if (!row) return undefined;
	return {
		owner: row.id,
		value: {
			accountId: row.id,
			username: row.username,
			displayName: row.display_name,
			role: row.role,
			areaCode: row.area_code,
			canViewPersons: row.can_view_persons,
			mustChangePassword: row.must_change_password,
			passwordChangedAt: new Date(row.password_changed_at).getTime(),
			demo: row.demo,
			disabled: row.disabled_at !== null,
			pending: row.pending,
			lockedUntil: row.locked_until ? new Date(row.locked_until).getTime() : null,
			lastSeen: new Date(row.last_seen_at).getTime(),
			expiresAt: new Date(row.expires_at).getTime()
		}
	};
}

/**
 * The session's user, or null when the token is unknown, idle too long, expired or its account
 * locked. The row is read from the database at most once per SESSION_CACHE_TTL_MS (session-cache.ts);
 * the limits are judged at every call against `now`.
 */
export async function validateSession(db: Kysely<Database>, token: string, now = new Date(), passwordMaxAgeDays = 90): Promise<SessionUser | null> {
	if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
	const hash = tokenHash(token);
	const cache = sessionCache(db);
	const t = now.getTime();
	const cached = cache.get(hash, t);
	// read on the priority lane: a request waits for it before anything else (db/lanes.ts)
	const s = cached ?? (await cache.load(hash, t, () => readSession(priorityLane(db), hash)));
	if (!s) return null;
	const idle = t - s.lastSeen;
	// a pending account has no role (sql/008): it never holds a session
	if (idle > IDLE_TIMEOUT_MS || t >= s.expiresAt || s.disabled || (s.lockedUntil !== null && s.lockedUntil > t) || s.pending || !s.role || !s.areaCode) {
		await db.deleteFrom('session').where('token_hash', '=', hash).execute();
		cache.forgetToken(hash);
		return null;
	}
	if (idle > TOUCH_EVERY_MS) {
		// after a read it is written at once; from the cache in the background, the request not
		// waiting for it (the next read of the row does)
		s.lastSeen = t;
		const touch = () => db.updateTable('session').set({ last_seen_at: now }).where('token_hash', '=', hash).execute();
		if (cached) cache.background(hash, 'session: last_seen_at not updated', touch);
		else await touch();
	}
	return {
		accountId: s.accountId,
		username: s.username,
		displayName: s.displayName,
		role: s.role,
		areaCode: s.areaCode,
		canViewPersons: s.canViewPersons,
		mustChangePassword: s.mustChangePassword,
		passwordExpired: t - s.passwordChangedAt > passwordMaxAgeDays * 86_400_000,
		demo: s.demo
	};
}

/**
 * Forgets the account's cached sessions, so that the next request reads them again: to be called
 * after every write that ends them or changes what the account may do (lock, role, area, grant…).
 */
export function forgetAccountSessions(db: Kysely<Database>, accountId: number): void {
	sessionCache(db).forgetOwner(accountId);
}

export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
	const hash = tokenHash(token);
	await db.deleteFrom('session').where('token_hash', '=', hash).execute();
	sessionCache(db).forgetToken(hash);
}

/**
 * After a password change: every other session of the account ends, and the current one goes on
 * under a new token (same lifetime). Returns the new token and when it expires, or null when
 * `token` is no session of this account (then all its sessions have ended).
 */
export async function rotateSession(
	db: Kysely<Database>,
	accountId: number,
	token: string | null | undefined
): Promise<{ token: string; expiresAt: Date } | null> {
	let rotated: { token: string; expiresAt: Date } | null = null;
	if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
		const fresh = newToken();
		const row = await db
			.updateTable('session')
			.set({ token_hash: tokenHash(fresh) })
			.where('token_hash', '=', tokenHash(token))
			.where('account_id', '=', accountId)
			.returning('expires_at')
			.executeTakeFirst();
		if (row) rotated = { token: fresh, expiresAt: new Date(row.expires_at) };
	}
	let others = db.deleteFrom('session').where('account_id', '=', accountId);
	if (rotated) others = others.where('token_hash', '<>', tokenHash(rotated.token));
	await others.execute();
	forgetAccountSessions(db, accountId);
	return rotated;
}

export async function endAllSessions(db: Kysely<Database>, accountId: number): Promise<void> {
	await db.deleteFrom('session').where('account_id', '=', accountId).execute();
	forgetAccountSessions(db, accountId);
}
