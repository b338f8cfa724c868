// Each coverage rule is written once (src/lib/coverage-rules.ts): SQL, tiles, panels and gaps
// build on it, and the browser never applies a rule itself. This fails when a copy comes back.
import { globSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CIRCLE_MINUTES, COVERING_KINDS, LIVING_CIRCLE_METRES, MEMBER_BUILDING_THRESHOLD } from '../../src/lib/coverage-rules.ts';

const RULES = 'src/lib/coverage-rules.ts';
const source = (pattern: string) =>
	globSync(pattern)
		.filter((f) => f !== RULES)
		.sort();
const SERVER_AND_SHARED = source('src/**/*.{ts,js,svelte}');
const BROWSER = source('src/{lib/map,lib/components,routes}/**/*.{ts,js,svelte}').filter(
	(f) => !f.includes('/server/') && !/\+(page|layout)\.server\.ts$|\+server\.ts$/.test(f)
);
// 003 and 005 are landed (frozen); every later migration takes the rules as arguments
const LATER_SQL = globSync('sql/*.sql').filter((f) => Number(f.match(/(\d+)_/)?.[1]) > 5);

/** the covering kinds written out as a list, in any order, quoted as SQL or TypeScript would */
const KIND_LIST = new RegExp(`(['"](${COVERING_KINDS.join('|')})['"]\\s*,\\s*){${COVERING_KINDS.length - 1}}['"](${COVERING_KINDS.join('|')})['"]`);
/** a member count compared with a number: the member-building rule */
/** the living circles' distances or minutes written out as a list */
const listOf = (xs: readonly number[]) => new RegExp(xs.map((x) => `\\b${x}\\b`).join('\\s*,\\s*'));
const CIRCLE_DISTANCES = listOf(LIVING_CIRCLE_METRES);
const CIRCLE_MINUTE_LIST = new RegExp(`\\[\\s*${CIRCLE_MINUTES.join('\\s*,\\s*')}\\s*\\]`);
const MEMBERS_COMPARED = /members?\)?\s*(>=|>|<|<=)\s*\d|\d\s*(<=|<|>|>=)\s*[\w.]*members\b/;

describe('coverage rules are defined once', () => {
	it('finds the files it scans', () => {
		expect(SERVER_AND_SHARED.length).toBeGreaterThan(100);
		expect(BROWSER.length).toBeGreaterThan(10);
		expect(LATER_SQL.length).toBeGreaterThan(5);
	});

	it('the detectors recognise a copy', () => {
		expect(KIND_LIST.test(`kind in ('building_group', 'office_branch', 'liaison_station', 'park_branch')`)).toBe(true);
		expect(KIND_LIST.test(`['park_branch', "building_group", 'liaison_station', 'office_branch']`)).toBe(true);
		expect(MEMBERS_COMPARED.test('Number(p.members) >= 3')).toBe(true);
		expect(CIRCLE_DISTANCES.test('circles: [300, 500, 1000]')).toBe(true);
		expect(CIRCLE_DISTANCES.test('[1300, 500, 10000]')).toBe(false);
		expect(CIRCLE_MINUTE_LIST.test('const CIRCLE_MINUTES = [5, 10, 15] as const;')).toBe(true);
		expect(MEMBERS_COMPARED.test('(coalesce(l.n, 0) + coalesce(w.n, 0) >= member_threshold)')).toBe(false);
	});

	it.each([...SERVER_AND_SHARED, ...LATER_SQL])('%s does not list the covering organisation kinds itself', (file) => {
		expect(KIND_LIST.test(readFileSync(file, 'utf8')), `${file}: use COVERING_KINDS from ${RULES}`).toBe(false);
	});

	it.each([...SERVER_AND_SHARED, ...LATER_SQL])('%s does not write the living circles out itself', (file) => {
		const text = readFileSync(file, 'utf8');
		expect(CIRCLE_DISTANCES.test(text), `${file}: use LIVING_CIRCLE_METRES from ${RULES}`).toBe(false);
		expect(CIRCLE_MINUTE_LIST.test(text), `${file}: use CIRCLE_MINUTES from ${RULES}`).toBe(false);
	});

	it.each(BROWSER)('%s (browser code) applies no member threshold', (file) => {
		const lines = readFileSync(file, 'utf8').split('\n');
		const hits = lines.map((l, i) => [i + 1, l] as const).filter(([, l]) => MEMBERS_COMPARED.test(l));
		expect(hits, `${file}: the server decides (member_building in the tile, figures in the answers)`).toEqual([]);
	});

	it(`later migrations do not spell the ${MEMBER_BUILDING_THRESHOLD}-member threshold`, () => {
		for (const f of LATER_SQL) expect(readFileSync(f, 'utf8'), f).not.toMatch(/>=\s*3\)\s*as member_building/);
	});
});
