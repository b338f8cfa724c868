// The small-cell rule itself: the threshold, what is withheld from whom, how it reads.
import { describe, expect, it } from 'vitest';
import { SMALL_CELL_THRESHOLD, SUPPRESSED_TEXT, isSmallCell, showCount } from '../../src/lib/small-cells.ts';
import { cellValue, smallCount, suppressRows, suppressSmallCells } from '../../src/lib/server/privacy/small-cells.ts';

const counts = { persons: false };
const persons = { persons: true };

describe('small cells', () => {
	it('withholds 1 and 2, not 0 and not 3 or more', () => {
		expect(SMALL_CELL_THRESHOLD).toBe(3);
		expect(SUPPRESSED_TEXT).toBe('<3');
		expect([0, 1, 2, 3, 4, 100].map(isSmallCell)).toEqual([false, true, true, false, false, false]);
		expect([null, undefined].map(isSmallCell)).toEqual([false, false]);
		expect([0, 1, 2, 3].map((n) => smallCount(n, counts))).toEqual([0, null, null, 3]);
		expect([0, 1, 2, 3].map((n) => smallCount(n, persons))).toEqual([0, 1, 2, 3]);
	});

	it('nulls small counts and what is computed from them, and lists them; leaves person viewers their row', () => {
		const row = { code: 'x', households: 2, hh_5min: 1, hh_cared: 2, share_5min: 0.5, work_score: 1, grids: 1, members: 5 };
		const rule = {
			counts: ['households', 'hh_5min', 'hh_cared', 'members'],
			derived: { share_5min: ['households', 'hh_5min'], work_score: ['hh_cared'] }
		} as const;
		expect(suppressSmallCells(row, rule, counts)).toEqual({
			code: 'x',
			households: null,
			hh_5min: null,
			hh_cared: null,
			share_5min: null,
			work_score: null,
			grids: 1,
			members: 5,
			suppressed: ['households', 'hh_5min', 'hh_cared', 'share_5min', 'work_score']
		});
		expect(suppressSmallCells(row, rule, persons)).toBe(row);
		// nothing small: the row as it is, without a `suppressed` key
		const big = { ...row, households: 30, hh_5min: 0, hh_cared: 29 };
		expect(suppressSmallCells(big, rule, counts)).toBe(big);
		expect(suppressRows([row, big], rule, counts).map((r) => r.suppressed ?? [])).toEqual([
			['households', 'hh_5min', 'hh_cared', 'share_5min', 'work_score'],
			[]
		]);
	});

	it('reads a withheld count as <3 on screen and in CSV', () => {
		expect(showCount(null)).toBe('<3');
		expect(showCount(undefined)).toBe('<3');
		expect(showCount(0)).toBe('0');
		expect(showCount(12345, (n) => n.toLocaleString('en'))).toBe('12,345');
		const r = { households: null, members: 7, suppressed: ['households'] };
		expect([cellValue(r, 'households'), cellValue(r, 'members')]).toEqual(['<3', 7]);
	});
});
