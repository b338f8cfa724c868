// CSV cells: RFC 4180 quoting, and every text a spreadsheet would run as a formula defused —
// after leading blanks too, and for arrays once joined; real numbers keep their sign.
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../src/lib/server/csv.ts';
import { csvField, toCsv } from '../../src/lib/server/coverage/export.ts';

describe('csvCell', () => {
	it('defuses text starting with = + - @', () => {
		expect(csvCell('=1+1')).toBe("'=1+1");
		expect(csvCell('+86 100')).toBe("'+86 100");
		expect(csvCell('-2+3')).toBe("'-2+3");
		expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
		expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
	});

	it('defuses them after leading spaces, newlines, tabs and carriage returns', () => {
		expect(csvCell(' =1+1')).toBe("' =1+1");
		expect(csvCell('   @cmd')).toBe("'   @cmd");
		expect(csvCell('\n=1+1')).toBe(`"'\n=1+1"`);
		expect(csvCell('\t=1+1')).toBe("'\t=1+1");
		expect(csvCell('\r-1')).toBe(`"'\r-1"`);
		expect(csvCell('\u3000=1')).toBe("'\u3000=1");
		// a leading tab or CR is defused whatever follows
		expect(csvCell('\tplain')).toBe("'\tplain");
		expect(csvCell('\rplain')).toBe(`"'\rplain"`);
	});

	it('joins arrays first, then defuses the joined text', () => {
		expect(csvCell(['=cmd()', 'b'])).toBe("'=cmd();b");
		expect(csvCell([' +1', 'b'])).toBe("' +1;b");
		expect(csvCell(['-3'])).toBe("'-3");
		expect(csvCell([-3, 4])).toBe("'-3;4");
		expect(csvCell(['a', 'b'])).toBe('a;b');
		expect(csvCell(['household_uncared', 'no_branch'])).toBe('household_uncared;no_branch');
		expect(csvCell(['a', null, 'c'])).toBe('a;;c');
		expect(csvCell([])).toBe('');
	});

	it('leaves real numbers as numbers, negative ones included, but not numbers written as text', () => {
		expect(csvCell(-3)).toBe('-3');
		expect(csvCell(-0.25)).toBe('-0.25');
		expect(csvCell(42)).toBe('42');
		expect(csvCell(-5n)).toBe('-5');
		expect(csvCell('-3')).toBe("'-3");
		expect(csvCell(Number.NEGATIVE_INFINITY)).toBe("'-Infinity");
	});

	it('quotes what needs quoting and leaves the rest alone', () => {
		expect(csvCell(null)).toBe('');
		expect(csvCell(undefined)).toBe('');
		expect(csvCell(true)).toBe('1');
		expect(csvCell(false)).toBe('0');
		expect(csvCell('x,y')).toBe('"x,y"');
		expect(csvCell('say "hi"')).toBe('"say ""hi"""');
		expect(csvCell('two\nlines')).toBe('"two\nlines"');
		expect(csvCell('trailing ')).toBe('"trailing "');
		expect(csvCell('武汉市 江岸区')).toBe('武汉市 江岸区');
		expect(csvCell('a-b=c')).toBe('a-b=c');
	});

	it('is the cell writer of the coverage exports', () => {
		expect(csvField).toBe(csvCell);
		const csv = toCsv([{ key: 'v', zh: '值', value: (r: { v: unknown }) => r.v }], [{ v: ' =1' }, { v: ['@a', 'b'] }, { v: -7 }]);
		expect(csv.split('\r\n')).toEqual(['\uFEFF值 (v)', "' =1", "'@a;b", '-7', '']);
	});
});
