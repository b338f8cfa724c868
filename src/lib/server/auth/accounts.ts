// Creating accounts and changing passwords. An account is bound to one area whose level fits
// its role; the rules are checked here so the CLI, the admin page and the demo agree.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit } from './audit.ts';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { endAllSessions } from './sessions.ts';
import { ROLE_RULES, isRole, type Role } from './roles.ts';

export class AccountError extends Error {}

export interface NewAccountInput {
	username: string;
	displayName: string;
	role: string;
	areaCode: string;
	password: string;
	canViewPersons?: boolean;
	demo?: boolean;
	/** demo accounts may keep their printed password; real ones change it at first login */
	mustChangePassword?: boolean;
}

export interface Actor {
	accountId: number | null;
	username: string;
	role: string;
	clientAddr?: string | null;
}

export async function createAccount(db: Kysely<Database>, input: NewAccountInput, actor: Actor): Promise<number> {
	const username = input.username.trim().toLowerCase();
	if (!/^[a-z0-9_.-]{3,40}$/.test(username)) throw new AccountError('username: 3–40 of a–z, 0–9, _ . -');
	if (!isRole(input.role)) throw new AccountError(`role: unknown role "${input.role}"`);
	const role: Role = input.role;
	const displayName = input.displayName.trim();
	if (!displayName || displayName.length > 50) throw new AccountError('display name: 1–50 characters');
	const area = await db.selectFrom('area').select(['code', 'level']).where('code', '=', input.areaCode).executeTakeFirst();
	if (!area) throw new AccountError(`area: no area with code "${input.areaCode}"`);
	const wanted = ROLE_RULES[role].level;
	if (wanted && area.level !== wanted) throw new AccountError(`area: a ${role} is bound to a ${wanted}, and ${area.code} is a ${area.level}`);
	const problem = passwordProblem(input.password, username);
	if (problem) throw new AccountError(problem);
	if (input.canViewPersons && role !== 'planner') throw new AccountError('only planners are granted person access');

	const existing = await db.selectFrom('account').select('id').where('username', '=', username).executeTakeFirst();
	if (existing) throw new AccountError(`username: "${username}" is taken`);
	const { id } = await db.insertInto('account').values({
		username,
		display_name: displayName,
		role,
		area_code: area.code,
		password_hash: await hashPassword(input.password),
		must_change_password: input.mustChangePassword ?? true,
		can_view_persons: input.canViewPersons ?? false,
		demo: input.demo ?? false
	}).returning('id').executeTakeFirstOrThrow();
	await audit(db, {
		accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `create account ${username} as ${role} on ${area.code}`, result: 'ok'
	});
	return id;
}

export async function changePassword(db: Kysely<Database>, accountId: number, current: string, next: string, clientAddr: string | null): Promise<void> {
	const account = await db.selectFrom('account').select(['username', 'role', 'password_hash']).where('id', '=', accountId).executeTakeFirstOrThrow();
	if (!(await verifyPassword(account.password_hash, current))) {
		await audit(db, { accountId, username: account.username, role: account.role, clientAddr, action: 'password_change', result: 'denied' });
		throw new AccountError('current password: wrong password');
	}
	const problem = passwordProblem(next, account.username);
	if (problem) throw new AccountError(`new password: ${problem}`);
	if (await verifyPassword(account.password_hash, next)) throw new AccountError('new password: must differ from the current one');
	await db.updateTable('account')
		.set({ password_hash: await hashPassword(next), must_change_password: false, password_changed_at: sql<Date>`now()` })
		.where('id', '=', accountId).execute();
	await audit(db, { accountId, username: account.username, role: account.role, clientAddr, action: 'password_change', result: 'ok' });
}

/** A random password that meets the policy, for demo accounts and resets. */
export function generatePassword(): string {
	const raw = randomBytes(12).toString('base64url').replace(/[-_]/g, '');
	return `${raw.slice(0, 4)}-${raw.slice(4, 8)}A7${raw.slice(8, 12).toLowerCase()}`;
}

export async function setAccountLock(db: Kysely<Database>, accountId: number, disabled: boolean, actor: Actor): Promise<void> {
	const target = await db.updateTable('account')
		.set({ disabled_at: disabled ? sql<Date>`now()` : null, failed_logins: 0, locked_until: null })
		.where('id', '=', accountId).returning('username').executeTakeFirst();
	if (!target) throw new AccountError(`account ${accountId} does not exist`);
	if (disabled) await endAllSessions(db, accountId);
	await audit(db, {
		accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `${disabled ? 'disable' : 'enable'} account ${target.username}`, result: 'ok'
	});
}


async function findTarget(db: Kysely<Database>, accountId: number) {
	const target = await db.selectFrom('account')
		.select(['id', 'username', 'role', 'area_code', 'can_view_persons', 'locked_until', 'disabled_at'])
		.where('id', '=', accountId).executeTakeFirst();
	if (!target) throw new AccountError(`account: ${accountId} does not exist`);
	return target;
}

/**
 * Moves an account to another role and/or area (the security administrator's duty). The area's
 * level must fit the role, as in createAccount. The account's sessions end, so the change
 * applies at once; a person-access grant does not survive leaving the planner role.
 */
export async function changeRole(db: Kysely<Database>, accountId: number, role: string, areaCode: string, actor: Actor): Promise<void> {
	if (!isRole(role)) throw new AccountError(`role: unknown role "${role}"`);
	const code = areaCode.trim();
	const area = await db.selectFrom('area').select(['code', 'level']).where('code', '=', code).executeTakeFirst();
	if (!area) throw new AccountError(`area: no area with code "${code}"`);
	const wanted = ROLE_RULES[role].level;
	if (wanted && area.level !== wanted) throw new AccountError(`area: a ${role} is bound to a ${wanted}, and ${area.code} is a ${area.level}`);
	const target = await findTarget(db, accountId);
	if (actor.accountId !== null && actor.accountId === accountId) throw new AccountError('account: nobody changes their own role');
	if (target.role === role && target.area_code === area.code) throw new AccountError(`role: ${target.username} already is a ${role} on ${area.code}`);
	await db.updateTable('account')
		.set({ role, area_code: area.code, can_view_persons: role === 'planner' ? target.can_view_persons : false })
		.where('id', '=', accountId).execute();
	await endAllSessions(db, accountId);
	await audit(db, {
		accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change',
		object: `change role of ${target.username} from ${target.role} on ${target.area_code} to ${role} on ${area.code}`,
		result: 'ok'
	});
}

/** Grants or withdraws a planner's access to persons (planners see counts only unless granted). */
export async function setPersonAccess(db: Kysely<Database>, accountId: number, granted: boolean, actor: Actor): Promise<void> {
	const target = await findTarget(db, accountId);
	if (target.role !== 'planner') throw new AccountError(`role: only planners are granted person access, and ${target.username} is a ${target.role}`);
	if (actor.accountId !== null && actor.accountId === accountId) throw new AccountError('account: nobody changes their own access');
	await db.updateTable('account').set({ can_view_persons: granted }).where('id', '=', accountId).execute();
	// withdrawing ends the sessions too, so no page loaded under the grant stays open
	if (!granted) await endAllSessions(db, accountId);
	await audit(db, {
		accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `${granted ? 'grant' : 'revoke'} person access for ${target.username}`, result: 'ok'
	});
}

/** Lifts the lock that failed logins put on an account, before it runs out. */
export async function unlockAccount(db: Kysely<Database>, accountId: number, actor: Actor, now = new Date()): Promise<void> {
	const target = await findTarget(db, accountId);
	if (!target.locked_until || new Date(target.locked_until) <= now) throw new AccountError(`account: ${target.username} is not locked`);
	await db.updateTable('account').set({ locked_until: null, failed_logins: 0 }).where('id', '=', accountId).execute();
	await audit(db, {
		accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `unlock account ${target.username}`, result: 'ok'
	});
}
