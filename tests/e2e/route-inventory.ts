// The app's own inventory of what a caller can reach, for the access matrix (access-matrix.e2e.ts):
// every route from the file tree and every tile layer from the layer declarations, so that a new
// route or layer without an entry in the matrix' table fails the tests instead of going unchecked.
//
// Routes: src/routes/**/{+server.ts,+page.server.ts,+page.ts,+page.svelte} (and .js) → URL
// patterns in SvelteKit's spelling (`/api/areas/[code]/summary`, groups `(x)` dropped, matchers
// `[id=int]` → `[id]`), each with its methods, read from the module's syntax tree (no app code runs):
// the HTTP verbs a +server module exports (`fallback` → ANY), GET for a page, and one POST per form
// action of a +page.server module (`POST /admin?/create`; the default action is `POST /login`).
// The tiles' rest route /tiles/[...path] is expanded into one .mvt and one TileJSON key per layer
// of SOURCES (src/lib/server/tiles/sources.ts, which registers the coverage tile sources too).
import { readFileSync, globSync } from 'node:fs';
import { relative, sep, posix } from 'node:path';
import ts from 'typescript';
import { ROLES } from '../../src/lib/server/auth/roles.ts';
import { SOURCES } from '../../src/lib/server/tiles/sources.ts';

export { ROLES };

export type EntryKind = 'endpoint' | 'page' | 'action' | 'tile' | 'tilejson';

export interface InventoryEntry {
	/** `METHOD /pattern`, the matrix' table key */
	key: string;
	method: string;
	/** URL pattern, SvelteKit spelling */
	pattern: string;
	kind: EntryKind;
	/** path parameters (`code`, `id`, `centre`, `token`…) */
	params: string[];
	/** where it comes from: the route file, or the layer declaration */
	source: string;
}

export interface LayerEntry {
	name: string;
	/** the declaration says the layer carries persons (households placed or linked) */
	persons: boolean;
	minzoom: number;
	maxzoom: number;
	usesCoverage: boolean;
}

const HTTP_VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'fallback'];
/** the rest route that serves every tile layer; expanded per layer */
export const TILE_ROUTE = '/tiles/[...path]';

/** Route directory (relative to src/routes, posix) → URL pattern. */
export function urlPattern(dir: string): string {
	const segments = dir.split('/').filter((s) => s !== '' && s !== '.' && !/^\(.*\)$/.test(s));
	// [id=int] → [id], [[lang=x]] → [[lang]]
	const clean = segments.map((s) => s.replace(/\[(\[?)(\.\.\.)?([A-Za-z0-9_]+)=[A-Za-z0-9_]+(\]?)\]/g, '[$1$2$3$4]'));
	return '/' + clean.join('/');
}

function paramsOf(pattern: string): string[] {
	return [...pattern.matchAll(/\[\[?(?:\.\.\.)?([A-Za-z0-9_]+)\]?\]/g)].map((m) => m[1]);
}

function isExported(node: ts.Node): boolean {
	return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Names a module exports (declarations, `export { a as B }`), and its `actions` object's keys. */
export function moduleExports(file: string): { names: string[]; actions: string[] | null } {
	const text = readFileSync(file, 'utf8');
	const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
	const names: string[] = [];
	let actions: string[] | null = null;
	const objectKeys = (init: ts.Expression | undefined): string[] | null => {
		let e = init;
		while (e && (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
		if (!e || !ts.isObjectLiteralExpression(e)) return null;
		return e.properties.map((p) => {
			if (ts.isSpreadAssignment(p)) throw new Error(`${file}: actions spread from elsewhere: the inventory cannot list them`);
			const n = p.name!;
			return ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : n.getText(src);
		});
	};
	for (const st of src.statements) {
		if (ts.isFunctionDeclaration(st) && isExported(st) && st.name) names.push(st.name.text);
		else if (ts.isVariableStatement(st) && isExported(st)) {
			for (const d of st.declarationList.declarations) {
				if (!ts.isIdentifier(d.name)) continue;
				names.push(d.name.text);
				if (d.name.text === 'actions') {
					actions = objectKeys(d.initializer);
					if (!actions) throw new Error(`${file}: \`actions\` is not an object literal: the inventory cannot list them`);
				}
			}
		} else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
			for (const el of st.exportClause.elements) {
				names.push(el.name.text);
				if (el.name.text === 'actions') throw new Error(`${file}: \`actions\` re-exported: the inventory cannot list them`);
			}
		}
	}
	return { names, actions };
}

/** Every route of the app, from the file tree. */
export function routeInventory(root = 'src/routes'): InventoryEntry[] {
	const files = globSync(`${root}/**/+*`)
		.map((f) => relative(root, f).split(sep).join(posix.sep))
		.filter((f) => /(^|\/)\+(server\.(ts|js)|page\.server\.(ts|js)|page\.(ts|js)|page\.svelte)$/.test(f))
		.sort();
	const out = new Map<string, InventoryEntry>();
	const add = (method: string, pattern: string, kind: EntryKind, source: string) => {
		const key = `${method} ${pattern}`;
		if (!out.has(key)) out.set(key, { key, method: method.split(' ')[0], pattern, kind, params: paramsOf(pattern), source });
	};
	for (const f of files) {
		const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '';
		const name = f.slice(f.lastIndexOf('/') + 1);
		const pattern = urlPattern(dir);
		const file = `${root}/${f}`;
		if (/^\+server\./.test(name)) {
			const { names } = moduleExports(file);
			const verbs = names.filter((n) => HTTP_VERBS.includes(n));
			if (!verbs.length) throw new Error(`${file} exports no request handler`);
			for (const v of verbs) add(v === 'fallback' ? 'ANY' : v, pattern, 'endpoint', file);
		} else if (/^\+page\.server\./.test(name)) {
			add('GET', pattern, 'page', file);
			const { actions } = moduleExports(file);
			for (const a of actions ?? []) add('POST', a === 'default' ? pattern : `${pattern}?/${a}`, 'action', file);
		} else {
			add('GET', pattern, 'page', file);
		}
	}
	return [...out.values()];
}

/** Every tile layer, from the layer declarations. */
export function tileLayers(): LayerEntry[] {
	return Object.values(SOURCES).map((s) => ({
		name: s.name,
		persons: s.persons,
		minzoom: s.minzoom,
		maxzoom: s.maxzoom,
		usesCoverage: s.usesCoverage ?? false
	}));
}

export const tileKey = (layer: string) => `GET /tiles/${layer}/[z]/[x]/[y].mvt`;
export const tileJsonKey = (layer: string) => `GET /tiles/${layer}.json`;

/**
 * Routes and tile layers together: the tiles' rest route is replaced by a key per layer and
 * format. Throws if the tile route is gone (the layers would then be reachable some other way).
 */
export function inventory(root = 'src/routes'): InventoryEntry[] {
	const routes = routeInventory(root);
	const tileRoute = routes.find((r) => r.pattern === TILE_ROUTE && r.method === 'GET');
	if (!tileRoute) throw new Error(`no GET ${TILE_ROUTE} among the routes: where are the tiles served now?`);
	const layers = tileLayers();
	return [
		...routes.filter((r) => r !== tileRoute),
		...layers.flatMap((l) => [
			{
				key: tileKey(l.name),
				method: 'GET',
				pattern: `/tiles/${l.name}/[z]/[x]/[y].mvt`,
				kind: 'tile' as const,
				params: ['z', 'x', 'y'],
				source: `SOURCES.${l.name}`
			},
			{ key: tileJsonKey(l.name), method: 'GET', pattern: `/tiles/${l.name}.json`, kind: 'tilejson' as const, params: [], source: `SOURCES.${l.name}` }
		]),
		...routes.filter((r) => r.pattern === TILE_ROUTE && r !== tileRoute)
	];
}
