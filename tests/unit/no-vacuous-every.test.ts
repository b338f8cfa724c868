// `expect(list.every(…)).toBe(true)` passes when the list is empty, so a test built on it can pass
// having checked nothing. Tests use everyOf (tests/helpers/every-of.ts), which fails on an empty
// list, or compare the offending items with [].
import { globSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// the helper itself and this file (whose examples show the pattern) are the two that may spell it
const TESTS = globSync('tests/**/*.ts')
	.filter((f) => !f.startsWith('tests/artifacts/') && f !== 'tests/helpers/every-of.ts' && f !== 'tests/unit/no-vacuous-every.test.ts')
	.sort();
const VACUOUS = /expect\((?:(?!everyOf\().)*\.every\(/;

describe('no test asserts .every() on a list that may be empty', () => {
	it('the detector tells the two apart', () => {
		expect(VACUOUS.test('expect(rows.every((r) => r.ok)).toBe(true);')).toBe(true);
		expect(VACUOUS.test('expect(everyOf(rows, (r) => r.ok)).toBe(true);')).toBe(false);
		expect(TESTS.length).toBeGreaterThan(30);
	});

	it.each(TESTS)('%s', (file) => {
		const hits = readFileSync(file, 'utf8')
			.split('\n')
			.map((l, i) => `${i + 1}: ${l.trim()}`)
			.filter((l) => VACUOUS.test(l));
		expect(hits).toEqual([]);
	});
});
