// Logging in, locking out, idle and absolute session limits — with a controllable clock — and
// logout, against the real embedded database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { createAccount } from '../../src/lib/server/auth/accounts.ts';
import { login, LOCKOUT_MS, MAX_FAILED_LOGINS } from '../../src/lib/server/auth/login.ts';
import { ABSOLUTE_LIFETIME_MS, IDLE_TIMEOUT_MS, endSession, validateSession } from '../../src/lib/server/auth/sessions.ts';
import { passwordProblem } from '../../src/lib/server/auth/password.ts';

const PASSWORD = 'Grid-Wang-2026';
const minutes = (n: number) => n * 60_000;

describe('sessions and lockout', () => {
	let db: TestDb;
	let grid: string;
	beforeAll(async () => {
		db = await freshDb('embedded');
		await seedDemo(db, { scale: 'small', seed: 1 });
		grid = (await db.kysely.selectFrom('area').select('code').where('level', '=', 'grid').orderBy('code').executeTakeFirstOrThrow()).code;
		for (const username of ['leader', 'locky', 'idler']) {
			await createAccount(
				db.kysely,
				{ username, displayName: '测试', role: 'grid_leader', areaCode: grid, password: PASSWORD, mustChangePassword: false },
				{ accountId: null, username: 'test', role: 'test' }
			);
		}
	});
	afterAll(() => db?.drop());

	const auditActions = async (username: string) =>
		(await db.kysely.selectFrom('audit_log').select(['action', 'result']).where('username', '=', username).orderBy('seq').execute()).map(
			(r) => `${r.action}:${r.result}`
		);

	it('signs in with the right password, a session that validates, and an audit row', async () => {
		const result = await login(db.kysely, 'leader', PASSWORD, '127.0.0.1');
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
		const user = await validateSession(db.kysely, result.token);
		expect(user).toMatchObject({ username: 'leader', role: 'grid_leader', areaCode: grid });
		// only the hash is stored
		const stored = await db.kysely.selectFrom('session').select('token_hash').execute();
		expect(stored.map((s) => s.token_hash)).not.toContain(result.token);
		expect(await auditActions('leader')).toEqual(['login:ok']);
	});

	it(`locks the account for 15 minutes after ${MAX_FAILED_LOGINS} failures, then lets it in`, async () => {
		const t0 = new Date('2026-11-21T08:00:00Z');
		for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
			expect(await login(db.kysely, 'locky', 'wrong', null, t0)).toEqual({ ok: false, reason: 'invalid' });
		}
		// the fifth failure locks, and answers like any other failure (no "locked": that would tell
		// an account exists)
		const locked = await login(db.kysely, 'locky', 'wrong', null, t0);
		expect(locked).toEqual({ ok: false, reason: 'invalid' });
		const row = await db.kysely.selectFrom('account').select('locked_until').where('username', '=', 'locky').executeTakeFirstOrThrow();
		expect(new Date(row.locked_until!).getTime()).toBe(t0.getTime() + LOCKOUT_MS);
		// the right password does not help while locked
		expect(await login(db.kysely, 'locky', PASSWORD, null, new Date(t0.getTime() + LOCKOUT_MS - 1000))).toEqual({ ok: false, reason: 'invalid' });
		expect((await login(db.kysely, 'locky', PASSWORD, null, new Date(t0.getTime() + LOCKOUT_MS + 1000))).ok).toBe(true);
		const actions = await auditActions('locky');
		expect(actions.filter((a) => a === 'failed_login:denied')).toHaveLength(MAX_FAILED_LOGINS + 1);
		expect(actions).toContain('account_locked:ok');
		expect(actions.at(-1)).toBe('login:ok');
	});

	it('ends a session idle for 30 minutes, and any session after 12 hours', async () => {
		const t0 = new Date('2026-11-21T09:00:00Z');
		const at = (ms: number) => new Date(t0.getTime() + ms);
		const first = await login(db.kysely, 'idler', PASSWORD, null, t0);
		if (!first.ok) throw new Error('login failed');
		expect(await validateSession(db.kysely, first.token, at(IDLE_TIMEOUT_MS - minutes(1)))).not.toBeNull();
		// activity moved last_seen forward: another 29 minutes is still fine
		expect(await validateSession(db.kysely, first.token, at(2 * IDLE_TIMEOUT_MS - minutes(3)))).not.toBeNull();
		expect(await validateSession(db.kysely, first.token, at(3 * IDLE_TIMEOUT_MS))).toBeNull();
		// and the row is gone: coming back later does not revive it
		expect(await validateSession(db.kysely, first.token, at(3 * IDLE_TIMEOUT_MS - minutes(10)))).toBeNull();

		const second = await login(db.kysely, 'idler', PASSWORD, null, t0);
		if (!second.ok) throw new Error('login failed');
		let now = t0.getTime();
		while (now + minutes(20) < t0.getTime() + ABSOLUTE_LIFETIME_MS) {
			now += minutes(20);
			expect(await validateSession(db.kysely, second.token, new Date(now))).not.toBeNull();
		}
		expect(await validateSession(db.kysely, second.token, at(ABSOLUTE_LIFETIME_MS + minutes(1)))).toBeNull();
	});

	it('ends the session on the server at logout', async () => {
		const result = await login(db.kysely, 'leader', PASSWORD, null);
		if (!result.ok) throw new Error('login failed');
		expect(await validateSession(db.kysely, result.token)).not.toBeNull();
		await endSession(db.kysely, result.token);
		expect(await validateSession(db.kysely, result.token)).toBeNull();
	});

	it('asks for a password change when one is due', async () => {
		await db.kysely
			.updateTable('account')
			.set({ password_changed_at: new Date(Date.now() - 91 * 86_400_000) })
			.where('username', '=', 'leader')
			.execute();
		const result = await login(db.kysely, 'leader', PASSWORD, null);
		if (!result.ok) throw new Error('login failed');
		expect((await validateSession(db.kysely, result.token))?.passwordExpired).toBe(true);
	});

	it('holds passwords to 8 characters from 3 of 4 classes', () => {
		expect(passwordProblem('Ab1!')).toMatch(/8 characters/);
		expect(passwordProblem('abcdefgh1')).toMatch(/3 of/);
		expect(passwordProblem('abcdEFGH1')).toBeNull();
		expect(passwordProblem('abcd-efgh1')).toBeNull();
		expect(passwordProblem('Leader-2026x', 'leader')).toMatch(/user name/);
	});
});
