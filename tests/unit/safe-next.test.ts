// Where /login sends a user after signing in: paths on this site only. Every form a browser could
// read as another site lands on `/` (the values are what url.searchParams.get('next') gives).
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../src/lib/server/auth/safe-next.ts';

const ORIGIN = 'http://127.0.0.1:4173';

describe('safeNext', () => {
	it.each([
		['/\t/evil.example/'],
		['/\n/evil.example/'],
		['/\r/evil.example/'],
		['/\u0000/evil.example/'],
		['/\u007f/evil.example/'],
		['/%09/evil.example/'],
		['/%0a/evil.example/'],
		['/%0D/evil.example/'],
		['/%00/evil.example/'],
		['/%2509/evil.example/'],
		['/\\evil.example'],
		['\\\\evil.example'],
		['/%5Cevil.example'],
		['/%5cevil.example'],
		['/%255Cevil.example'],
		['//evil.example'],
		['//evil.example/path'],
		['///evil.example'],
		['/%2F/evil.example'],
		['/%2f/evil.example'],
		['/%252F/evil.example'],
		['/.//evil.example'],
		['/..//evil.example'],
		['/a/..//evil.example'],
		['javascript:alert(1)'],
		['JavaScript:alert(1)'],
		['https://evil.example'],
		['http://127.0.0.1:4173.evil.example/'],
		['data:text/html,<script>alert(1)</script>'],
		['evil.example'],
		[' /evil'],
		['?x=1'],
		[''],
		[null],
		[undefined]
	])('refuses %j', (next) => {
		expect(safeNext(next, ORIGIN)).toBe('/');
		expect(safeNext(next)).toBe('/');
	});

	it.each([
		['/', '/'],
		['/?tab=coverage', '/?tab=coverage'],
		['/?tab=coverage&v=114.3,30.6,12.00,0,0#x', '/?tab=coverage&v=114.3,30.6,12.00,0,0#x'],
		['/admin', '/admin'],
		['/audit?page=2', '/audit?page=2'],
		['/a/./b/../c', '/a/c'],
		['/?q=%E6%B1%9F%E5%B2%B8', '/?q=%E6%B1%9F%E5%B2%B8'],
		['/?q=武汉', '/?q=%E6%AD%A6%E6%B1%89'],
		['/javascript:alert(1)', '/javascript:alert(1)']
	])('keeps the same-site path %j', (next, expected) => {
		expect(safeNext(next, ORIGIN)).toBe(expected);
	});
});
