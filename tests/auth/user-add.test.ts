// `npm run user:add`: bad arguments exit 2 with one line naming the problem; good ones create
// the account and print its one-time password once. (The server's shell operator creates active
// accounts directly; in the app an account is requested and approved: separation-of-duties.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { verifyPassword } from '../../src/lib/server/auth/password.ts';
import { branch, type Branch } from './helpers.ts';

function userAdd(args: string[], pgliteDir = 'memory://') {
	const result = spawnSync(process.execPath, ['scripts/user-add.ts', ...args], {
		encoding: 'utf8',
		env: { ...process.env, DATABASE_URL: '', PGLITE_DIR: pgliteDir },
		timeout: 120_000
	});
	return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function expectRefusal(r: ReturnType<typeof userAdd>, message: RegExp) {
	expect(r.status, r.stderr).toBe(2);
	expect(r.stderr.split('\n'), r.stderr).toHaveLength(1);
	expect(r.stderr).toMatch(/^user:add: /);
	expect(r.stderr).toMatch(message);
	expect(r.stdout).toBe('');
}

describe('user:add refuses bad arguments before touching the database', () => {
	it('no arguments', () => expectRefusal(userAdd([]), /--role is required \(roles: district_admin, .*security_admin\)/));
	it('an unknown option', () => expectRefusal(userAdd(['--role', 'planner', '--colour', 'red']), /colour/));
	it('a missing value', () => expectRefusal(userAdd(['--role']), /--role/));
	it('a missing --name', () => expectRefusal(userAdd(['--role', 'planner', '--area', '420105', '--username', 'abc']), /--name is required/));
	it('a stray positional argument', () => expectRefusal(userAdd(['planner']), /positional|Unexpected argument/i));
});

describe('user:add on a seeded embedded database', () => {
	let dir: string;
	let b: Branch;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'jiceng-user-add-'));
		const db = await openDb({ backend: 'embedded', dataDir: dir });
		try {
			await migrate(db);
			await seedDemo(db, { scale: 'small', seed: 1 });
			b = await branch(db.kysely);
		} finally {
			await db.close();
		}
	});
	afterAll(() => {
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	const args = (patch: Record<string, string> = {}) => {
		const v = { role: 'grid_leader', area: b.grid, username: 'wang.li', name: '王丽', ...patch };
		return ['--role', v.role, '--area', v.area, '--username', v.username, '--name', v.name];
	};

	it('refuses an unknown role, an unknown area and an area of the wrong level, in one line each', () => {
		expectRefusal(userAdd(args({ role: 'wizard' }), dir), /role: unknown role "wizard"/);
		expectRefusal(userAdd(args({ area: '000000' }), dir), /area: no area with code "000000"/);
		expectRefusal(userAdd(args({ area: b.community }), dir), /area: a grid_leader is bound to a grid/);
		expectRefusal(userAdd([...args({ role: 'street_secretary', area: b.street }), '--grant-persons'], dir), /only planners/);
	});

	it('creates the account and prints its one-time password once; a second time the name is taken', async () => {
		const r = userAdd(args(), dir);
		expect(r.status, r.stderr).toBe(0);
		const m = /one-time password: (\S+)$/.exec(r.stdout);
		expect(m, r.stdout).not.toBeNull();
		const db = await openDb({ backend: 'embedded', dataDir: dir });
		try {
			const row = await db.kysely.selectFrom('account').selectAll().where('username', '=', 'wang.li').executeTakeFirstOrThrow();
			expect(row).toMatchObject({ role: 'grid_leader', area_code: b.grid, must_change_password: true, display_name: '王丽' });
			expect(await verifyPassword(row.password_hash!, m![1])).toBe(true);
			const entry = await db.kysely.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
			expect(entry).toMatchObject({ action: 'permission_change', role: 'cli', object: `create account wang.li as grid_leader on ${b.grid}` });
			expect(entry.object).not.toContain(m![1]);
		} finally {
			await db.close();
		}
		expectRefusal(userAdd(args(), dir), /username: "wang.li" is taken/);
	});
});
