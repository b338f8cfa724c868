// One i18n mechanism (issue 10 part 5): the zh-CN and en catalogues agree key for key and
// placeholder for placeholder, every key the client uses is in them and every key in them is
// used, and no other way of writing UI text (`zh ? '…' : '…'` ternaries, `{ 'zh-CN': …, en: … }`
// records, inline Chinese) is left in the client code.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messages as zhCN } from '../../src/lib/i18n/messages/zh-CN.ts';
import { messages as en } from '../../src/lib/i18n/messages/en.ts';
import { both, translate, type MessageKey } from '../../src/lib/i18n/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
const rel = (file: string) => relative(ROOT, file);

/** code that runs in the browser (or renders pages): everything under src but the server's own code and the catalogues */
const clientFiles = walk(SRC)
	.filter((f) => /\.(svelte|ts|js)$/.test(f))
	.filter((f) => {
		const r = rel(f);
		return (
			!r.startsWith('src/lib/server/') &&
			!r.startsWith('src/params/') &&
			!r.startsWith('src/lib/i18n/messages/') &&
			!/(^|\/)(\+server|\+page\.server|\+layout\.server|hooks\.server)\.(ts|js)$/.test(r) &&
			r !== 'src/app.d.ts'
		);
	});
const sources = new Map(clientFiles.map((f) => [rel(f), readFileSync(f, 'utf8')]));

/** the source without comments and <style> blocks (so prose in comments may name Chinese terms) */
function code(text: string): string {
	return text
		.replace(/<style[\s\S]*?<\/style>/g, '')
		.replace(/<!--[\s\S]*?-->/g, '')
		.replace(/\/\*[\s\S]*?\*\//g, '')
		.replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1');
}

const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
const zhKeys = Object.keys(zhCN) as MessageKey[];
const enKeys = Object.keys(en) as MessageKey[];

describe('the catalogues', () => {
	it('have the same keys in zh-CN and en', () => {
		expect(
			zhKeys.filter((k) => !(k in en)),
			'keys missing from en'
		).toEqual([]);
		expect(
			enKeys.filter((k) => !(k in zhCN)),
			'keys missing from zh-CN'
		).toEqual([]);
	});

	it('have the same {placeholders} for each key in both locales', () => {
		const differ = zhKeys
			.filter((k) => k in en && placeholders(zhCN[k]).join() !== placeholders(en[k]).join())
			.map((k) => `${k}: zh-CN {${placeholders(zhCN[k]).join('}, {')}} / en {${placeholders(en[k]).join('}, {')}}`);
		expect(differ).toEqual([]);
	});

	it('have no empty messages and only well-formed keys', () => {
		expect(
			[...zhKeys, ...enKeys].filter((k) => !/^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(k)),
			'keys are dotted lower_snake names'
		).toEqual([]);
		expect(
			zhKeys.filter((k) => !zhCN[k].trim() || !en[k]?.trim()),
			'empty messages'
		).toEqual([]);
	});
});

describe('the client code and the catalogue', () => {
	// t('key'), i18n.t('key'), zh('key'), en('key'), both('key'), translate(locale, 'key')
	const CALL = /(?:^|[^\w$.])(?:i18n\.)?(?:t|zh|en|both)\(\s*(['"`])(.*?)\1|\btranslate\(\s*[^,()]+,\s*(['"`])(.*?)\3/g;
	const calls = [...sources].flatMap(([file, text]) =>
		[...code(text).matchAll(CALL)].map((m) => ({ file, key: m[2] ?? m[4], dynamic: (m[1] ?? m[3]) === '`' && (m[2] ?? m[4]).includes('${') }))
	);

	it('finds the calls it looks for', () => {
		// guards the scan itself: if the pattern stopped matching, the next tests would pass vacuously
		expect(calls.length).toBeGreaterThan(100);
		expect(calls.some((c) => c.key === 'search.none')).toBe(true);
	});

	it('names every key literally (so this test and TypeScript can see it)', () => {
		expect(calls.filter((c) => c.dynamic).map((c) => `${c.file}: ${c.key}`)).toEqual([]);
	});

	it('has every key used in t(…), zh(…), en(…), both(…) in the catalogue', () => {
		expect(calls.filter((c) => !c.dynamic && !(c.key in zhCN)).map((c) => `${c.file}: ${c.key}`)).toEqual([]);
	});

	it('uses every key of the catalogue somewhere in the client code', () => {
		const all = [...sources.values()].map(code).join('\n');
		const unused = zhKeys.filter((k) => !all.includes(`'${k}'`) && !all.includes(`"${k}"`));
		expect(unused).toEqual([]);
	});
});

describe('one mechanism only', () => {
	const ternaryDirs = ['src/lib/components/', 'src/lib/map/', 'src/routes/'];
	const inScope = ([file]: [string, string]) => ternaryDirs.some((d) => file.startsWith(d)) && (!file.startsWith('src/routes/') || file.endsWith('.svelte'));

	it('scans the components, the map and the pages', () => {
		const scanned = [...sources].filter(inScope).map(([f]) => f);
		for (const f of ['src/lib/components/CoveragePanel.svelte', 'src/lib/map/deck-layers.ts', 'src/routes/+page.svelte', 'src/routes/admin/+page.svelte'])
			expect(scanned).toContain(f);
	});

	it('leaves no `zh ? …` or `locale === … ?` ternary in src/lib/components, src/lib/map, src/routes/**/*.svelte', () => {
		const found = [...sources].filter(inScope).flatMap(([file, text]) =>
			code(text)
				.split('\n')
				.flatMap((line, i) =>
					/\bzh\s*\?\s*['"`(]/.test(line) || /\blocale\s*===?\s*['"](?:zh-CN|en)['"]\s*\?\s*['"`]/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []
				)
		);
		expect(found).toEqual([]);
	});

	it('leaves no { "zh-CN": "…", en: "…" } records of text in the client code (outside src/lib/i18n)', () => {
		const found = [...sources]
			.filter(([f]) => !f.startsWith('src/lib/i18n/'))
			.flatMap(([file, text]) =>
				code(text)
					.split('\n')
					.flatMap((line, i) => (/['"]zh-CN['"]\s*:\s*['"`]|\bzh\s*:\s*['"`][^'"`]*[\u3400-\u9fff]/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []))
			);
		expect(found).toEqual([]);
	});

	it('leaves no Chinese text in the client code outside the catalogue', () => {
		const found = [...sources].flatMap(([file, text]) =>
			code(text)
				.split('\n')
				.flatMap((line, i) => (/[\u3400-\u9fff]/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []))
		);
		expect(found).toEqual([]);
	});
});

describe('translate', () => {
	it('fills placeholders and formats numbers for the locale', () => {
		expect(translate('zh-CN', 'coverage.candidates', { n: 12345 })).toBe('候选点 12,345');
		expect(translate('en', 'coverage.candidates', { n: 12345 })).toBe('Candidates 12,345');
		expect(translate('en', 'selection.child_stat', { households: '<3', members: 1200 })).toBe('Households <3 · Party members 1,200');
		expect(translate('zh-CN', 'app.title')).toBe('基层一张图');
		expect(both('common.save')).toBe('保存 Save');
	});

	it('does not expand placeholders inside the values put in', () => {
		expect(translate('en', 'households.mobile', { name: '{name}' })).toBe('{name} (mobile)');
	});

	it('is typed: a misspelt key or a missing placeholder does not compile', () => {
		// svelte-check / tsc fail if these lines stop being errors
		// @ts-expect-error a key that is not in the catalogue
		expect(() => translate('zh-CN', 'coverage.candidatez')).not.toThrow();
		// @ts-expect-error {n} has no value
		translate('zh-CN', 'coverage.candidates');
		// @ts-expect-error a message without placeholders takes no values
		translate('zh-CN', 'app.title', { n: 1 });
	});
});
