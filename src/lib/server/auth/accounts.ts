// Creating accounts and changing passwords. An account is bound to one area whose level fits
// its role; the rules are checked here so the CLI, the admin page and the demo agree.
// 三员分立 by dual control (sql/008): in the app the system administrator only *requests* an
// account (or enabling one again); it is pending, with no role, until the security administrator
// approves it. Roles, grants, approvals and unlocks are the security administrator's.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit, auditBy } from './audit.ts';
import { generateHalf, hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { endAllSessions, forgetAccountSessions, rotateSession } from './sessions.ts';
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

/** The role and area of an account-to-be, checked: the area exists and its level fits the role. */
async function roleAndArea(db: Kysely<Database>, roleName: string, areaCode: string): Promise<{ role: Role; area: string }> {
	if (!isRole(roleName)) throw new AccountError(`role: unknown role "${roleName}"`);
	const role: Role = roleName;
	const code = areaCode.trim();
	const area = await db.selectFrom('area').select(['code', 'level']).where('code', '=', code).executeTakeFirst();
	if (!area) throw new AccountError(`area: no area with code "${code}"`);
	const wanted = ROLE_RULES[role].level;
	if (wanted && area.level !== wanted) throw new AccountError(`area: a ${role} is bound to a ${wanted}, and ${area.code} is a ${area.level}`);
	return { role, area: area.code };
}

async function checkedNewAccount(db: Kysely<Database>, input: Pick<NewAccountInput, 'username' | 'displayName' | 'role' | 'areaCode'>) {
	const username = input.username.trim().toLowerCase();
	if (!/^[a-z0-9_.-]{3,40}$/.test(username)) throw new AccountError('username: 3–40 of a–z, 0–9, _ . -');
	if (!isRole(input.role)) throw new AccountError(`role: unknown role "${input.role}"`);
	const displayName = input.displayName.trim();
	if (!displayName || displayName.length > 50) throw new AccountError('display name: 1–50 characters');
	const { role, area } = await roleAndArea(db, input.role, input.areaCode);
	const existing = await db.selectFrom('account').select('id').where('username', '=', username).executeTakeFirst();
	if (existing) throw new AccountError(`username: "${username}" is taken`);
	return { username, displayName, role, area };
}

/**
 * 三员分立: an account holding one of the app's roles acts only within its duty. Actors that are no
 * account (the server's shell operator through `npm run user:add`, the demo set-up) are not held.
 */
function requireDuty(actor: Actor, duty: 'system_admin' | 'security_admin', what: string): void {
	if (isRole(actor.role) && actor.role !== duty) {
		throw new AccountError(
			`duty: ${what} is the ${ROLE_RULES[duty].label.en.toLowerCase()}'s duty, not the ${ROLE_RULES[actor.role].label.en.toLowerCase()}'s`
		);
	}
}

/**
 * Creates an active account at once: for the server's shell operator (`npm run user:add`), the
 * demo accounts and tests only. An administrator signed in to the app requests an account
 * instead (requestAccount), which takes effect when the security administrator approves it.
 */
export async function createAccount(db: Kysely<Database>, input: NewAccountInput, actor: Actor): Promise<number> {
	if (isRole(actor.role)) {
		throw new AccountError('account: accounts made in the app are requested by the system administrator and approved by the security administrator');
	}
	const { username, displayName, role, area } = await checkedNewAccount(db, input);
	const problem = passwordProblem(input.password, username);
	if (problem) throw new AccountError(problem);
	if (input.canViewPersons && role !== 'planner') throw new AccountError('only planners are granted person access');

	const { id } = await db
		.insertInto('account')
		.values({
			username,
			display_name: displayName,
			role,
			area_code: area,
			password_hash: await hashPassword(input.password),
			must_change_password: input.mustChangePassword ?? true,
			can_view_persons: input.canViewPersons ?? false,
			demo: input.demo ?? false
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	await auditBy(db, actor, 'permission_change', `create account ${username} as ${role} on ${area}`);
	return id;
}

export interface AccountRequest {
	username: string;
	displayName: string;
	role: string;
	areaCode: string;
}

/**
 * The system administrator asks for an account with a role and an area. It is pending — no role,
 * no area, no sign-in — until the security administrator approves it. The system administrator
 * gets half A of the first password, once; only its hash is kept.
 */
export async function requestAccount(db: Kysely<Database>, input: AccountRequest, actor: Actor): Promise<{ id: number; username: string; halfA: string }> {
	requireDuty(actor, 'system_admin', 'requesting accounts');
	const { username, displayName, role, area } = await checkedNewAccount(db, input);
	const halfA = generateHalf();
	const { id } = await db
		.insertInto('account')
		.values({
			username,
			display_name: displayName,
			role: null,
			area_code: null,
			pending: true,
			requested_role: role,
			requested_area: area,
			requested_by: actor.accountId,
			password_hash: null,
			activation_hash_a: await hashPassword(halfA),
			must_change_password: true
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	await auditBy(db, actor, 'permission_change', `request account ${username} as ${role} on ${area} (pending approval)`);
	return { id, username, halfA };
}

async function pendingTarget(db: Kysely<Database>, accountId: number) {
	const target = await db
		.selectFrom('account as t')
		.leftJoin('account as r', 'r.id', 't.requested_by')
		.select([
			't.id',
			't.username',
			't.pending',
			't.disabled_at',
			't.requested_role',
			't.requested_area',
			't.requested_by',
			't.password_hash',
			'r.username as requester'
		])
		.where('t.id', '=', accountId)
		.executeTakeFirst();
	if (!target) throw new AccountError(`account: ${accountId} does not exist`);
	if (!target.pending) throw new AccountError(`account: ${target.username} is not awaiting approval`);
	return target;
}

const requestOf = (t: { requester: string | null; requested_role: string | null; requested_area: string | null }) =>
	`requested by ${t.requester ?? 'an account since removed'} as ${t.requested_role} on ${t.requested_area}`;

/**
 * The security administrator approves a pending account, with the requested role and area or
 * others of their choice. An account without a password of its own (a new one) gets half B of its
 * first password, returned once; only its hash is kept. The owner signs in with A then B.
 */
export async function approveAccount(
	db: Kysely<Database>,
	accountId: number,
	grant: { role: string; areaCode: string },
	actor: Actor
): Promise<{ username: string; halfB: string | null }> {
	requireDuty(actor, 'security_admin', 'approving accounts');
	const target = await pendingTarget(db, accountId);
	if (actor.accountId !== null && (actor.accountId === accountId || actor.accountId === target.requested_by)) {
		throw new AccountError('account: the approver must be someone else than the account and its requester');
	}
	if (target.disabled_at) throw new AccountError(`account: ${target.username} is disabled`);
	const { role, area } = await roleAndArea(db, grant.role, grant.areaCode);
	const halfB = target.password_hash ? null : generateHalf();
	const updated = await db
		.updateTable('account')
		.set({
			pending: false,
			role,
			area_code: area,
			approved_by: actor.accountId,
			approved_at: sql<Date>`now()`,
			failed_logins: 0,
			locked_until: null,
			...(halfB ? { activation_hash_b: await hashPassword(halfB) } : {})
		})
		.where('id', '=', accountId)
		.where('pending', '=', true)
		.where('disabled_at', 'is', null)
		.returning('id')
		.executeTakeFirst();
	// another approver (or a disable) came first
	if (!updated) throw new AccountError(`account: ${target.username} is no longer awaiting approval`);
	forgetAccountSessions(db, accountId);
	await auditBy(db, actor, 'permission_change', `approve account ${target.username} as ${role} on ${area}, ${requestOf(target)}`);
	return { username: target.username, halfB };
}

/**
 * The security administrator refuses a pending account: a new one is removed (it never signed
 * in), one the system administrator asked to enable again stays disabled.
 */
export async function rejectAccount(db: Kysely<Database>, accountId: number, actor: Actor): Promise<void> {
	requireDuty(actor, 'security_admin', 'rejecting accounts');
	const target = await pendingTarget(db, accountId);
	if (target.password_hash) {
		await db
			.updateTable('account')
			.set({ disabled_at: sql<Date>`now()` })
			.where('id', '=', accountId)
			.where('pending', '=', true)
			.execute();
	} else {
		await db.deleteFrom('account').where('id', '=', accountId).where('pending', '=', true).execute();
	}
	forgetAccountSessions(db, accountId);
	await auditBy(db, actor, 'permission_change', `reject account ${target.username}, ${requestOf(target)}`);
}

/**
 * Changes the account's password, ends every other session of it and, when `sessionToken` is the
 * caller's session, moves that session to a new token, returned (the caller sets the new cookie).
 */
export async function changePassword(
	db: Kysely<Database>,
	accountId: number,
	current: string,
	next: string,
	clientAddr: string | null,
	sessionToken?: string | null
): Promise<{ token: string; expiresAt: Date } | null> {
	const account = await db.selectFrom('account').select(['username', 'role', 'password_hash']).where('id', '=', accountId).executeTakeFirstOrThrow();
	if (!account.password_hash || !(await verifyPassword(account.password_hash, current))) {
		await audit(db, { accountId, username: account.username, role: account.role, clientAddr, action: 'password_change', result: 'denied' });
		throw new AccountError('current password: wrong password');
	}
	const problem = passwordProblem(next, account.username);
	if (problem) throw new AccountError(`new password: ${problem}`);
	if (await verifyPassword(account.password_hash, next)) throw new AccountError('new password: must differ from the current one');
	await db
		.updateTable('account')
		.set({ password_hash: await hashPassword(next), must_change_password: false, password_changed_at: sql<Date>`now()` })
		.where('id', '=', accountId)
		.execute();
	const rotated = await rotateSession(db, accountId, sessionToken);
	await audit(db, {
		accountId,
		username: account.username,
		role: account.role,
		clientAddr,
		action: 'password_change',
		object: 'other sessions ended',
		result: 'ok'
	});
	return rotated;
}

/** A random password that meets the policy, for demo accounts and resets. */
export function generatePassword(): string {
	const raw = randomBytes(12).toString('base64url').replace(/[-_]/g, '');
	return `${raw.slice(0, 4)}-${raw.slice(4, 8)}A7${raw.slice(8, 12).toLowerCase()}`;
}

/**
 * The system administrator disables an account (its sessions end), or asks for a disabled one to
 * be enabled again: it then is pending, its role and area back in the request, until the security
 * administrator approves it (a person grant does not survive).
 */
export async function setAccountLock(db: Kysely<Database>, accountId: number, disabled: boolean, actor: Actor): Promise<void> {
	requireDuty(actor, 'system_admin', disabled ? 'disabling accounts' : 'enabling accounts');
	if (disabled) {
		const target = await db
			.updateTable('account')
			.set({ disabled_at: sql<Date>`now()`, failed_logins: 0, locked_until: null })
			.where('id', '=', accountId)
			.returning('username')
			.executeTakeFirst();
		if (!target) throw new AccountError(`account ${accountId} does not exist`);
		await endAllSessions(db, accountId);
		await auditBy(db, actor, 'permission_change', `disable account ${target.username}`);
		return;
	}
	const target = await db
		.selectFrom('account')
		.select(['username', 'disabled_at', 'role', 'area_code', 'requested_role', 'requested_area'])
		.where('id', '=', accountId)
		.executeTakeFirst();
	if (!target) throw new AccountError(`account ${accountId} does not exist`);
	if (!target.disabled_at) throw new AccountError(`account: ${target.username} is not disabled`);
	const role = target.role ?? target.requested_role;
	const area = target.area_code ?? target.requested_area;
	await db
		.updateTable('account')
		.set({
			disabled_at: null,
			failed_logins: 0,
			locked_until: null,
			pending: true,
			requested_role: role,
			requested_area: area,
			requested_by: actor.accountId,
			role: null,
			area_code: null,
			can_view_persons: false,
			approved_by: null,
			approved_at: null
		})
		.where('id', '=', accountId)
		.execute();
	forgetAccountSessions(db, accountId);
	await auditBy(db, actor, 'permission_change', `request enabling account ${target.username} as ${role} on ${area} (pending approval)`);
}

async function findTarget(db: Kysely<Database>, accountId: number) {
	const target = await db
		.selectFrom('account')
		.select(['id', 'username', 'role', 'area_code', 'can_view_persons', 'locked_until', 'disabled_at', 'pending'])
		.where('id', '=', accountId)
		.executeTakeFirst();
	if (!target) throw new AccountError(`account: ${accountId} does not exist`);
	if (target.pending || !target.role || !target.area_code) {
		throw new AccountError(`account: ${target.username} is awaiting approval: approve or reject it`);
	}
	return { ...target, role: target.role, area_code: target.area_code };
}

/**
 * Moves an account to another role and/or area (the security administrator's duty). The area's
 * level must fit the role, as in createAccount. The account's sessions end, so the change
 * applies at once; a person-access grant does not survive leaving the planner role.
 */
export async function changeRole(db: Kysely<Database>, accountId: number, roleName: string, areaCode: string, actor: Actor): Promise<void> {
	requireDuty(actor, 'security_admin', 'changing roles');
	const { role, area: code } = await roleAndArea(db, roleName, areaCode);
	const area = { code };
	const target = await findTarget(db, accountId);
	if (actor.accountId !== null && actor.accountId === accountId) throw new AccountError('account: nobody changes their own role');
	if (target.role === role && target.area_code === area.code) throw new AccountError(`role: ${target.username} already is a ${role} on ${area.code}`);
	await db
		.updateTable('account')
		.set({ role, area_code: area.code, can_view_persons: role === 'planner' ? target.can_view_persons : false })
		.where('id', '=', accountId)
		.execute();
	await endAllSessions(db, accountId);
	await auditBy(db, actor, 'permission_change', `change role of ${target.username} from ${target.role} on ${target.area_code} to ${role} on ${area.code}`);
}

/** Grants or withdraws a planner's access to persons (planners see counts only unless granted). */
export async function setPersonAccess(db: Kysely<Database>, accountId: number, granted: boolean, actor: Actor): Promise<void> {
	requireDuty(actor, 'security_admin', 'granting person access');
	const target = await findTarget(db, accountId);
	if (target.role !== 'planner') throw new AccountError(`role: only planners are granted person access, and ${target.username} is a ${target.role}`);
	if (actor.accountId !== null && actor.accountId === accountId) throw new AccountError('account: nobody changes their own access');
	await db.updateTable('account').set({ can_view_persons: granted }).where('id', '=', accountId).execute();
	// withdrawing ends the sessions too, so no page loaded under the grant stays open
	if (!granted) await endAllSessions(db, accountId);
	else forgetAccountSessions(db, accountId); // the grant applies at the next request
	await auditBy(db, actor, 'permission_change', `${granted ? 'grant' : 'revoke'} person access for ${target.username}`);
}

/** Lifts the lock that failed logins put on an account, before it runs out. */
export async function unlockAccount(db: Kysely<Database>, accountId: number, actor: Actor, now = new Date()): Promise<void> {
	requireDuty(actor, 'security_admin', 'unlocking accounts');
	const target = await findTarget(db, accountId);
	if (!target.locked_until || new Date(target.locked_until) <= now) throw new AccountError(`account: ${target.username} is not locked`);
	await db.updateTable('account').set({ locked_until: null, failed_logins: 0 }).where('id', '=', accountId).execute();
	forgetAccountSessions(db, accountId);
	await auditBy(db, actor, 'permission_change', `unlock account ${target.username}`);
}
