// The session check off the hot path (issue 9): a validated session is believed for
// SESSION_CACHE_TTL_MS without a query, every write the app makes that ends a session or changes
// what its account may do evicts it at once, a row deleted behind the app's back ends the session
// within the TTL, and one database's sessions never answer for another's. The clock is the `now`
// the validation is given, so nothing here sleeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely, KyselyPlugin } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import type { Database } from '../../src/lib/server/db/schema.ts';
import { changePassword, changeRole, setAccountLock, setPersonAccess } from '../../src/lib/server/auth/accounts.ts';
import { createScreen, revokeScreen, validateKiosk } from '../../src/lib/server/auth/kiosk.ts';
import { login, MAX_FAILED_LOGINS } from '../../src/lib/server/auth/login.ts';
import { createSession, endAllSessions, endSession, tokenHash, validateSession } from '../../src/lib/server/auth/sessions.ts';
import { SESSION_CACHE_TTL_MS, TokenCache } from '../../src/lib/server/auth/session-cache.ts';
import { PASSWORD, SYSTEM, account, actorOf, branch, type Branch } from './helpers.ts';
import { everyOf } from '../helpers/every-of.ts';

/** The same database, counting the queries sent through it (and able to hold back their results). */
function counted(db: Kysely<Database>) {
	const queries: string[] = [];
	let hold: Promise<void> | null = null;
	const plugin: KyselyPlugin = {
		transformQuery: (args) => {
			queries.push(args.node.kind);
			return args.node;
		},
		transformResult: async (args) => {
			if (hold) await hold;
			return args.result;
		}
	};
	return {
		db: db.withPlugin(plugin),
		queries,
		/** results wait until the returned function is called */
		holdResults() {
			let release!: () => void;
			hold = new Promise((r) => (release = r));
			return () => {
				hold = null;
				release();
			};
		}
	};
}

describe.each(backends)('session cache (%s)', (backend) => {
	let db: TestDb;
	let b: Branch;
	let n = 0;
	/** a fresh grid leader with a session; `t` is the clock the validations are given */
	const signedIn = async (role: Parameters<typeof account>[2] = 'grid_leader', area?: string, canViewPersons = false) => {
		const user = await account(db.kysely, `cache.${++n}`, role, area ?? b.grid, canViewPersons);
		const t = Date.now();
		const token = await createSession(db.kysely, user.accountId, null, new Date(t));
		return { user, token, t, at: (ms: number) => new Date(t + ms) };
	};

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		b = await branch(db.kysely);
	});
	afterAll(async () => {
		await db?.drop();
	});

	it('a second validation within the TTL sends no query; after the TTL the row is read again', async () => {
		const { token, at } = await signedIn();
		const c = counted(db.kysely);
		expect(await validateSession(c.db, token, at(0))).toMatchObject({ role: 'grid_leader', areaCode: b.grid });
		expect(c.queries).toEqual(['SelectQueryNode']);
		c.queries.length = 0;
		for (const ms of [1, 1000, SESSION_CACHE_TTL_MS - 1]) expect(await validateSession(c.db, token, at(ms))).not.toBeNull();
		expect(c.queries).toEqual([]);
		expect(await validateSession(c.db, token, at(SESSION_CACHE_TTL_MS))).not.toBeNull();
		expect(c.queries).toEqual(['SelectQueryNode']);
	});

	it('concurrent validations of one token share one query', async () => {
		const { token, at } = await signedIn();
		const c = counted(db.kysely);
		const users = await Promise.all(Array.from({ length: 12 }, () => validateSession(c.db, token, at(0))));
		expect(everyOf(users, (u) => u?.role === 'grid_leader')).toBe(true);
		expect(c.queries).toEqual(['SelectQueryNode']);
	});

	it('still judges idle timeout, absolute expiry and password age at the request, and touches last_seen once a minute', async () => {
		const { user, token, at, t } = await signedIn();
		const c = counted(db.kysely);
		expect(await validateSession(c.db, token, at(61_000))).not.toBeNull();
		// read, and touched: the row is a minute old
		expect(c.queries).toEqual(['SelectQueryNode', 'UpdateQueryNode']);
		c.queries.length = 0;
		expect(await validateSession(c.db, token, at(62_000))).not.toBeNull();
		expect(c.queries).toEqual([]);
		const row = await db.kysely.selectFrom('session').select('last_seen_at').where('token_hash', '=', tokenHash(token)).executeTakeFirstOrThrow();
		expect(new Date(row.last_seen_at).getTime()).toBe(t + 61_000);
		// password age is worked out from the clock given, cached row or not
		expect((await validateSession(c.db, token, at(62_500), 0))?.passwordExpired).toBe(true);
		expect(c.queries).toEqual([]);
		expect(user.passwordExpired).toBe(false);

		// a session that runs out while its row is cached ends then, not at the next read
		const ending = await signedIn();
		await db.kysely
			.updateTable('session')
			.set({ expires_at: ending.at(2000) })
			.where('token_hash', '=', tokenHash(ending.token))
			.execute();
		const e = counted(db.kysely);
		expect(await validateSession(e.db, ending.token, ending.at(0))).not.toBeNull();
		expect(await validateSession(e.db, ending.token, ending.at(1999))).not.toBeNull();
		expect(await validateSession(e.db, ending.token, ending.at(2000))).toBeNull();
		expect(e.queries).toEqual(['SelectQueryNode', 'DeleteQueryNode']);
		expect(await validateSession(db.kysely, ending.token, ending.at(1000))).toBeNull();
	});

	it("a session row deleted behind the app's back ends the session within the TTL", async () => {
		const { token, at } = await signedIn();
		expect(await validateSession(db.kysely, token, at(0))).not.toBeNull();
		await db.kysely.deleteFrom('session').where('token_hash', '=', tokenHash(token)).execute();
		// believed until the TTL runs out…
		expect(await validateSession(db.kysely, token, at(SESSION_CACHE_TTL_MS - 1))).not.toBeNull();
		// …and not a moment longer
		expect(await validateSession(db.kysely, token, at(SESSION_CACHE_TTL_MS))).toBeNull();
	});

	describe("the app's own writes end the session at once", () => {
		it('logout', async () => {
			const { token, at } = await signedIn();
			expect(await validateSession(db.kysely, token, at(0))).not.toBeNull();
			await endSession(db.kysely, token);
			expect(await validateSession(db.kysely, token, at(1))).toBeNull();
		});

		it(`a lock by ${MAX_FAILED_LOGINS} failed sign-ins`, async () => {
			const { user, token, at } = await signedIn();
			expect(await validateSession(db.kysely, token, at(0))).not.toBeNull();
			for (let i = 0; i < MAX_FAILED_LOGINS; i++) await login(db.kysely, user.username, 'Wrong-Password1', null);
			expect(await validateSession(db.kysely, token, at(1))).toBeNull();
		});

		it('disabling the account', async () => {
			const { user, token, at } = await signedIn();
			expect(await validateSession(db.kysely, token, at(0))).not.toBeNull();
			await setAccountLock(db.kysely, user.accountId, true, SYSTEM);
			expect(await validateSession(db.kysely, token, at(1))).toBeNull();
		});

		it('a password change: the other sessions end and the current one moves to its new token', async () => {
			const { user, token, at } = await signedIn();
			const other = await createSession(db.kysely, user.accountId, null, at(0));
			for (const tk of [token, other]) expect(await validateSession(db.kysely, tk, at(0))).not.toBeNull();
			const rotated = await changePassword(db.kysely, user.accountId, PASSWORD, 'Brand-New-Pass7', null, token);
			expect(rotated).not.toBeNull();
			for (const tk of [token, other]) expect(await validateSession(db.kysely, tk, at(1))).toBeNull();
			expect(await validateSession(db.kysely, rotated!.token, at(1))).toMatchObject({ accountId: user.accountId });
		});

		it('a role change', async () => {
			const { user, token, at } = await signedIn();
			const security = await account(db.kysely, `cache.sec.${++n}`, 'security_admin', b.district);
			expect(await validateSession(db.kysely, token, at(0))).toMatchObject({ role: 'grid_leader' });
			await changeRole(db.kysely, user.accountId, 'community_secretary', b.community, actorOf(security));
			expect(await validateSession(db.kysely, token, at(1))).toBeNull();
		});

		it('revoking person access (and a grant shows at the next request)', async () => {
			const { user, token, at } = await signedIn('planner', b.street);
			const security = await account(db.kysely, `cache.sec.${++n}`, 'security_admin', b.district);
			expect(await validateSession(db.kysely, token, at(0))).toMatchObject({ canViewPersons: false });
			await setPersonAccess(db.kysely, user.accountId, true, actorOf(security));
			expect(await validateSession(db.kysely, token, at(1))).toMatchObject({ canViewPersons: true });
			await setPersonAccess(db.kysely, user.accountId, false, actorOf(security));
			expect(await validateSession(db.kysely, token, at(2))).toBeNull();
		});

		it('a write made in a transaction, or through another copy of the handle, evicts from the same cache', async () => {
			const { user, token, at } = await signedIn();
			const c = counted(db.kysely);
			expect(await validateSession(c.db, token, at(0))).not.toBeNull();
			await db.kysely.transaction().execute((trx) => endAllSessions(trx, user.accountId));
			expect(await validateSession(c.db, token, at(1))).toBeNull();
		});

		it('a read begun before the eviction neither stays in the cache nor answers anyone asking after it', async () => {
			const { token, at } = await signedIn();
			const slow = counted(db.kysely);
			const release = slow.holdResults();
			const early = validateSession(slow.db, token, at(0)); // reads the row, its answer held back
			while (slow.queries.length === 0) await new Promise((r) => setTimeout(r, 5));
			await endSession(db.kysely, token);
			const after = validateSession(db.kysely, token, at(1)); // must not join the early read
			release();
			await early; // began before the logout: may still have seen the session
			expect(await after).toBeNull();
			expect(await validateSession(db.kysely, token, at(2))).toBeNull();
		});
	});

	it('a kiosk token is read once per TTL and ends at once when revoked', async () => {
		const security = await account(db.kysely, `cache.sec.${++n}`, 'security_admin', b.district);
		const { id, token } = await createScreen(db.kysely, '缓存大屏', b.street, actorOf(security));
		const t = Date.now();
		const c = counted(db.kysely);
		expect(await validateKiosk(c.db, token, new Date(t))).toMatchObject({ id, name: '缓存大屏', areaCode: b.street });
		expect(c.queries).toEqual(['SelectQueryNode', 'UpdateQueryNode']); // read, and first seen
		c.queries.length = 0;
		expect(await validateKiosk(c.db, token, new Date(t + 1000))).toMatchObject({ id, name: '缓存大屏', areaCode: b.street });
		expect(c.queries).toEqual([]);
		await revokeScreen(db.kysely, id, actorOf(security));
		expect(await validateKiosk(c.db, token, new Date(t + 2000))).toBeNull();
	});

	it("the cache is per database: another database's sessions never answer", async () => {
		const other = await freshDb(backend);
		try {
			const { token, at } = await signedIn();
			expect(await validateSession(db.kysely, token, at(0))).not.toBeNull();
			expect(await validateSession(other.kysely, token, at(1))).toBeNull();
			// and an eviction there leaves this one's cache alone
			const c = counted(db.kysely);
			const { user } = await signedIn();
			const mine = await createSession(db.kysely, user.accountId, null, at(0));
			expect(await validateSession(c.db, mine, at(0))).not.toBeNull();
			await endAllSessions(other.kysely, user.accountId);
			c.queries.length = 0;
			expect(await validateSession(c.db, mine, at(1))).not.toBeNull();
			expect(c.queries).toEqual([]);
		} finally {
			await other.drop();
		}
	});
});

describe('TokenCache', () => {
	it('holds at most maxEntries, dropping the least recently used', () => {
		const cache = new TokenCache<string>(5_000, 3);
		const put = (hash: string, owner: number, at: number) => cache.load(hash, at, async () => ({ owner, value: hash }));
		return (async () => {
			for (const [i, h] of ['a', 'b', 'c'].entries()) await put(h, i, 0);
			expect(cache.get('a', 1)).toBe('a'); // a is now the most recent
			await put('d', 9, 1);
			expect(cache.size).toBe(3);
			expect(cache.get('b', 2)).toBeUndefined();
			for (const h of ['a', 'c', 'd']) expect(cache.get(h, 2)).toBe(h);
			// by owner: every token of the account goes (e pushed out a, now the least recent)
			await put('e', 9, 2);
			expect(cache.get('a', 2)).toBeUndefined();
			cache.forgetOwner(9);
			expect(cache.get('d', 3)).toBeUndefined();
			expect(cache.get('e', 3)).toBeUndefined();
			expect(cache.get('c', 3)).toBe('c');
			expect(cache.size).toBe(1);
			// and past the TTL nothing is believed
			expect(cache.get('c', 5_000)).toBeUndefined();
		})();
	});
});
