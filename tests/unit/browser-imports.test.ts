// Browser code never imports server code: components, the map and pages reach the server only
// through the API (src/lib/api holds the shared schemas). SvelteKit refuses $lib/server in the
// client bundle at build time; this names the file and the line before a build is needed.
import { globSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const BROWSER = globSync('src/{lib,routes}/**/*.{ts,js,svelte}')
	.filter((f) => !f.startsWith('src/lib/server/') && !/\+(page|layout)\.server\.ts$|\+server\.ts$|hooks\.server\.ts$/.test(f))
	.sort();
const SERVER_IMPORT = /(from|import)\s*\(?\s*['"](\$lib\/server\b|[./]+(\.\.\/)*server\/|[./]*lib\/server\b)/;
const TYPE_ONLY = /^\s*import\s+type\s/;
/**
 * Files that still take a response's type (and only a type: nothing reaches the bundle) from the
 * server module that makes it. These types move to src/lib/api with the response schemas; the
 * list may only shrink: a file not on it fails for any server import, type or not.
 */
const TYPE_IMPORTS_TO_MOVE = new Set([
	'src/lib/components/FiguresPanel.svelte',
	'src/lib/components/SelectionPanel.svelte'
]);

describe('browser code imports no server code', () => {
	it('scans the browser side', () => {
		expect(BROWSER.length).toBeGreaterThan(20);
		expect(SERVER_IMPORT.test(`import { x } from '$lib/server/db';`)).toBe(true);
		expect(SERVER_IMPORT.test(`import { x } from '../server/tiles/sources.ts';`)).toBe(true);
		expect(SERVER_IMPORT.test(`import { x } from '$lib/api/inputs';`)).toBe(false);
	});

	it.each(BROWSER)('%s', (file) => {
		const lines = readFileSync(file, 'utf8').split('\n');
		const hits = lines.map((l, i) => [i + 1, l] as const).filter(([, l]) => SERVER_IMPORT.test(l));
		const allowed = (l: string) => TYPE_IMPORTS_TO_MOVE.has(file) && TYPE_ONLY.test(l);
		expect(hits.filter(([, l]) => !allowed(l)).map(([n, l]) => `${n}: ${l.trim()}`)).toEqual([]);
	});

	it('the list of type imports still to move holds only files that still need it', () => {
		for (const file of TYPE_IMPORTS_TO_MOVE) expect(readFileSync(file, 'utf8'), `${file}: take it off the list`).toMatch(SERVER_IMPORT);
	});
});
