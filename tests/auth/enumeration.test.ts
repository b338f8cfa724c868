// No user enumeration at the sign-in form (security issue 8, finding 7): an unknown user, a
// disabled, locked or pending account and a wrong password all get the same answer and status,
// after exactly one argon2 verification each (the same work, so the same time); the right
// password on a locked, disabled or pending account gets that answer too. Only the audit trail
// says which it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { requestAccount, setAccountLock } from '../../src/lib/server/auth/accounts.ts';
import { login, MAX_FAILED_LOGINS } from '../../src/lib/server/auth/login.ts';
import { verificationCount } from '../../src/lib/server/auth/password.ts';
import * as loginPage from '../../src/routes/login/+page.server.ts';
import { PASSWORD, account, actorOf, branch, lastAudit, outcome, routeEvent, serveDb, type Branch } from './helpers.ts';

describe.each(backends)('one answer for every failed sign-in (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;
	let restore: () => void;
	let halfA: string;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
		restore = serveDb(db);
		const system = await account(db.kysely, 'sys.enum', 'system_admin', b.district);
		await account(db.kysely, 'enum.active', 'grid_leader', b.grid);
		const disabled = await account(db.kysely, 'enum.disabled', 'grid_leader', b.grid);
		await setAccountLock(db.kysely, disabled.accountId, true, actorOf(system));
		await account(db.kysely, 'enum.locked', 'grid_leader', b.grid);
		for (let i = 0; i < MAX_FAILED_LOGINS; i++) await login(db.kysely, 'enum.locked', 'Wrong-Password1', null);
		({ halfA } = await requestAccount(db.kysely, { username: 'enum.pending', displayName: '待批', role: 'grid_leader', areaCode: b.grid }, actorOf(system)));
	});
	afterAll(async () => {
		restore?.();
		await db?.drop();
	});

	const cases = () => [
		{ what: 'unknown user', username: 'enum.nobody', password: PASSWORD, audited: 'unknown user' },
		{ what: 'wrong password', username: 'enum.active', password: 'Wrong-Password1', audited: 'attempt 1' },
		{ what: 'disabled, right password', username: 'enum.disabled', password: PASSWORD, audited: 'disabled' },
		{ what: 'locked, right password', username: 'enum.locked', password: PASSWORD, audited: 'locked' },
		{ what: 'pending, its half A', username: 'enum.pending', password: halfA, audited: 'pending approval' }
	];

	it('answers 401 "invalid" to each, identically but for the echoed user name, after one verification', async () => {
		const answers: unknown[] = [];
		for (const c of cases()) {
			const { event, cookies, headers } = routeEvent(null, {
				url: 'http://localhost/login',
				form: { username: c.username, password: c.password },
				clientAddr: '10.5.5.5'
			});
			const before = verificationCount();
			const r = await outcome(() => loginPage.actions.default(event));
			expect(verificationCount() - before, c.what).toBe(1);
			expect(r.status, c.what).toBe('ok');
			const { status, data } = r.value as { status: number; data: { username: string } };
			expect(data.username).toBe(c.username);
			answers.push({ status, data: { ...data, username: '' } });
			expect(cookies, c.what).toEqual([]);
			expect(headers, c.what).toEqual({});
			// the audit trail knows
			expect(await lastAudit(db.kysely), c.what).toMatchObject({ action: 'failed_login', result: 'denied', username: c.username, object: c.audited });
		}
		expect(answers[0]).toEqual({ status: 401, data: { username: '', message: 'invalid' } });
		for (const a of answers) expect(a).toEqual(answers[0]);
	});

	it('login() itself says no more than "invalid"', async () => {
		for (const c of cases()) expect(await login(db.kysely, c.username, c.password, null), c.what).toEqual({ ok: false, reason: 'invalid' });
	});
});
