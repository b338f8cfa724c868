// Bad input on the command line: a one-line reason and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(script: string, args: string[], env: Record<string, string> = {}) {
	const result = spawnSync(process.execPath, [script, ...args], {
		encoding: 'utf8',
		env: { ...process.env, DATABASE_URL: '', PGLITE_DIR: 'memory://', ...env },
		timeout: 60_000
	});
	return { status: result.status, stderr: result.stderr.trim() };
}

describe('command-line input', () => {
	for (const [label, url] of [
		['not a URL', 'nonsense'],
		['another scheme', 'mysql://u@localhost/db'],
		['no database', 'postgres://u@localhost']
	]) {
		// (seed's own bad input is tested in tests/db/seed.test.ts)
		it(`db:migrate, db:check and start refuse a malformed DATABASE_URL (${label})`, () => {
			for (const script of ['scripts/db-migrate.ts', 'scripts/db-check.ts', 'scripts/start.ts']) {
				const { status, stderr } = run(script, [], { DATABASE_URL: url });
				expect(status, script).toBe(2);
				expect(stderr.split('\n'), script).toHaveLength(1);
				expect(stderr).toMatch(/DATABASE_URL/);
			}
		});
	}
});
