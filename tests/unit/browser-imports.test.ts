// Browser code never imports server code: components, the map and pages reach the server only
// through the API (src/lib/api holds the shared schemas). SvelteKit refuses $lib/server in the
// client bundle at build time; this names the file and the line before a build is needed.
import { globSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const BROWSER = globSync('src/{lib,routes}/**/*.{ts,js,svelte}')
	.filter((f) => !f.startsWith('src/lib/server/') && !/\+(page|layout)\.server\.ts$|\+server\.ts$|hooks\.server\.ts$/.test(f))
	.sort();
const SERVER_IMPORT = /(from|import)\s*\(?\s*['"](\$lib\/server\b|[./]+(\.\.\/)*server\/|[./]*lib\/server\b)/;

describe('browser code imports no server code', () => {
	it('scans the browser side', () => {
		expect(BROWSER.length).toBeGreaterThan(20);
		expect(SERVER_IMPORT.test(`import { x } from '$lib/server/db';`)).toBe(true);
		expect(SERVER_IMPORT.test(`import { x } from '../server/tiles/sources.ts';`)).toBe(true);
		expect(SERVER_IMPORT.test(`import { x } from '$lib/api/inputs';`)).toBe(false);
	});

	it.each(BROWSER)('%s', (file) => {
		const hits = readFileSync(file, 'utf8')
			.split('\n')
			.map((l, i) => `${i + 1}: ${l.trim()}`)
			.filter((l) => SERVER_IMPORT.test(l));
		// a type too: the response shapes live in src/lib/api, shared by the server and the page
		expect(hits).toEqual([]);
	});
});
