// The server pool's size (db/config.ts): DB_POOL_SIZE when set, else two connections per core of
// this machine, 4 to 10 (PostgreSQL does most with about two queries running per core; the rest
// wait in the app's own queue, where the urgent go first: db/deadline-pool.ts).
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultPoolSize, readDbConfig } from '../../src/lib/server/db/config.ts';

const URL = 'postgres://app@127.0.0.1:5432/jiceng';

describe('the server pool size', () => {
	it('is two connections per core, at least 4 and at most 10', () => {
		expect([1, 2, 3, 4, 5, 16, 64].map((cores) => defaultPoolSize(cores))).toEqual([4, 4, 6, 8, 10, 10, 10]);
	});

	it("follows this machine's cores when DB_POOL_SIZE is unset or empty, and DB_POOL_SIZE when set", () => {
		const size = (env: NodeJS.ProcessEnv) => {
			const c = readDbConfig(env);
			if (c.backend !== 'server') throw new Error('expected the server backend');
			return c.poolSize;
		};
		expect(size({ DATABASE_URL: URL })).toBe(defaultPoolSize(availableParallelism()));
		expect(size({ DATABASE_URL: URL, DB_POOL_SIZE: '' })).toBe(defaultPoolSize(availableParallelism()));
		expect(size({ DATABASE_URL: URL, DB_POOL_SIZE: '7' })).toBe(7);
	});

	it('refuses a size that is no whole number from 1 to 200, naming the variable', () => {
		for (const bad of ['0', '201', '2.5', 'ten']) {
			expect(() => readDbConfig({ DATABASE_URL: URL, DB_POOL_SIZE: bad }), bad).toThrow(ConfigError);
			expect(() => readDbConfig({ DATABASE_URL: URL, DB_POOL_SIZE: bad }), bad).toThrow(/DB_POOL_SIZE/);
		}
	});
});
