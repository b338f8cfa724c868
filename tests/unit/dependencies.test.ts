// package.json stays true to what the app imports: every package src/ imports at run time is a
// `dependency` (the node build loads those from node_modules), and every `dependency` is imported
// by src/ or is a peer dependency of one that is (packages only tests, scripts or benches use are devDependencies).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
	dependencies: Record<string, string>;
	devDependencies: Record<string, string>;
};
// the framework is compiled into the build by Vite and the adapter, so SvelteKit keeps it in devDependencies
const bundledFramework = new Set(['svelte', '@sveltejs/kit']);

function packageJson(name: string): { peerDependencies?: Record<string, string> } {
	return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
}

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const path = join(dir, e.name);
		if (e.isDirectory()) return sourceFiles(path);
		return /\.(ts|js|svelte)$/.test(e.name) ? [path] : [];
	});
}

/** Package names a file imports at run time (`import type` and `export type` left out). */
export function importedPackages(text: string): string[] {
	const specifiers: string[] = [];
	const patterns = [
		/^\s*import\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]/gm,
		/^\s*import\s*['"]([^'"]+)['"]/gm,
		/^\s*export\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]/gm,
		/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g
	];
	for (const re of patterns) for (const m of text.matchAll(re)) specifiers.push(m[1]);
	return specifiers
		.filter((s) => !s.startsWith('.') && !s.startsWith('$') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]))
		.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

describe('package.json dependencies', () => {
	const files = sourceFiles(join(root, 'src'));
	const used = new Map<string, string>();
	for (const f of files) for (const p of importedPackages(readFileSync(f, 'utf8'))) if (!used.has(p)) used.set(p, f.slice(root.length + 1));

	it('finds the imports it checks', () => {
		expect(files.length).toBeGreaterThan(50);
		expect(used.has('kysely')).toBe(true);
		expect(importedPackages("import type { X } from 'a';\nimport { y } from '@b/c/d';\nconst z = await import('e/f');")).toEqual(['@b/c', 'e']);
	});

	it('every package src/ imports is a dependency', () => {
		const missing = [...used].filter(([p]) => !(p in pkg.dependencies) && !bundledFramework.has(p)).map(([p, f]) => `${p} (${f})`);
		expect(missing).toEqual([]);
	});

	it('every dependency is imported by src/ (or is a peer dependency of one that is)', () => {
		const peers = new Set([...used.keys()].filter((p) => p in pkg.dependencies).flatMap((p) => Object.keys(packageJson(p).peerDependencies ?? {})));
		expect(Object.keys(pkg.dependencies).filter((p) => !used.has(p) && !peers.has(p))).toEqual([]);
	});

	it('package-lock.json records the same dependencies (else npm ci refuses it on a first start)', () => {
		const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
			packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
		};
		expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
		expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
	});

	it('no package is both a dependency and a devDependency', () => {
		expect(Object.keys(pkg.dependencies).filter((p) => p in pkg.devDependencies)).toEqual([]);
	});
});
