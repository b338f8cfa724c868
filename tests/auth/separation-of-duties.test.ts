// 三员分立 by dual control (security issue 8, finding 3): the system administrator only requests
// accounts — pending, no role, no sign-in — and sees half A of the first password; the security
// administrator approves (possibly another role or area) and sees half B; only the owner, with
// both, signs in, and must then change the password. Neither administrator alone can put a
// person-seeing role into effect or see a whole password, and the audit trail names who granted
// what to whom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import {
	AccountError,
	approveAccount,
	changePassword,
	changeRole,
	createAccount,
	rejectAccount,
	requestAccount,
	setAccountLock,
	setPersonAccess,
	unlockAccount
} from '../../src/lib/server/auth/accounts.ts';
import { login } from '../../src/lib/server/auth/login.ts';
import { verifyPassword } from '../../src/lib/server/auth/password.ts';
import { ROLES, ROLE_RULES } from '../../src/lib/server/auth/roles.ts';
import { createSession, validateSession, type SessionUser } from '../../src/lib/server/auth/sessions.ts';
import { verifyAuditChain } from '../../src/lib/server/auth/audit.ts';
import * as adminPage from '../../src/routes/admin/+page.server.ts';
import { PASSWORD, account, actorOf, branch, lastAudit, outcome, routeEvent, serveDb, type Branch } from './helpers.ts';

type Requested = { requested: { username: string; halfA: string } };
type Approved = { approved: { username: string; halfB: string | null } };
type Failure = { status: number; data: { message: string } };

const PERSON_ROLES = ROLES.filter((r) => ROLE_RULES[r].persons);

describe.each(backends)('separation of duties: requested, approved, two halves (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;
	let restore: () => void;
	const users = {} as Record<'system' | 'security', SessionUser>;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
		users.system = await account(db.kysely, 'sys.admin', 'system_admin', b.district);
		users.security = await account(db.kysely, 'sec.admin', 'security_admin', b.district);
		restore = serveDb(db);
	});
	afterAll(async () => {
		restore?.();
		await db?.drop();
	});

	const areaFor = (role: (typeof ROLES)[number]) =>
		({ district: b.district, street: b.street, community: b.community, grid: b.grid })[ROLE_RULES[role].level ?? 'district'];
	const request = async (username: string, role: string, areaCode: string) => {
		const result = await adminPage.actions.create(routeEvent(users.system, { form: { username, displayName: `测试 ${username}`, role, areaCode } }).event);
		return result as unknown as Requested;
	};
	const approve = async (id: number, role: string, areaCode: string) =>
		(await adminPage.actions.approve(routeEvent(users.security, { form: { id: String(id), role, areaCode } }).event)) as unknown as Approved;
	const idOf = async (username: string) => (await db.kysely.selectFrom('account').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

	it('no account the system administrator requests takes effect, in any role: pending, no role, no sign-in', async () => {
		for (const role of ROLES) {
			const username = `req.${role.replace(/_/g, '-')}`;
			const { requested } = await request(username, role, areaFor(role));
			expect(requested.username).toBe(username);
			expect(requested.halfA).toMatch(/^[A-Za-z0-9]{10}$/);
			const row = await db.kysely.selectFrom('account').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
			expect(row).toMatchObject({
				pending: true,
				role: null,
				area_code: null,
				can_view_persons: false,
				requested_role: role,
				requested_by: users.system.accountId,
				password_hash: null,
				activation_hash_b: null
			});
			// only a hash of the half is kept
			expect(JSON.stringify(row)).not.toContain(requested.halfA);
			// half A alone, or with anything after it, signs nobody in
			for (const password of [requested.halfA, requested.halfA + requested.halfA, `${requested.halfA}xxxxxxxxxx`]) {
				expect(await login(db.kysely, username, password, null)).toEqual({ ok: false, reason: 'invalid' });
			}
			// nor does a session made for it by hand validate
			expect(await validateSession(db.kysely, await createSession(db.kysely, row.id, null))).toBeNull();
		}
	});

	it('the system administrator cannot approve, change a role, grant persons or unlock — at the page or in the library', async () => {
		const { requested } = await request('sys.tries', 'district_admin', b.district);
		const id = await idOf(requested.username);
		for (const action of ['approve', 'reject', 'changeRole', 'grantPersons', 'unlock'] as const) {
			const r = await outcome(() =>
				adminPage.actions[action](routeEvent(users.system, { form: { id: String(id), role: 'district_admin', areaCode: b.district } }).event)
			);
			expect(r.status, action).toBe(403);
		}
		const sys = actorOf(users.system);
		const planner = await account(db.kysely, 'plan.sys', 'planner', b.street);
		await expect(approveAccount(db.kysely, id, { role: 'district_admin', areaCode: b.district }, sys)).rejects.toThrow(
			/^duty: approving accounts is the security administrator's duty/
		);
		await expect(changeRole(db.kysely, planner.accountId, 'district_admin', b.district, sys)).rejects.toThrow(/^duty: /);
		await expect(setPersonAccess(db.kysely, planner.accountId, true, sys)).rejects.toThrow(/^duty: /);
		await expect(unlockAccount(db.kysely, planner.accountId, sys)).rejects.toThrow(/^duty: /);
		await expect(rejectAccount(db.kysely, id, sys)).rejects.toThrow(/^duty: /);
		// nor create an active account directly (that is the shell operator's `npm run user:add`)
		await expect(
			createAccount(db.kysely, { username: 'direct.one', displayName: '直', role: 'district_admin', areaCode: b.district, password: PASSWORD }, sys)
		).rejects.toBeInstanceOf(AccountError);
		// and the security administrator does not request accounts
		await expect(
			requestAccount(db.kysely, { username: 'sec.asks', displayName: '安', role: 'planner', areaCode: b.street }, actorOf(users.security))
		).rejects.toThrow(/^duty: /);
		const row = await db.kysely.selectFrom('account').select(['pending', 'role']).where('id', '=', id).executeTakeFirstOrThrow();
		expect(row).toEqual({ pending: true, role: null });
		expect(await db.kysely.selectFrom('account').select('id').where('username', 'in', ['direct.one', 'sec.asks']).execute()).toEqual([]);
		expect(
			(await db.kysely.selectFrom('account').select('can_view_persons').where('id', '=', planner.accountId).executeTakeFirstOrThrow()).can_view_persons
		).toBe(false);
	});

	it('the system administrator cannot enable a disabled account back into a person-seeing role', async () => {
		for (const role of PERSON_ROLES) {
			const username = `back.${role.replace(/_/g, '-')}`;
			const target = await account(db.kysely, username, role, areaFor(role));
			await setAccountLock(db.kysely, target.accountId, true, actorOf(users.system));
			const r = await adminPage.actions.enable(routeEvent(users.system, { form: { id: String(target.accountId) } }).event);
			expect(r).toMatchObject({ ok: true, action: 'enable' });
			expect(await login(db.kysely, username, PASSWORD, null)).toEqual({ ok: false, reason: 'invalid' });
			const row = await db.kysely
				.selectFrom('account')
				.select(['role', 'pending', 'requested_role'])
				.where('id', '=', target.accountId)
				.executeTakeFirstOrThrow();
			expect(row).toEqual({ role: null, pending: true, requested_role: role });
		}
		// a planner's person grant does not come back with it
		const planner = await account(db.kysely, 'back.grant', 'planner', b.street, true);
		await setAccountLock(db.kysely, planner.accountId, true, actorOf(users.system));
		await setAccountLock(db.kysely, planner.accountId, false, actorOf(users.system));
		await approveAccount(db.kysely, planner.accountId, { role: 'planner', areaCode: b.street }, actorOf(users.security));
		expect(
			(await db.kysely.selectFrom('account').select('can_view_persons').where('id', '=', planner.accountId).executeTakeFirstOrThrow()).can_view_persons
		).toBe(false);
	});

	it('approved by the security administrator (who may change role and area), the owner signs in with A then B, and must change it', async () => {
		const { requested } = await request('wang.new', 'community_secretary', b.community);
		const id = await idOf('wang.new');
		// the security administrator sees the request in their list, without any secret
		const data = await adminPage.load(routeEvent(users.security).event);
		expect(data.accounts.find((a) => a.username === 'wang.new')).toMatchObject({
			status: 'pending',
			role: null,
			requestedRole: 'community_secretary',
			requestedArea: b.community,
			requestedBy: 'sys.admin',
			awaitingFirstSignIn: true
		});
		const { approved } = await approve(id, 'grid_leader', b.grid);
		expect(approved.username).toBe('wang.new');
		expect(approved.halfB).toMatch(/^[A-Za-z0-9]{10}$/);
		const row = await db.kysely.selectFrom('account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
		expect(row).toMatchObject({ pending: false, role: 'grid_leader', area_code: b.grid, approved_by: users.security.accountId, password_hash: null });
		expect(JSON.stringify(row)).not.toContain(approved.halfB!);

		// neither half alone, nor the halves the wrong way round
		for (const password of [requested.halfA, approved.halfB!, approved.halfB! + requested.halfA]) {
			expect(await login(db.kysely, 'wang.new', password, null)).toEqual({ ok: false, reason: 'invalid' });
		}
		const first = await login(db.kysely, 'wang.new', requested.halfA + approved.halfB!, '10.3.3.3');
		expect(first.ok).toBe(true);
		if (!first.ok) return;
		const user = await validateSession(db.kysely, first.token);
		expect(user).toMatchObject({ username: 'wang.new', role: 'grid_leader', areaCode: b.grid, mustChangePassword: true });
		// the halves are spent: only a password hash of its own remains, to be changed now
		const after = await db.kysely
			.selectFrom('account')
			.select(['activation_hash_a', 'activation_hash_b', 'password_hash'])
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		expect(after.activation_hash_a).toBeNull();
		expect(after.activation_hash_b).toBeNull();
		expect(await verifyPassword(after.password_hash!, requested.halfA + approved.halfB!)).toBe(true);
		await changePassword(db.kysely, id, requested.halfA + approved.halfB!, 'Wang-Own-Pass9', null, first.token);
		expect((await login(db.kysely, 'wang.new', 'Wang-Own-Pass9', null)).ok).toBe(true);
	});

	it('the audit trail names the grantor, the grant and the grantee, at the request and at the approval', async () => {
		await request('li.audit', 'street_secretary', b.street);
		const requestRow = await lastAudit(db.kysely);
		expect(requestRow).toMatchObject({
			action: 'permission_change',
			result: 'ok',
			account_id: users.system.accountId,
			username: 'sys.admin',
			role: 'system_admin',
			client_addr: '10.1.2.3',
			object: `request account li.audit as street_secretary on ${b.street} (pending approval)`
		});
		await approve(await idOf('li.audit'), 'street_secretary', b.street);
		const approveRow = await lastAudit(db.kysely);
		expect(approveRow).toMatchObject({
			action: 'permission_change',
			result: 'ok',
			account_id: users.security.accountId,
			username: 'sec.admin',
			role: 'security_admin',
			object: `approve account li.audit as street_secretary on ${b.street}, requested by sys.admin as street_secretary on ${b.street}`
		});
		expect(await verifyAuditChain(db.kysely)).toBeNull();
	});

	it('the security administrator rejects a request: the account is gone, and the trail says so', async () => {
		await request('zhao.reject', 'district_admin', b.district);
		const id = await idOf('zhao.reject');
		expect(await adminPage.actions.reject(routeEvent(users.security, { form: { id: String(id) } }).event)).toMatchObject({ ok: true, action: 'reject' });
		expect(await db.kysely.selectFrom('account').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
		expect((await lastAudit(db.kysely)).object).toBe(`reject account zhao.reject, requested by sys.admin as district_admin on ${b.district}`);
		// the name may be requested again
		expect((await request('zhao.reject', 'district_admin', b.district)).requested.username).toBe('zhao.reject');
	});

	it('approval checks the role and area, refuses what is not pending, and only one of two racing approvals wins', async () => {
		await request('race.one', 'grid_leader', b.grid);
		const id = await idOf('race.one');
		const bad = (await adminPage.actions.approve(
			routeEvent(users.security, { form: { id: String(id), role: 'grid_leader', areaCode: b.street } }).event
		)) as unknown as Failure;
		expect(bad.status).toBe(400);
		expect(bad.data.message).toMatch(/^area: a grid_leader is bound to a grid/);
		// a pending account has no role to change nor grant to give
		await expect(changeRole(db.kysely, id, 'planner', b.street, actorOf(users.security))).rejects.toThrow(/awaiting approval/);
		const results = await Promise.allSettled(
			[0, 1].map(() => approveAccount(db.kysely, id, { role: 'grid_leader', areaCode: b.grid }, actorOf(users.security)))
		);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason.message))[0]).toMatch(
			/no longer awaiting approval|not awaiting approval/
		);
		await expect(approveAccount(db.kysely, id, { role: 'grid_leader', areaCode: b.grid }, actorOf(users.security))).rejects.toThrow(/is not awaiting approval/);
		// the approver must be someone else than the requester (an account that changed role, say)
		await request('race.two', 'planner', b.street);
		const requesterAsSecurity = { ...actorOf(users.system), role: 'security_admin' };
		await expect(approveAccount(db.kysely, await idOf('race.two'), { role: 'planner', areaCode: b.street }, requesterAsSecurity)).rejects.toThrow(
			/someone else/
		);
	});

	it("neither administrator's responses nor page data ever hold a whole password", async () => {
		const { requested } = await request('whole.one', 'district_admin', b.district);
		const { approved } = await approve(await idOf('whole.one'), 'district_admin', b.district);
		const whole = requested.halfA + approved.halfB!;
		for (const user of [users.system, users.security]) {
			const json = JSON.stringify(await adminPage.load(routeEvent(user).event));
			expect(json).not.toContain(requested.halfA);
			expect(json).not.toContain(approved.halfB!);
			expect(json).not.toMatch(/\$argon2/);
		}
		expect(JSON.stringify(requested)).not.toContain(whole);
		expect(JSON.stringify(approved)).not.toContain(whole);
	});
});
