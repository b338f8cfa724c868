// The administrators', auditor's and kiosk pages' server code, called as SvelteKit calls it:
// each duty only for its role (三员分立), every other role a 403; changes land and are audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHttpError, isRedirect } from '@sveltejs/kit';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { createScreen, revokeScreen, KIOSK_COOKIE } from '../../src/lib/server/auth/kiosk.ts';
import { verifyPassword } from '../../src/lib/server/auth/password.ts';
import type { SessionUser } from '../../src/lib/server/auth/sessions.ts';
import * as adminPage from '../../src/routes/admin/+page.server.ts';
import * as auditPage from '../../src/routes/audit/+page.server.ts';
import * as kioskPage from '../../src/routes/kiosk/[token]/+page.server.ts';
import { account, actorOf, branch, lastAudit, type Branch } from './helpers.ts';

const DB_KEY = Symbol.for('jiceng.db');

interface Cookie {
	name: string;
	value: string;
	options: Record<string, unknown>;
}

function event(user: SessionUser | null, opts: { form?: Record<string, string>; url?: string; params?: Record<string, string> } = {}) {
	const cookies: Cookie[] = [];
	const headers: Record<string, string> = {};
	const url = new URL(opts.url ?? 'http://localhost/admin');
	const body = new URLSearchParams(opts.form ?? {});
	return {
		cookies,
		headers,
		event: {
			locals: { user, viewer: null },
			url,
			params: opts.params ?? {},
			request: new Request(url, { method: opts.form ? 'POST' : 'GET', body: opts.form ? body : undefined }),
			getClientAddress: () => '10.1.2.3',
			setHeaders: (h: Record<string, string>) => Object.assign(headers, h),
			cookies: {
				set: (name: string, value: string, options: Record<string, unknown>) => cookies.push({ name, value, options }),
				get: () => undefined,
				delete: () => {}
			}
		} as never
	};
}

async function status(run: () => unknown): Promise<number | 'ok'> {
	try {
		await run();
		return 'ok';
	} catch (e) {
		if (isHttpError(e)) return e.status;
		if (isRedirect(e)) return e.status;
		throw e;
	}
}

describe.each(backends)('admin, audit and kiosk pages (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;
	const users = {} as Record<'system' | 'security' | 'auditor' | 'district' | 'grid' | 'planner', SessionUser>;
	let previous: unknown;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
		users.system = await account(db.kysely, 'sys.admin', 'system_admin', b.district);
		users.security = await account(db.kysely, 'sec.admin', 'security_admin', b.district);
		users.auditor = await account(db.kysely, 'audit.one', 'auditor', b.district);
		users.district = await account(db.kysely, 'dist.admin', 'district_admin', b.district);
		users.grid = await account(db.kysely, 'grid.one', 'grid_leader', b.grid);
		users.planner = await account(db.kysely, 'plan.one', 'planner', b.street);
		// the routes' getDb() hands out this database
		const holder = globalThis as Record<symbol, unknown>;
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
	});
	afterAll(async () => {
		(globalThis as Record<symbol, unknown>)[DB_KEY] = previous;
		await db?.drop();
	});

	describe('/admin', () => {
		it('is refused to everyone but the system and security administrators', async () => {
			expect(await status(() => adminPage.load(event(null).event))).toBe(401);
			// a big screen is signed in through its kiosk cookie, but is no account
			const screen = event(null);
			(screen.event as { locals: App.Locals }).locals.viewer = {
				principal: 'display',
				scope: b.district,
				accountId: null,
				username: 'screen:1:x',
				map: true,
				persons: false,
				unmasked: false
			};
			expect(await status(() => adminPage.load(screen.event))).toBe(403);
			expect(await status(() => auditPage.load(screen.event))).toBe(403);
			for (const who of ['auditor', 'district', 'grid', 'planner'] as const) {
				expect(await status(() => adminPage.load(event(users[who]).event)), who).toBe(403);
			}
			expect(await status(() => adminPage.load(event(users.system).event))).toBe('ok');
			expect(await status(() => adminPage.load(event(users.security).event))).toBe('ok');
		});

		it('lists accounts with role, area name and status, and no personal data', async () => {
			const { event: e, headers } = event(users.system);
			const data = await adminPage.load(e);
			expect(headers['cache-control']).toBe('no-store');
			expect(data.duty).toBe('system');
			expect(data.screens).toEqual([]);
			const grid = data.accounts.find((a) => a.username === 'grid.one')!;
			expect(grid).toMatchObject({ role: 'grid_leader', roleLabel: '网格长 Grid leader', areaCode: b.grid, status: 'active', demo: false });
			expect(grid.areaName).toBeTruthy();
			const json = JSON.stringify(data);
			expect(json).not.toMatch(/password_hash|\$argon2/);
			expect(json).not.toMatch(/(?<!\d)1\d{10}(?!\d)/);
		});

		it('each action belongs to one duty: the other administrator gets a 403', async () => {
			const id = String(users.grid.accountId);
			const forSystem = ['create', 'disable', 'enable'] as const;
			const forSecurity = ['approve', 'reject', 'changeRole', 'grantPersons', 'revokePersons', 'unlock', 'createScreen', 'revokeScreen'] as const;
			for (const action of forSystem) {
				for (const who of ['security', 'auditor', 'district'] as const) {
					expect(await status(() => adminPage.actions[action](event(users[who], { form: { id } }).event)), `${who} ${action}`).toBe(403);
				}
			}
			for (const action of forSecurity) {
				for (const who of ['system', 'auditor', 'district'] as const) {
					expect(await status(() => adminPage.actions[action](event(users[who], { form: { id } }).event)), `${who} ${action}`).toBe(403);
				}
			}
		});

		it('the system administrator requests an account: pending, and half A of its first password returned once', async () => {
			const form = { username: 'New.User', displayName: '新用户', role: 'community_secretary', areaCode: b.community };
			const result = (await adminPage.actions.create(event(users.system, { form }).event)) as unknown as { requested: { username: string; halfA: string } };
			expect(result.requested.username).toBe('new.user');
			expect(result).not.toHaveProperty('created');
			const row = await db.kysely.selectFrom('account').selectAll().where('username', '=', 'new.user').executeTakeFirstOrThrow();
			expect(row).toMatchObject({
				pending: true,
				role: null,
				area_code: null,
				requested_role: 'community_secretary',
				requested_area: b.community,
				password_hash: null,
				must_change_password: true
			});
			expect(await verifyPassword(row.activation_hash_a!, result.requested.halfA)).toBe(true);
			expect(await lastAudit(db.kysely)).toMatchObject({
				username: 'sys.admin',
				client_addr: '10.1.2.3',
				object: `request account new.user as community_secretary on ${b.community} (pending approval)`
			});
			// the page's data afterwards never carries it, nor any hash
			const data = await adminPage.load(event(users.system).event);
			expect(JSON.stringify(data)).not.toContain(result.requested.halfA);
			expect(JSON.stringify(data)).not.toMatch(/\$argon2/);
			expect(data.accounts.find((a) => a.username === 'new.user')).toMatchObject({
				status: 'pending',
				role: null,
				requestedRole: 'community_secretary',
				requestedBy: 'sys.admin'
			});
		});

		it('a refused creation comes back as a 400 naming the field, with the values kept', async () => {
			const form = { username: 'bad.level', displayName: '层级错', role: 'grid_leader', areaCode: b.street };
			const result = (await adminPage.actions.create(event(users.system, { form }).event)) as unknown as {
				status: number;
				data: { message: string; values: { username: string } };
			};
			expect(result.status).toBe(400);
			expect(result.data.message).toMatch(/^area: a grid_leader is bound to a grid/);
			expect(result.data.values.username).toBe('bad.level');
		});

		it('the system administrator disables and asks to enable again (pending approval), but not their own account', async () => {
			const target = await account(db.kysely, 'to.disable', 'grid_leader', b.grid);
			await adminPage.actions.disable(event(users.system, { form: { id: String(target.accountId) } }).event);
			expect((await lastAudit(db.kysely)).object).toBe('disable account to.disable');
			const data = await adminPage.load(event(users.system).event);
			expect(data.accounts.find((a) => a.username === 'to.disable')!.status).toBe('disabled');
			await adminPage.actions.enable(event(users.system, { form: { id: String(target.accountId) } }).event);
			expect((await lastAudit(db.kysely)).object).toBe(`request enabling account to.disable as grid_leader on ${b.grid} (pending approval)`);
			const after = await adminPage.load(event(users.system).event);
			expect(after.accounts.find((a) => a.username === 'to.disable')).toMatchObject({ status: 'pending', role: null, requestedRole: 'grid_leader' });
			const self = (await adminPage.actions.disable(event(users.system, { form: { id: String(users.system.accountId) } }).event)) as unknown as {
				status: number;
				data: { message: string };
			};
			expect(self.status).toBe(400);
			expect(self.data.message).toMatch(/own account/);
		});

		it('the security administrator changes a role and grants a planner person access', async () => {
			const target = await account(db.kysely, 'move.me', 'grid_leader', b.grid);
			const ok = await adminPage.actions.changeRole(
				event(users.security, { form: { id: String(target.accountId), role: 'street_secretary', areaCode: b.street } }).event
			);
			expect(ok).toMatchObject({ ok: true, action: 'changeRole' });
			expect((await lastAudit(db.kysely)).object).toBe(`change role of move.me from grid_leader on ${b.grid} to street_secretary on ${b.street}`);
			const bad = (await adminPage.actions.changeRole(
				event(users.security, { form: { id: String(target.accountId), role: 'grid_leader', areaCode: b.street } }).event
			)) as unknown as { status: number; data: { message: string } };
			expect(bad.status).toBe(400);
			expect(bad.data.message).toMatch(/^area: /);

			await adminPage.actions.grantPersons(event(users.security, { form: { id: String(users.planner.accountId) } }).event);
			const data = await adminPage.load(event(users.security).event);
			expect(data.accounts.find((a) => a.username === 'plan.one')!.canViewPersons).toBe(true);
			await adminPage.actions.revokePersons(event(users.security, { form: { id: String(users.planner.accountId) } }).event);
			expect((await lastAudit(db.kysely)).object).toBe('revoke person access for plan.one');
		});

		it('the security administrator creates a screen (link shown once) and revokes it', async () => {
			const result = (await adminPage.actions.createScreen(event(users.security, { form: { name: '街道大屏', areaCode: b.street } }).event)) as {
				screen: { id: number; link: string };
			};
			expect(result.screen.link).toMatch(/^http:\/\/localhost\/kiosk\/[A-Za-z0-9_-]{43}$/);
			const data = await adminPage.load(event(users.security).event);
			const screen = data.screens.find((s) => s.id === result.screen.id)!;
			expect(screen).toMatchObject({ name: '街道大屏', areaCode: b.street, revokedAt: null, createdBy: 'sec.admin' });
			expect(JSON.stringify(data)).not.toContain(result.screen.link.split('/').at(-1)!);
			await adminPage.actions.revokeScreen(event(users.security, { form: { id: String(result.screen.id) } }).event);
			const after = await adminPage.load(event(users.security).event);
			expect(after.screens.find((s) => s.id === result.screen.id)!.revokedAt).not.toBeNull();
		});
	});

	describe('/audit', () => {
		it('is for the auditor only', async () => {
			expect(await status(() => auditPage.load(event(null, { url: 'http://localhost/audit' }).event))).toBe(401);
			for (const who of ['system', 'security', 'district', 'grid', 'planner'] as const) {
				expect(await status(() => auditPage.load(event(users[who], { url: 'http://localhost/audit' }).event)), who).toBe(403);
			}
		});

		it('searches the trail and reports the chain intact', async () => {
			const data = await auditPage.load(
				event(users.auditor, { url: 'http://localhost/audit?user=sec.admin&action=permission_change&q=person%20access' }).event
			);
			expect(data.chain).toEqual({ intact: true, firstBroken: null });
			expect(data.total).toBe(2);
			expect(data.rows.map((r) => r.object)).toEqual(['revoke person access for plan.one', 'grant person access for plan.one']);
			expect(data.rows[0]).toMatchObject({ roleLabel: '安全管理员 Security administrator', clientAddr: '10.1.2.3', result: 'ok' });
			const bad = await auditPage.load(event(users.auditor, { url: 'http://localhost/audit?from=yesterday' }).event);
			expect(bad.problems).toEqual(['from: "yesterday" is not a date and time']);
			const future = await auditPage.load(event(users.auditor, { url: 'http://localhost/audit?from=2999-01-01T00:00' }).event);
			expect(future.total).toBe(0);
		});
	});

	describe('/kiosk/[token]', () => {
		it('a valid token sets the HttpOnly cookie, is audited and goes on to the big screen (/screen)', async () => {
			const { token, id } = await createScreen(db.kysely, '大屏一', b.district, actorOf(users.security));
			const { event: e, cookies } = event(null, { url: `https://atlas.example/kiosk/${token}`, params: { token } });
			let caught: unknown;
			try {
				await kioskPage.load(e);
			} catch (err) {
				caught = err;
			}
			expect(isRedirect(caught) && caught.status === 303 && caught.location === '/screen').toBe(true);
			expect(cookies).toHaveLength(1);
			expect(cookies[0]).toMatchObject({ name: KIOSK_COOKIE, value: token, options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } });
			expect(cookies[0].options.maxAge).toBeGreaterThanOrEqual(365 * 86_400);
			const entry = await lastAudit(db.kysely);
			expect(entry).toMatchObject({ action: 'kiosk_access', result: 'ok', role: 'display', object: `screen ${id} on ${b.district}`, client_addr: '10.1.2.3' });
			expect(JSON.stringify(entry)).not.toContain(token);

			await revokeScreen(db.kysely, id, actorOf(users.security));
			const again = event(null, { url: `http://localhost/kiosk/${token}`, params: { token } });
			expect(await status(() => kioskPage.load(again.event))).toBe(403);
			expect(again.cookies).toHaveLength(0);
			expect(await lastAudit(db.kysely)).toMatchObject({ action: 'kiosk_access', result: 'denied' });
		});

		it('a malformed token is a 403 too', async () => {
			expect(await status(() => kioskPage.load(event(null, { params: { token: 'nope' } }).event))).toBe(403);
		});
	});
});
