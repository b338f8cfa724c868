// The hook's own answers carry the security headers: the early refusals (400 NUL, 403
// cross-origin, 401 sign in first) and the redirect to /login (also in its data-request and
// enhanced-form forms), as well as what the routes answer. (The built server adds them to static
// files too: tests/e2e/security-headers.e2e.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/hooks.server.ts';

const DB_KEY = Symbol.for('jiceng.db');
const holder = globalThis as Record<symbol, unknown>;

function event(path: string, init: { method?: string; headers?: Record<string, string>; isDataRequest?: boolean; cookie?: string } = {}) {
	const url = new URL(`http://127.0.0.1:4173${path}`);
	const jar = new Map<string, string>(init.cookie ? [[init.cookie.split('=')[0], init.cookie.split('=')[1]]] : []);
	return {
		url,
		isDataRequest: init.isDataRequest ?? false,
		locals: {},
		request: new Request(url, { method: init.method ?? 'GET', headers: init.headers }),
		cookies: {
			get: (name: string) => jar.get(name),
			delete: (name: string) => jar.delete(name),
			serialize: (name: string, value: string, opts: { maxAge?: number }) => `${name}=${value}; Max-Age=${opts.maxAge}`
		}
	} as never;
}

const resolved = () => new Response('route', { status: 200, headers: { 'content-type': 'text/plain' } });

function expectHeaders(r: Response, what: string) {
	expect(r.headers.get('x-content-type-options'), what).toBe('nosniff');
	expect(r.headers.get('referrer-policy'), what).toBe('same-origin');
	expect(r.headers.get('x-frame-options'), what).toBe('DENY');
	expect(r.headers.get('permissions-policy'), what).toContain('camera=()');
	expect(r.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
	expect(r.headers.get('content-security-policy'), what).toContain("worker-src 'self' blob:");
}

describe('hooks: security headers on every answer', () => {
	let previous: unknown;
	beforeAll(() => {
		previous = holder[DB_KEY];
		// no cookie is sent, so the database is opened but never asked
		holder[DB_KEY] = Promise.resolve({ backend: 'embedded', kysely: {} });
	});
	afterAll(() => {
		holder[DB_KEY] = previous;
	});

	it('on the early refusals', async () => {
		const nul = await handle({ event: event('/api/health?q=%00'), resolve: resolved });
		expect(nul.status).toBe(400);
		expectHeaders(nul, '400');
		const cross = await handle({ event: event('/api/coverage/whatif', { method: 'POST', headers: { origin: 'https://evil.example' } }), resolve: resolved });
		expect(cross.status).toBe(403);
		expectHeaders(cross, '403');
		const anon = await handle({ event: event('/api/areas/street.geojson'), resolve: resolved });
		expect(anon.status).toBe(401);
		expectHeaders(anon, '401');
	});

	it('on the redirect to /login, in each of its forms', async () => {
		const page = await handle({ event: event('/?tab=coverage'), resolve: resolved });
		expect(page.status).toBe(303);
		expect(page.headers.get('location')).toBe('/login?next=%2F%3Ftab%3Dcoverage');
		expectHeaders(page, '303');
		const data = await handle({ event: event('/', { isDataRequest: true }), resolve: resolved });
		expect(data.status).toBe(200);
		expect(await data.json()).toEqual({ type: 'redirect', location: '/login?next=%2F' });
		expectHeaders(data, 'data request');
		const action = await handle({
			event: event('/admin?/create', {
				method: 'POST',
				headers: { origin: 'http://127.0.0.1:4173', accept: 'application/json', 'x-sveltekit-action': 'true' }
			}),
			resolve: resolved
		});
		expect(await action.json()).toEqual({ type: 'redirect', status: 303, location: '/login?next=%2Fadmin%3F%2Fcreate' });
		expectHeaders(action, 'enhanced action');
	});

	it('on what the routes answer, keeping a page policy already set', async () => {
		const r = await handle({ event: event('/login'), resolve: resolved });
		expect(await r.text()).toBe('route');
		expectHeaders(r, 'route');
		const withCsp = await handle({
			event: event('/login'),
			resolve: () =>
				new Response('', {
					headers: { 'content-security-policy': "default-src 'self'; script-src 'self' 'nonce-abc'; frame-ancestors 'none'; worker-src 'self' blob:" }
				})
		});
		expect(withCsp.headers.get('content-security-policy')).toContain("'nonce-abc'");
		// a proxied fetch's headers are immutable: the hook answers with a copy
		const immutable = await fetch('data:text/plain,hi');
		const copied = await handle({ event: event('/login'), resolve: () => immutable });
		expectHeaders(copied, 'immutable');
		expect(await copied.text()).toBe('hi');
	});
});
