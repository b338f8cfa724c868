// Against the built server as `npm start` runs it (scripts/start.ts): every response carries the
// security headers — pages, JSON, the hooks' early refusals and redirects, 404s, static files and
// built assets; /api/health tells strangers only whether the service is up; and the sign-in
// form's `next` never leads off the site.
import { readdirSync } from 'node:fs';
import { expect, test, type APIRequestContext, type APIResponse } from '@playwright/test';
import { anonymousApi, demoUsername, signInApi } from './access-helpers.ts';
import { DEMO_PASSWORD } from './helpers.ts';

function expectSecurityHeaders(response: APIResponse, what: string): void {
	const h = response.headers();
	expect(h['x-content-type-options'], what).toBe('nosniff');
	expect(h['referrer-policy'], what).toBe('same-origin');
	expect(h['x-frame-options'], what).toBe('DENY');
	expect(h['permissions-policy'], what).toContain('geolocation=()');
	const csp = h['content-security-policy'] ?? '';
	expect(csp, what).toContain("default-src 'self'");
	expect(csp, what).toContain("frame-ancestors 'none'");
	expect(csp, what).toContain("object-src 'none'");
	expect(csp, what).toMatch(/worker-src 'self' blob:/);
	expect(csp, what).toMatch(/img-src 'self' data: blob:/);
	expect(csp, what).not.toContain('unsafe-eval');
}

test('every response carries the security headers, early refusals, static files and built assets included', async ({ playwright, baseURL }) => {
	const base = baseURL!;
	const anon = await anonymousApi(playwright, base);
	const admin = await signInApi(playwright, base, 'district_admin');
	const seen: string[] = [];
	const check = async (what: string, response: Promise<APIResponse>, status: number, more?: (r: APIResponse) => void | Promise<void>) => {
		const r = await response;
		expect(r.status(), what).toBe(status);
		expectSecurityHeaders(r, what);
		await more?.(r);
		seen.push(what);
	};

	// the hooks' early answers
	await check('401 sign in first', anon.get('/api/areas/street.geojson'), 401);
	await check('403 cross-origin', anon.post('/api/health', { headers: { origin: 'https://evil.example' }, data: {} }), 403);
	await check('403 cross-origin, signed in', admin.post('/logout', { headers: { origin: 'https://evil.example' }, maxRedirects: 0 }), 403);
	await check('400 NUL', anon.get('/api/health?q=%00'), 400);
	await check('303 to /login', anon.get('/?tab=coverage', { maxRedirects: 0 }), 303, (r) => {
		expect(r.headers()['location']).toBe('/login?next=%2F%3Ftab%3Dcoverage');
	});
	await check('data request redirected to /login', anon.get('/__data.json', { maxRedirects: 0 }), 200, async (r) => {
		expect(await r.json()).toMatchObject({ type: 'redirect', location: '/login?next=%2F' });
	});
	// SvelteKit's own answers, before and after the hooks
	await check('308 trailing slash', anon.get('/login/', { maxRedirects: 0 }), 308);
	await check('404 page, signed in', admin.get('/no-such-page'), 404);
	await check('404 under a public prefix', anon.get('/glyphs/no-such-font/0-255.pbf'), 404);
	await check('login page', anon.get('/login'), 200, (r) => {
		// pages keep kit.csp's policy, with the nonce of their inline script
		expect(r.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+'/);
	});
	await check('map page', admin.get('/'), 200);
	await check('JSON endpoint', admin.get('/api/areas/street.geojson'), 200);
	await check('health', anon.get('/api/health'), 200);
	// static/ and the build, served by adapter-node's static handler before SvelteKit
	await check('favicon', anon.get('/favicon.svg'), 200);
	const font = 'Noto Sans Regular';
	const glyph = readdirSync(`static/glyphs/${font}`).find((f) => f.endsWith('.pbf'))!;
	await check('glyph PBF', anon.get(`/glyphs/${encodeURIComponent(font)}/${glyph}`), 200);
	const html = await (await anon.get('/login')).text();
	const asset = /\/_app\/immutable\/[^"'\s]+\.js/.exec(html)?.[0];
	expect(asset, 'a built script on the login page').toBeTruthy();
	await check('built asset', anon.get(asset!), 200, (r) => {
		expect(r.headers()['cache-control']).toContain('immutable');
	});
	// the tile worker runs under the policy of its own response: that policy must let it work
	const worker = readdirSync('build/client/_app/immutable/assets').find((f) => /^mvt-worker\..*\.js$/.test(f));
	if (worker) {
		await check('tile worker', anon.get(`/_app/immutable/assets/${worker}`), 200, (r) => {
			expect(r.headers()['content-security-policy']).toContain("connect-src 'self'");
		});
	}
	expect(seen.length).toBeGreaterThanOrEqual(16);
	await Promise.all([anon.dispose(), admin.dispose()]);
});

test('/api/health tells anonymous callers and non-administrators only that it is up', async ({ playwright, baseURL }) => {
	const base = baseURL!;
	const anon = await anonymousApi(playwright, base);
	const r = await anon.get('/api/health');
	expect(r.status()).toBe(200);
	expect(await r.json()).toEqual({ status: 'ok' });
	expect(r.headers()['cache-control']).toBe('no-store');
	const grid = await signInApi(playwright, base, 'grid_leader');
	expect(await (await grid.get('/api/health')).json()).toEqual({ status: 'ok' });
	for (const role of ['district_admin', 'system_admin', 'security_admin'] as const) {
		const ctx = await signInApi(playwright, base, role);
		const details = await (await ctx.get('/api/health')).json();
		expect(details, role).toMatchObject({ status: 'ok', backend: 'embedded', dataset: { scale: 'small' } });
		expect(details.migrations.length, role).toBeGreaterThan(0);
		await ctx.dispose();
	}
	await Promise.all([anon.dispose(), grid.dispose()]);
});

/** Signs in through the form at /login?<query>; the answer, not followed. */
async function signInWith(ctx: APIRequestContext, base: string, query: string): Promise<APIResponse> {
	return ctx.post(`/login?${query}`, {
		form: { username: demoUsername('planner'), password: DEMO_PASSWORD },
		headers: { origin: base, accept: 'text/html' },
		maxRedirects: 0
	});
}

// as they stand in the query string: raw, and encoded once more
const OFF_SITE = [
	'/%09/evil.example/',
	'/%0a/evil.example/',
	'/%0D/evil.example/',
	'/%00/evil.example/',
	'/%7F/evil.example/',
	'/\\evil.example',
	'\\\\evil.example',
	'/%5Cevil.example',
	'%5C%5Cevil.example',
	'javascript:alert(1)',
	'JAVASCRIPT:alert(1)',
	'https://evil.example',
	'https:evil.example',
	'data:text/html,x',
	'//evil.example',
	'//evil.example/%2F..',
	'///evil.example',
	'/%2F/evil.example',
	'%2F%2Fevil.example',
	'/.//evil.example',
	'/..//evil.example',
	'evil.example'
];

test('after signing in, `next` leads only to paths on this site', async ({ playwright, baseURL }) => {
	test.setTimeout(180_000);
	const base = baseURL!;
	const cases = [...OFF_SITE.map((v) => `next=${v}`), ...OFF_SITE.map((v) => `next=${encodeURIComponent(v)}`)];
	for (const query of cases) {
		const ctx = await anonymousApi(playwright, base);
		const r = await signInWith(ctx, base, query);
		if (/%00|%2500/.test(query)) {
			// the hooks refuse a NUL before the form is read: no session, nowhere to go
			expect([400, 303], query).toContain(r.status());
			if (r.status() === 303) expect(r.headers()['location'], query).toBe('/');
		} else {
			expect(r.status(), query).toBe(303);
			expect(r.headers()['location'], query).toBe('/');
			expect(r.headers()['set-cookie'] ?? '', query).toMatch(/jiceng_session=/);
		}
		await ctx.dispose();
	}

	// a path on the site survives, query included
	for (const query of ['next=%2F%3Ftab%3Dcoverage', 'next=/?tab=coverage']) {
		const ctx = await anonymousApi(playwright, base);
		const r = await signInWith(ctx, base, query);
		expect(r.status(), query).toBe(303);
		expect(r.headers()['location'], query).toBe('/?tab=coverage');
		// already signed in, /login sends on at once, by the same rule
		const again = await ctx.get(`/login?${query}`, { maxRedirects: 0 });
		expect(again.headers()['location'], query).toBe('/?tab=coverage');
		const off = await ctx.get('/login?next=/%09/evil.example/', { maxRedirects: 0 });
		expect(off.status()).toBe(303);
		expect(off.headers()['location']).toBe('/');
		await ctx.dispose();
	}
});
