// Accounts and screens as the administrators change them: the role↔area rules, the audit row
// each change leaves, sessions ending, and kiosk tokens that stop working once revoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import {
	AccountError,
	approveAccount,
	changeRole,
	createAccount,
	generatePassword,
	setAccountLock,
	setPersonAccess,
	unlockAccount
} from '../../src/lib/server/auth/accounts.ts';
import { createScreen, revokeScreen, validateKiosk } from '../../src/lib/server/auth/kiosk.ts';
import { createSession, validateSession } from '../../src/lib/server/auth/sessions.ts';
import { login } from '../../src/lib/server/auth/login.ts';
import { verifyAuditChain } from '../../src/lib/server/auth/audit.ts';
import { PASSWORD, SYSTEM, account, actorOf, branch, lastAudit, type Branch } from './helpers.ts';

describe.each(backends)('accounts and screens (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
	});
	afterAll(async () => {
		await db?.drop();
	});

	describe('createAccount refuses bad input, naming the field', () => {
		const base = () => ({ username: 'li.ming', displayName: '李明', role: 'grid_leader', areaCode: b.grid, password: PASSWORD });
		const refuses = async (patch: Record<string, unknown>, message: RegExp) => {
			const err = await createAccount(db.kysely, { ...base(), ...patch }, SYSTEM).catch((e) => e);
			expect(err).toBeInstanceOf(AccountError);
			expect(err.message).toMatch(message);
		};

		it('an unknown role', () => refuses({ role: 'wizard' }, /^role: unknown role "wizard"/));
		it('an area that does not exist', () => refuses({ areaCode: '999999' }, /^area: no area with code "999999"/));
		it('an area of the wrong level for the role', async () => {
			await refuses({ areaCode: b.community }, /^area: a grid_leader is bound to a grid/);
			await refuses({ role: 'street_secretary', areaCode: b.district }, /^area: a street_secretary is bound to a street/);
			await refuses({ role: 'auditor', areaCode: b.street }, /^area: a auditor is bound to a district/);
		});
		it('a weak password', async () => {
			await refuses({ password: 'short1A' }, /password.*at least 8/);
			await refuses({ password: 'alllowercase1' }, /password.*3 of/);
			await refuses({ password: 'Li.Ming-2024x' }, /password.*user name/);
		});
		it('a malformed user name or display name', async () => {
			await refuses({ username: 'Li Ming!' }, /^username:/);
			await refuses({ displayName: '  ' }, /^display name:/);
		});
		it('a taken user name', async () => {
			await createAccount(db.kysely, { ...base(), username: 'taken.name' }, SYSTEM);
			await refuses({ username: 'taken.name' }, /^username: "taken.name" is taken/);
		});
		it('a generated password meets the policy', async () => {
			for (let i = 0; i < 20; i++) {
				const id = await createAccount(db.kysely, { ...base(), username: `gen${i}`, password: generatePassword() }, SYSTEM);
				expect(id).toBeGreaterThan(0);
			}
		});
	});

	describe('changeRole', () => {
		it('moves an account to a role and an area of the right level, ends its sessions and audits it', async () => {
			const security = await account(db.kysely, 'sec.one', 'security_admin', b.district);
			const target = await account(db.kysely, 'wang.grid', 'grid_leader', b.grid);
			const token = await createSession(db.kysely, target.accountId, '10.0.0.1');
			expect(await validateSession(db.kysely, token)).not.toBeNull();

			await changeRole(db.kysely, target.accountId, 'community_secretary', b.community, actorOf(security));

			const row = await db.kysely.selectFrom('account').select(['role', 'area_code']).where('id', '=', target.accountId).executeTakeFirstOrThrow();
			expect(row).toEqual({ role: 'community_secretary', area_code: b.community });
			expect(await validateSession(db.kysely, token)).toBeNull();
			const entry = await lastAudit(db.kysely);
			expect(entry).toMatchObject({
				action: 'permission_change',
				result: 'ok',
				username: 'sec.one',
				role: 'security_admin',
				account_id: security.accountId,
				client_addr: '10.0.0.9',
				object: `change role of wang.grid from grid_leader on ${b.grid} to community_secretary on ${b.community}`
			});
			expect(await verifyAuditChain(db.kysely)).toBeNull();
		});

		it('refuses a role or area that does not fit, naming the field, and changes nothing', async () => {
			const security = await account(db.kysely, 'sec.two', 'security_admin', b.district);
			const target = await account(db.kysely, 'zhao.street', 'street_secretary', b.street);
			const before = await db.kysely
				.selectFrom('audit_log')
				.select((eb) => eb.fn.countAll<number>().as('n'))
				.executeTakeFirstOrThrow();
			const cases: [string, string, RegExp][] = [
				['wizard', b.street, /^role: unknown role/],
				['grid_leader', b.street, /^area: a grid_leader is bound to a grid, and \d+ is a street/],
				['district_admin', b.community, /^area: a district_admin is bound to a district/],
				['community_secretary', '420', /^area: no area with code "420"/],
				['street_secretary', b.street, /^role: zhao.street already is a street_secretary/]
			];
			for (const [role, area, message] of cases) {
				await expect(changeRole(db.kysely, target.accountId, role, area, actorOf(security))).rejects.toThrow(message);
			}
			await expect(changeRole(db.kysely, 987654, 'planner', b.street, actorOf(security))).rejects.toThrow(/^account: 987654 does not exist/);
			await expect(changeRole(db.kysely, security.accountId, 'planner', b.street, actorOf(security))).rejects.toThrow(/own role/);
			const row = await db.kysely.selectFrom('account').select(['role', 'area_code']).where('id', '=', target.accountId).executeTakeFirstOrThrow();
			expect(row).toEqual({ role: 'street_secretary', area_code: b.street });
			const after = await db.kysely
				.selectFrom('audit_log')
				.select((eb) => eb.fn.countAll<number>().as('n'))
				.executeTakeFirstOrThrow();
			expect(Number(after.n)).toBe(Number(before.n));
		});

		it('a planner may sit on any level; the person grant does not survive leaving the role', async () => {
			const security = await account(db.kysely, 'sec.three', 'security_admin', b.district);
			const planner = await account(db.kysely, 'plan.one', 'planner', b.community, true);
			await changeRole(db.kysely, planner.accountId, 'planner', b.grid, actorOf(security));
			let row = await db.kysely.selectFrom('account').select(['can_view_persons', 'area_code']).where('id', '=', planner.accountId).executeTakeFirstOrThrow();
			expect(row).toEqual({ can_view_persons: true, area_code: b.grid });
			await changeRole(db.kysely, planner.accountId, 'grid_leader', b.grid, actorOf(security));
			row = await db.kysely.selectFrom('account').select(['can_view_persons', 'area_code']).where('id', '=', planner.accountId).executeTakeFirstOrThrow();
			expect(row.can_view_persons).toBe(false);
		});
	});

	describe('person access, unlocking, disabling', () => {
		it('grants and revokes person access for planners only, audited', async () => {
			const security = await account(db.kysely, 'sec.four', 'security_admin', b.district);
			const planner = await account(db.kysely, 'plan.two', 'planner', b.street);
			const leader = await account(db.kysely, 'li.grid', 'grid_leader', b.grid);
			await setPersonAccess(db.kysely, planner.accountId, true, actorOf(security));
			expect((await lastAudit(db.kysely)).object).toBe('grant person access for plan.two');
			const token = await createSession(db.kysely, planner.accountId, null);
			expect((await validateSession(db.kysely, token))?.canViewPersons).toBe(true);
			await setPersonAccess(db.kysely, planner.accountId, false, actorOf(security));
			expect((await lastAudit(db.kysely)).object).toBe('revoke person access for plan.two');
			expect(await validateSession(db.kysely, token)).toBeNull();
			await expect(setPersonAccess(db.kysely, leader.accountId, true, actorOf(security))).rejects.toThrow(/^role: only planners/);
		});

		it('unlocks an account that failed logins locked', async () => {
			const security = await account(db.kysely, 'sec.five', 'security_admin', b.district);
			const target = await account(db.kysely, 'locked.one', 'community_secretary', b.community);
			await expect(unlockAccount(db.kysely, target.accountId, actorOf(security))).rejects.toThrow(/is not locked/);
			for (let i = 0; i < 5; i++) await login(db.kysely, 'locked.one', 'Wrong-Password1', null);
			expect((await login(db.kysely, 'locked.one', PASSWORD, null)).ok).toBe(false);
			await unlockAccount(db.kysely, target.accountId, actorOf(security));
			expect((await lastAudit(db.kysely)).object).toBe('unlock account locked.one');
			expect((await login(db.kysely, 'locked.one', PASSWORD, null)).ok).toBe(true);
		});

		it("disabling ends the sessions; enabling again waits for the security administrator's approval", async () => {
			const system = await account(db.kysely, 'sys.one', 'system_admin', b.district);
			const security = await account(db.kysely, 'sec.seven', 'security_admin', b.district);
			const target = await account(db.kysely, 'dis.one', 'grid_leader', b.grid);
			const token = await createSession(db.kysely, target.accountId, null);
			await setAccountLock(db.kysely, target.accountId, true, actorOf(system));
			expect(await validateSession(db.kysely, token)).toBeNull();
			expect(await login(db.kysely, 'dis.one', PASSWORD, null)).toEqual({ ok: false, reason: 'invalid' });
			// the system administrator alone cannot put a person-seeing role back into effect
			await setAccountLock(db.kysely, target.accountId, false, actorOf(system));
			expect((await lastAudit(db.kysely)).object).toBe(`request enabling account dis.one as grid_leader on ${b.grid} (pending approval)`);
			const row = await db.kysely
				.selectFrom('account')
				.select(['role', 'area_code', 'pending', 'disabled_at'])
				.where('id', '=', target.accountId)
				.executeTakeFirstOrThrow();
			expect(row).toEqual({ role: null, area_code: null, pending: true, disabled_at: null });
			expect(await login(db.kysely, 'dis.one', PASSWORD, null)).toEqual({ ok: false, reason: 'invalid' });
			// approved again: the owner's own password works, and there is no new half
			const approved = await approveAccount(db.kysely, target.accountId, { role: 'grid_leader', areaCode: b.grid }, actorOf(security));
			expect(approved).toEqual({ username: 'dis.one', halfB: null });
			expect((await login(db.kysely, 'dis.one', PASSWORD, null)).ok).toBe(true);
			await expect(setAccountLock(db.kysely, target.accountId, false, actorOf(system))).rejects.toThrow(/is not disabled/);
		});
	});

	describe('display screens', () => {
		it('a created screen validates; once revoked its token no longer does', async () => {
			const security = await account(db.kysely, 'sec.six', 'security_admin', b.district);
			const { id, token } = await createScreen(db.kysely, '指挥中心大屏', b.street, actorOf(security));
			expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect((await lastAudit(db.kysely)).object).toBe(`create screen ${id} (指挥中心大屏) on ${b.street}`);
			// only the hash is stored
			const stored = await db.kysely.selectFrom('display_screen').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
			expect(JSON.stringify(stored)).not.toContain(token);

			expect(await validateKiosk(db.kysely, token)).toEqual({ id, name: '指挥中心大屏', areaCode: b.street, tourIntervalS: 20 });
			const seen = await db.kysely.selectFrom('display_screen').select('last_seen_at').where('id', '=', id).executeTakeFirstOrThrow();
			expect(seen.last_seen_at).not.toBeNull();
			expect(await validateKiosk(db.kysely, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeNull();

			await revokeScreen(db.kysely, id, actorOf(security));
			expect((await lastAudit(db.kysely)).object).toBe(`revoke screen ${id}`);
			expect(await validateKiosk(db.kysely, token)).toBeNull();
			await expect(revokeScreen(db.kysely, id, actorOf(security))).rejects.toThrow(/already revoked/);
		});

		it('refuses a screen without a name or on an unknown area', async () => {
			await expect(createScreen(db.kysely, '  ', b.street, SYSTEM)).rejects.toThrow(/^screen name:/);
			await expect(createScreen(db.kysely, '大屏', '123', SYSTEM)).rejects.toThrow(/^area: no area/);
		});
	});
});
