// Scope by construction: every +server.ts handler is made by endpoint() (src/lib/server/api), which
// runs the guard, parses every input with its schema before any work, and hands the handler a
// transaction that carries the caller's scope. A route written without it fails here.
import { globSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHttpError } from '@sveltejs/kit';
import * as v from 'valibot';
import { freshDb, type TestDb } from '../helpers/backends.ts';
import { BODY_MAX_BYTES, endpoint, isEndpoint } from '../../src/lib/server/api/endpoint.ts';
import { action, pageLoad, FORM_MAX_BYTES } from '../../src/lib/server/api/page.ts';
import { analyst, mapViewer } from '../../src/lib/server/api/guards.ts';
import { scopeOf, withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { areaCode, lonLat, pinList, rowId, wholeNumber } from '../../src/lib/api/inputs.ts';
import { match as matchAreaCode } from '../../src/params/areacode.ts';
import { match as matchId } from '../../src/params/id.ts';
import { search } from '../../src/lib/server/db/queries/search.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';

const DB_KEY = Symbol.for('jiceng.db');
const VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'fallback'];
const ROUTE_FILES = globSync('src/routes/**/+server.{ts,js}').sort();
const PAGE_FILES = globSync('src/routes/**/+{page,layout}.server.{ts,js}').sort();

/** the exported verbs of a module and whether each is `const VERB = endpoint(…)` */
function exportedHandlers(file: string): { name: string; viaEndpoint: boolean }[] {
	const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
	const out: { name: string; viaEndpoint: boolean }[] = [];
	for (const st of src.statements) {
		const exported = ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
		if (ts.isFunctionDeclaration(st) && exported && st.name && VERBS.includes(st.name.text)) out.push({ name: st.name.text, viaEndpoint: false });
		if (ts.isVariableStatement(st) && exported) {
			for (const d of st.declarationList.declarations) {
				if (!ts.isIdentifier(d.name) || !VERBS.includes(d.name.text)) continue;
				const init = d.initializer;
				const viaEndpoint = !!init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'endpoint';
				out.push({ name: d.name.text, viaEndpoint });
			}
		}
		// `export { handler as GET }` hides what the handler is: not allowed
		if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
			for (const e of st.exportClause.elements) if (VERBS.includes(e.name.text)) out.push({ name: e.name.text, viaEndpoint: false });
		}
	}
	return out;
}

/** a page module's load and form actions, each with whether the layer made it (pageLoad / action);
 *  an action may also come from a local helper that itself returns action(…) (the admin page's duty) */
function pageExports(file: string): { load: { name: string; viaLayer: boolean }[]; actions: { name: string; viaLayer: boolean }[] } {
	const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
	const callee = (e: ts.Expression | undefined) => (e && ts.isCallExpression(e) && ts.isIdentifier(e.expression) ? e.expression.text : null);
	// local functions whose body returns action(…) directly
	const makers = new Set<string>();
	for (const st of src.statements) {
		if (ts.isFunctionDeclaration(st) && st.name && st.body) {
			const ret = st.body.statements.find(ts.isReturnStatement);
			if (callee(ret?.expression) === 'action') makers.add(st.name.text);
		}
	}
	const load: { name: string; viaLayer: boolean }[] = [];
	const actions: { name: string; viaLayer: boolean }[] = [];
	for (const st of src.statements) {
		const exported = ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
		if (!exported) continue;
		if (ts.isFunctionDeclaration(st) && st.name?.text === 'load') load.push({ name: 'load', viaLayer: false });
		if (!ts.isVariableStatement(st)) continue;
		for (const d of st.declarationList.declarations) {
			if (!ts.isIdentifier(d.name)) continue;
			if (d.name.text === 'load') load.push({ name: 'load', viaLayer: callee(d.initializer) === 'pageLoad' });
			if (d.name.text === 'actions') {
				const init = d.initializer;
				if (!init || !ts.isObjectLiteralExpression(init)) {
					actions.push({ name: '(not an object literal)', viaLayer: false });
					continue;
				}
				for (const prop of init.properties) {
					const name = prop.name && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) ? prop.name.text : '?';
					const made = ts.isPropertyAssignment(prop) ? callee(prop.initializer) : null;
					actions.push({ name, viaLayer: made === 'action' || (made !== null && makers.has(made)) });
				}
			}
		}
	}
	return { load, actions };
}

describe('every route goes through the endpoint layer', () => {
	it('finds the routes', () => {
		expect(ROUTE_FILES.length).toBeGreaterThanOrEqual(15);
	});

	it.each(ROUTE_FILES)('%s: each exported handler is `const VERB = endpoint(…)`', async (file) => {
		const handlers = exportedHandlers(file);
		expect(handlers.length, 'a route module exports at least one handler').toBeGreaterThan(0);
		for (const h of handlers) expect(h.viaEndpoint, `${file} ${h.name}`).toBe(true);
		// and at run time: what the module exports was made by endpoint()
		const mod = await import(resolve(file));
		for (const h of handlers) expect(isEndpoint(mod[h.name]), `${file} ${h.name}`).toBe(true);
	});

	it('finds the page modules', () => {
		expect(PAGE_FILES.length).toBeGreaterThanOrEqual(6);
	});

	it.each(PAGE_FILES)('%s: load is `pageLoad(…)` and every form action `action(…)`', async (file) => {
		const { load, actions } = pageExports(file);
		expect(load.length + actions.length, 'a page module exports a load or actions').toBeGreaterThan(0);
		for (const l of load) expect(l.viaLayer, `${file} ${l.name}`).toBe(true);
		for (const a of actions) expect(a.viaLayer, `${file} action ${a.name}`).toBe(true);
		const mod = await import(resolve(file));
		if (load.length) expect(isEndpoint(mod.load), `${file} load`).toBe(true);
		for (const a of actions) expect(isEndpoint(mod.actions[a.name]), `${file} action ${a.name}`).toBe(true);
	});

	it('the page check catches a load or an action written without the layer', () => {
		const tmp = join(mkdtempSync(join(tmpdir(), 'page-')), '+page.server.ts');
		writeFileSync(
			tmp,
			`export async function load() { return {}; }\nexport const actions = { default: async () => 1, other: action({} as never, async () => 1), third: helper(async () => 1) };`
		);
		const { load, actions } = pageExports(tmp);
		expect(load).toEqual([{ name: 'load', viaLayer: false }]);
		expect(actions).toEqual([
			{ name: 'default', viaLayer: false },
			{ name: 'other', viaLayer: true },
			{ name: 'third', viaLayer: false }
		]);
	});

	it('the static check catches a handler written without the layer', () => {
		const tmp = join(mkdtempSync(join(tmpdir(), 'route-')), '+server.ts');
		const text = `export async function GET() { return new Response('x'); }\nexport const POST = other(() => 1);\nconst h = endpoint({} as never, async () => new Response());\nexport { h as PUT };`;
		writeFileSync(tmp, text);
		expect(exportedHandlers(tmp)).toEqual([
			{ name: 'GET', viaEndpoint: false },
			{ name: 'POST', viaEndpoint: false },
			{ name: 'PUT', viaEndpoint: false }
		]);
	});

	it('ids and area codes in paths have param matchers (malformed paths are no route)', () => {
		const dirs = ROUTE_FILES.map((f) => f.replace(/\/\+server\.(ts|js)$/, ''));
		for (const d of dirs) {
			for (const [, name, matcher] of d.matchAll(/\[([a-z]+)(?:=([a-z_]+))?\]/g)) {
				if (['code', 'id', 'centre'].includes(name)) expect(matcher, `${d}: [${name}] has a matcher`).toBeTruthy();
			}
		}
		for (const ok of ['420105', '420105001', '420105001001', '420105001001001']) expect(matchAreaCode(ok)).toBe(true);
		for (const bad of ['', '42010', '4201050', '420105001001001001', 'abcdef', '420105%', ' 420105']) expect(matchAreaCode(bad)).toBe(false);
		for (const ok of ['1', '123456789012345']) expect(matchId(ok)).toBe(true);
		for (const bad of ['', '-1', '1.5', '1e3', '0x1', '1234567890123456']) expect(matchId(bad)).toBe(false);
	});
});

describe('the endpoint layer', () => {
	let db: TestDb;
	let previous: unknown;
	const D = '420105';
	const G = '420105001001001';
	beforeAll(async () => {
		db = await freshDb('embedded');
		const holder = globalThis as Record<symbol, unknown>;
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
	});
	afterAll(async () => {
		(globalThis as Record<symbol, unknown>)[DB_KEY] = previous;
		await db?.drop();
	});

	const event = (viewer: ReturnType<typeof viewerFor> | null, url: string, init: { params?: Record<string, string>; body?: string } = {}) =>
		({
			url: new URL(url, 'http://localhost'),
			params: init.params ?? {},
			locals: { viewer, user: null },
			request: new Request(new URL(url, 'http://localhost'), init.body === undefined ? {} : { method: 'POST', body: init.body }),
			getClientAddress: () => '10.0.0.1'
		}) as never;
	const outcome = async (p: Promise<Response>) => {
		try {
			const r = await p;
			return { status: r.status, body: await r.json() };
		} catch (e) {
			if (isHttpError(e)) return { status: e.status, body: e.body };
			throw e;
		}
	};
	const leader = viewerFor('grid_leader', G, 1, 'leader');

	it('hands the handler a transaction carrying the caller’s scope, and the scope to the database', async () => {
		const route = endpoint({ guard: mapViewer }, async ({ trx }) => {
			const { rows } = await (await import('kysely')).sql<{ s: string }>`select current_setting('jiceng.scope') as s`.execute(trx);
			return Response.json({ scope: scopeOf(trx), db: rows[0].s });
		});
		expect(await outcome(route(event(leader, '/x')))).toEqual({ status: 200, body: { scope: G, db: G } });
	});

	it('runs the guard before anything else: 401 without a caller, 403 for a role the guard refuses', async () => {
		let ran = false;
		const route = endpoint({ guard: analyst }, async () => ((ran = true), Response.json({})));
		expect((await outcome(route(event(null, '/x')))).status).toBe(401);
		expect((await outcome(route(event(leader, '/x')))).status).toBe(403);
		expect((await outcome(route(event(viewerFor('auditor', D, 2, 'a'), '/x')))).status).toBe(403);
		expect(ran).toBe(false);
	});

	it('parses path, query and body with their schemas: a 400 naming the field, before any work', async () => {
		let ran = 0;
		const route = endpoint(
			{ guard: analyst, params: v.object({ id: rowId }), query: v.object({ k: wholeNumber(1, 20, 3), pin: pinList }), body: lonLat, tx: 'none' },
			async ({ input }) => ((ran += 1), Response.json(input))
		);
		const planner = viewerFor('planner', D, 3, 'p');
		const ok = await outcome(route(event(planner, '/x?k=5&pin=114.2,30.5', { params: { id: '7' }, body: '{"lon":114.2,"lat":30.5}' })));
		expect(ok).toEqual({ status: 200, body: { params: { id: 7 }, query: { k: 5, pin: [{ lon: 114.2, lat: 30.5 }] }, body: { lon: 114.2, lat: 30.5 } } });
		// a parameter given twice: its first value, as URLSearchParams.get reads it
		const twice = await outcome(route(event(planner, '/x?k=5&k=9', { params: { id: '7' }, body: '{"lon":1,"lat":2}' })));
		expect(twice.body.query.k).toBe(5);
		const defaults = await outcome(route(event(planner, '/x', { params: { id: '7' }, body: '{"lon":1,"lat":2}' })));
		expect(defaults.body.query).toEqual({ k: 3, pin: [] });
		const cases: [string, Record<string, string>, string, RegExp][] = [
			['/x', { id: 'x' }, '{"lon":1,"lat":2}', /^path\.id: /],
			['/x?k=21', { id: '1' }, '{"lon":1,"lat":2}', /^query\.k: must be an integer from 1 to 20/],
			['/x?k=1.5', { id: '1' }, '{"lon":1,"lat":2}', /^query\.k: /],
			['/x?pin=1,2;x', { id: '1' }, '{"lon":1,"lat":2}', /^query\.pin: pin "x" is not lon,lat/],
			['/x', { id: '1' }, '{"lon":"1","lat":2}', /^body\.lon: must be a number/],
			['/x', { id: '1' }, '{"lon":200,"lat":2}', /^body\.lon: must be from -180 to 180/],
			['/x', { id: '1' }, 'not json', /^body: must be JSON/]
		];
		for (const [url, params, body, message] of cases) {
			const r = await outcome(route(event(planner, url, { params, body })));
			expect(r.status, url + body).toBe(400);
			expect(r.body.message, url + body).toMatch(message);
		}
		const huge = await outcome(route(event(planner, '/x', { params: { id: '1' }, body: `{"lon":1,"lat":2,"pad":"${'x'.repeat(BODY_MAX_BYTES)}"}` })));
		expect(huge.status).toBe(413);
		const longQuery = await outcome(route(event(planner, `/x?q=${'x'.repeat(5000)}`, { params: { id: '1' }, body: '{"lon":1,"lat":2}' })));
		expect(longQuery.status).toBe(414);
		expect(ran).toBe(3);
	});

	it('area codes must be area codes', () => {
		expect(v.safeParse(areaCode, '420105001').success).toBe(true);
		expect(v.safeParse(areaCode, '420105%').success).toBe(false);
	});

	it('form actions: the guard first, then the form parsed by its schema (a failure naming the field), bounded', async () => {
		const form = v.object({ k: v.pipe(v.string('must be text'), v.regex(/^\d+$/, 'must be digits')) });
		let ran = 0;
		const act = action({ guard: mapViewer, form }, async ({ form }) => ((ran += 1), { k: form.k }));
		const post = (viewer: ReturnType<typeof viewerFor> | null, body: string, headers: Record<string, string> = {}) =>
			({
				url: new URL('http://localhost/x'),
				params: {},
				locals: { viewer, user: null },
				request: new Request('http://localhost/x', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }),
				getClientAddress: () => '10.0.0.1'
			}) as never;
		await expect(act(post(null, 'k=1'))).rejects.toMatchObject({ status: 401 });
		expect(await act(post(leader, 'k=12'))).toEqual({ k: '12' });
		expect(await act(post(leader, 'k=1x'))).toMatchObject({ status: 400, data: { field: 'k', message: 'k: must be digits' } });
		expect(await act(post(leader, 'other=1'))).toMatchObject({ status: 400, data: { field: 'k' } });
		await expect(act(post(leader, 'k=1', { 'content-length': String(FORM_MAX_BYTES + 1) }))).rejects.toMatchObject({ status: 413 });
		expect(ran).toBe(1);
	});

	it('page loads: the guard first, the query parsed, a transaction in the caller’s scope', async () => {
		const load = pageLoad({ guard: mapViewer, query: v.object({ n: wholeNumber(1, 5, 1) }) }, async ({ trx, input }) => ({
			scope: scopeOf(trx),
			n: input.query.n
		}));
		await expect(load(event(null, '/x'))).rejects.toMatchObject({ status: 401 });
		expect(await load(event(leader, '/x?n=3'))).toEqual({ scope: G, n: 3 });
		await expect(load(event(leader, '/x?n=9'))).rejects.toMatchObject({ status: 400, body: { message: 'query.n: must be an integer from 1 to 5' } });
	});

	it('a query that needs a scope cannot run on a bare connection', async () => {
		await expect(search(db.kysely as never, '路')).rejects.toThrow(/not a scoped transaction/);
		await expect(withScope(db, G, (trx) => search(trx, '路'))).resolves.toEqual([]);
		await expect(withScope(db, SYSTEM, async (trx) => scopeOf(trx))).resolves.toBe(SYSTEM);
		await expect(withScope(db, '42%', async () => 1)).rejects.toThrow(/invalid scope/);
	});
});

describe('bodies are bounded while they are read', () => {
	let db: TestDb;
	let previous: unknown;
	const holder = globalThis as Record<symbol, unknown>;
	beforeAll(async () => {
		db = await freshDb('embedded');
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
	});
	afterAll(async () => {
		holder[DB_KEY] = previous;
		await db?.drop();
	});

	/** a body that never says its length and would go on for `total` bytes: counts what was pulled */
	function endless(total: number) {
		const pulled = { bytes: 0 };
		const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (pulled.bytes >= total) return controller.close();
				pulled.bytes += chunk.byteLength;
				controller.enqueue(chunk);
			}
		});
		return { body, pulled };
	}

	it('a JSON body with no length (chunked) is refused at the ceiling, not read whole first', async () => {
		const { readCapped } = await import('../../src/lib/server/api/body.ts');
		const { body, pulled } = endless(50 * 1024 * 1024);
		const request = new Request('http://localhost/x', { method: 'POST', body, duplex: 'half' } as RequestInit);
		await expect(readCapped(request, BODY_MAX_BYTES, 'body')).rejects.toMatchObject({
			status: 413,
			body: { message: `body: at most ${BODY_MAX_BYTES} bytes` }
		});
		// the server raised its own limit for imports (scripts/start.ts): this reader must stop by itself
		expect(pulled.bytes).toBeLessThan(BODY_MAX_BYTES + 256 * 1024);
	});

	it('a form with no length is refused the same way', async () => {
		const form = v.object({ k: v.string() });
		const act = action({ guard: mapViewer, form }, async () => 1);
		const { body, pulled } = endless(50 * 1024 * 1024);
		const event = {
			url: new URL('http://localhost/x'),
			params: {},
			locals: { viewer: viewerFor('grid_leader', '420105001001001', null, 'leader.x'), user: null },
			request: new Request('http://localhost/x', {
				method: 'POST',
				body,
				duplex: 'half',
				headers: { 'content-type': 'application/x-www-form-urlencoded' }
			} as RequestInit),
			getClientAddress: () => '10.0.0.1'
		} as never;
		await expect(act(event)).rejects.toMatchObject({ status: 413 });
		expect(pulled.bytes).toBeLessThan(FORM_MAX_BYTES + 256 * 1024);
	});
});
