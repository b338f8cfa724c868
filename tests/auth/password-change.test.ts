// A password change ends every other session of the account, and the current one goes on under
// a new token set as the cookie (security issue 8, finding 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { changePassword } from '../../src/lib/server/auth/accounts.ts';
import { login } from '../../src/lib/server/auth/login.ts';
import { SESSION_COOKIE, tokenHash, validateSession } from '../../src/lib/server/auth/sessions.ts';
import * as passwordPage from '../../src/routes/account/password/+page.server.ts';
import { PASSWORD, account, branch, lastAudit, outcome, routeEvent, serveDb, type Branch } from './helpers.ts';

describe.each(backends)('changing the password (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;
	let restore: () => void;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
		restore = serveDb(db);
	});
	afterAll(async () => {
		restore?.();
		await db?.drop();
	});

	const signIn = async (username: string, password = PASSWORD) => {
		const r = await login(db.kysely, username, password, null);
		if (!r.ok) throw new Error(`sign-in of ${username} failed`);
		return r.token;
	};

	it('through the page: the other sessions end, this one continues under a new cookie', async () => {
		const user = await account(db.kysely, 'chg.one', 'grid_leader', b.grid);
		const [mine, phone, laptop] = [await signIn('chg.one'), await signIn('chg.one'), await signIn('chg.one')];
		const other = await account(db.kysely, 'chg.other', 'grid_leader', b.grid);
		const bystander = await signIn('chg.other');
		const expiresBefore = (await db.kysely.selectFrom('session').select('expires_at').where('token_hash', '=', tokenHash(mine)).executeTakeFirstOrThrow())
			.expires_at;

		const { event, cookies } = routeEvent(user, {
			url: 'https://atlas.example/account/password',
			cookies: { [SESSION_COOKIE]: mine },
			form: { current: PASSWORD, next: 'Brand-New-Pass7', confirm: 'Brand-New-Pass7' }
		});
		const r = await outcome(() => passwordPage.actions.default(event));
		expect(r).toMatchObject({ status: 303, location: '/' });

		expect(cookies).toHaveLength(1);
		const fresh = cookies[0];
		expect(fresh).toMatchObject({ name: SESSION_COOKIE, options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } });
		expect(fresh.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(fresh.value).not.toBe(mine);
		expect(Number(fresh.options.maxAge)).toBeGreaterThan(11 * 3600);
		expect(Number(fresh.options.maxAge)).toBeLessThanOrEqual(12 * 3600);

		// the old token of this very session no longer works, nor do the others
		for (const token of [mine, phone, laptop]) expect(await validateSession(db.kysely, token)).toBeNull();
		expect(await validateSession(db.kysely, fresh.value)).toMatchObject({ username: 'chg.one', mustChangePassword: false });
		const sessions = await db.kysely.selectFrom('session').select(['token_hash', 'expires_at']).where('account_id', '=', user.accountId).execute();
		expect(sessions).toHaveLength(1);
		// the same session, same lifetime: a password change does not extend it
		expect(new Date(sessions[0].expires_at).getTime()).toBe(new Date(expiresBefore).getTime());
		// another account's session is untouched
		expect(await validateSession(db.kysely, bystander)).toMatchObject({ accountId: other.accountId });
		expect(await lastAudit(db.kysely)).toMatchObject({ action: 'password_change', result: 'ok', username: 'chg.one', object: 'other sessions ended' });
	});

	it('a refused change ends nothing', async () => {
		const user = await account(db.kysely, 'chg.two', 'grid_leader', b.grid);
		const [mine, other] = [await signIn('chg.two'), await signIn('chg.two')];
		const { event, cookies } = routeEvent(user, {
			url: 'http://localhost/account/password',
			cookies: { [SESSION_COOKIE]: mine },
			form: { current: 'Wrong-Current1', next: 'Brand-New-Pass7', confirm: 'Brand-New-Pass7' }
		});
		expect((await outcome(() => passwordPage.actions.default(event))).value).toMatchObject({
			status: 400,
			data: { message: 'current password: wrong password' }
		});
		expect(cookies).toEqual([]);
		for (const token of [mine, other]) expect(await validateSession(db.kysely, token)).not.toBeNull();
	});

	it('in the library without a current session, every session of the account ends', async () => {
		const user = await account(db.kysely, 'chg.three', 'grid_leader', b.grid);
		const tokens = [await signIn('chg.three'), await signIn('chg.three')];
		expect(await changePassword(db.kysely, user.accountId, PASSWORD, 'Brand-New-Pass8', null)).toBeNull();
		for (const token of tokens) expect(await validateSession(db.kysely, token)).toBeNull();
		// a token of another account is not "the current session" of this one
		const other = await account(db.kysely, 'chg.four', 'grid_leader', b.grid);
		const theirs = await signIn('chg.four');
		const again = await signIn('chg.three', 'Brand-New-Pass8');
		expect(await changePassword(db.kysely, user.accountId, 'Brand-New-Pass8', 'Brand-New-Pass9', null, theirs)).toBeNull();
		expect(await validateSession(db.kysely, theirs)).toMatchObject({ accountId: other.accountId });
		expect(await validateSession(db.kysely, again)).toBeNull();
	});
});
