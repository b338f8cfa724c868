// Creating accounts and changing passwords. An account is bound to one area whose level fits
// its role; the rules are checked here so the CLI, the admin page and the demo agree.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit } from './audit.ts';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { endAllSessions } from './sessions.ts';
import { LEVEL_OF_CODE_LENGTH, ROLE_RULES, isRole, type Role } from './roles.ts';

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

export { LEVEL_OF_CODE_LENGTH };
