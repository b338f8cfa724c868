// The 5-try lockout under concurrency (security issue 8, finding 2): an attempt is reserved in the
// database before the password is verified, so a burst of parallel wrong passwords runs exactly
// 5 verifications and locks the account, and the right password inside the burst gets no session.
// Beside it, the sign-in form throttles each client address (429 with Retry-After).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { accountVerificationCount, login, LOCKOUT_MS, MAX_FAILED_LOGINS } from '../../src/lib/server/auth/login.ts';
import { LoginThrottle, addressKey, loginThrottle, parseThrottle } from '../../src/lib/server/auth/throttle.ts';
import * as loginPage from '../../src/routes/login/+page.server.ts';
import { PASSWORD, account, branch, outcome, routeEvent, serveDb, type Branch } from './helpers.ts';
import { everyOf } from '../helpers/every-of.ts';

describe.each(backends)('the lockout under parallel attempts (%s)', (backend) => {
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

	const rows = async (username: string) =>
		db.kysely.selectFrom('audit_log').select(['action', 'object', 'result']).where('username', '=', username).orderBy('seq').execute();

	it('40 parallel wrong passwords: exactly 5 verifications, a lock, and no session for the right one among them', async () => {
		const target = await account(db.kysely, 'burst.one', 'grid_leader', b.grid);
		const before = accountVerificationCount();
		const attempts = Array.from({ length: 41 }, (_, i) => (i === 20 ? PASSWORD : `Wrong-Password-${i}`));
		const results = await Promise.all(attempts.map((p) => login(db.kysely, 'burst.one', p, '10.9.9.9')));

		expect(accountVerificationCount() - before).toBe(MAX_FAILED_LOGINS);
		expect(everyOf(results, (r) => !r.ok && r.reason === 'invalid')).toBe(true);
		const sessions = await db.kysely.selectFrom('session').select('token_hash').where('account_id', '=', target.accountId).execute();
		expect(sessions).toEqual([]);

		const row = await db.kysely.selectFrom('account').select(['failed_logins', 'locked_until']).where('id', '=', target.accountId).executeTakeFirstOrThrow();
		expect(row.failed_logins).toBe(MAX_FAILED_LOGINS);
		expect(new Date(row.locked_until!).getTime()).toBeGreaterThan(Date.now() + LOCKOUT_MS - 60_000);

		// the audit trail agrees: 5 verified attempts, one lock, the other 36 refused unverified
		const trail = await rows('burst.one');
		expect(
			trail
				.filter((r) => /^attempt \d$/.test(r.object ?? ''))
				.map((r) => r.object)
				.sort()
		).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'attempt 4', 'attempt 5']);
		expect(trail.filter((r) => r.action === 'account_locked')).toHaveLength(1);
		expect(trail.filter((r) => r.action === 'failed_login' && r.object === 'locked')).toHaveLength(36);
		expect(trail.some((r) => r.action === 'login')).toBe(false);

		// and the right password alone, while locked, is refused without verifying
		const again = accountVerificationCount();
		expect(await login(db.kysely, 'burst.one', PASSWORD, '10.9.9.9')).toEqual({ ok: false, reason: 'invalid' });
		expect(accountVerificationCount()).toBe(again);
		// once the lock has run out, a fresh count starts and the right password gets in
		const later = new Date(Date.now() + LOCKOUT_MS + 60_000);
		expect((await login(db.kysely, 'burst.one', PASSWORD, '10.9.9.9', later)).ok).toBe(true);
		const reset = await db.kysely.selectFrom('account').select(['failed_logins', 'locked_until']).where('id', '=', target.accountId).executeTakeFirstOrThrow();
		expect(reset).toEqual({ failed_logins: 0, locked_until: null });
	});

	it(`up to ${MAX_FAILED_LOGINS} parallel right passwords all get in, and the count is back at zero`, async () => {
		const target = await account(db.kysely, 'burst.two', 'grid_leader', b.grid);
		const results = await Promise.all(Array.from({ length: MAX_FAILED_LOGINS }, () => login(db.kysely, 'burst.two', PASSWORD, null)));
		expect(results.filter((r) => r.ok)).toHaveLength(MAX_FAILED_LOGINS);
		const row = await db.kysely.selectFrom('account').select(['failed_logins', 'locked_until']).where('id', '=', target.accountId).executeTakeFirstOrThrow();
		expect(row).toEqual({ failed_logins: 0, locked_until: null });
	});

	it('the sign-in form answers 429 with Retry-After once an address has used up its attempts', async () => {
		const restore = serveDb(db);
		try {
			const throttle = loginThrottle()!;
			const addr = `10.77.${backend === 'server' ? 1 : 2}.1`;
			const post = (username: string, clientAddr = addr) => {
				const r = routeEvent(null, { url: 'http://localhost/login', form: { username, password: 'Not-The-Password1' }, clientAddr });
				return { ...r, run: () => loginPage.actions.default(r.event) };
			};
			// different unknown user names: the per-account lockout never trips, the address throttle does
			for (let i = 0; i < throttle.options.limit; i++) {
				const { run } = post(`nobody${i}`);
				expect((await outcome(run)).value, `attempt ${i + 1}`).toMatchObject({ status: 401, data: { message: 'invalid' } });
			}
			const before = accountVerificationCount();
			const refused = post('nobody-more');
			const answer = await outcome(refused.run);
			expect(answer.value).toMatchObject({ status: 429, data: { message: 'throttled' } });
			const retryAfter = Number(refused.headers['retry-after']);
			expect(retryAfter).toBeGreaterThanOrEqual(1);
			expect(retryAfter).toBeLessThanOrEqual(Math.ceil(throttle.options.windowMs / throttle.options.limit / 1000));
			expect(accountVerificationCount()).toBe(before);
			// another address is not held back
			expect((await outcome(post('nobody-else', '10.77.3.1').run)).value).toMatchObject({ status: 401 });
		} finally {
			restore();
		}
	});
});

describe('LoginThrottle', () => {
	it('lets `limit` attempts through, then refuses with the time until the next one', () => {
		const t = new LoginThrottle({ limit: 20, windowMs: 300_000 });
		const now = 1_000_000;
		for (let i = 0; i < 20; i++) expect(t.take('10.0.0.1', now).ok).toBe(true);
		const refused = t.take('10.0.0.1', now);
		expect(refused).toEqual({ ok: false, retryAfterSeconds: 15 });
		expect(t.take('10.0.0.2', now).ok).toBe(true);
		// refilled evenly: one attempt every 15 s
		expect(t.take('10.0.0.1', now + 14_000).ok).toBe(false);
		expect(t.take('10.0.0.1', now + 15_500).ok).toBe(true);
		expect(t.take('10.0.0.1', now + 15_600).ok).toBe(false);
		for (let i = 0; i < 20; i++) expect(t.take('10.0.0.1', now + 15_600 + 300_000).ok).toBe(true);
	});

	it('a sign-in that succeeded gives its attempt back, once', () => {
		const t = new LoginThrottle({ limit: 2, windowMs: 60_000 });
		const first = t.take('10.0.0.1', 0);
		expect(first.ok).toBe(true);
		if (first.ok) {
			first.release();
			first.release();
		}
		expect(t.take('10.0.0.1', 0).ok).toBe(true);
		expect(t.take('10.0.0.1', 0).ok).toBe(true);
		expect(t.take('10.0.0.1', 0).ok).toBe(false);
	});

	it('holds at most maxAddresses buckets, dropping refilled and least recently used ones first', () => {
		const t = new LoginThrottle({ limit: 3, windowMs: 60_000, maxAddresses: 100 });
		for (let i = 0; i < 3; i++) t.take('10.0.0.1', 0);
		for (let i = 0; i < 10_000; i++) t.take(`10.1.${i >> 8}.${i & 255}`, 1);
		expect(t.size).toBeLessThanOrEqual(100);
		// a busy address seen recently is kept
		const hot = new LoginThrottle({ limit: 3, windowMs: 60_000, maxAddresses: 100 });
		for (let i = 0; i < 1000; i++) {
			hot.take(`10.2.${i >> 8}.${i & 255}`, 0);
			if (i % 50 === 0) hot.take('10.0.0.9', 0);
		}
		expect(hot.size).toBeLessThanOrEqual(100);
		expect(hot.take('10.0.0.9', 0).ok).toBe(false);
	});

	it('keys IPv6 by its /64 and IPv4-mapped addresses as IPv4', () => {
		expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
		expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
		expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
		expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
		expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
		expect(addressKey('')).toBe('unknown');
	});

	it('reads JICENG_LOGIN_THROTTLE', () => {
		expect(parseThrottle(undefined)).toEqual({});
		expect(parseThrottle('off')).toBeNull();
		expect(parseThrottle('50/600')).toEqual({ limit: 50, windowMs: 600_000 });
		expect(() => parseThrottle('lots')).toThrow(/JICENG_LOGIN_THROTTLE/);
	});
});
