// The first page: the district on the map, the counts beside it, and no errors.
import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, signIn, waitForMapIdle, watchProblems } from './helpers.ts';

test('the first page shows the district with its counts and logs no errors', async ({ page }) => {
	const problems = watchProblems(page);
	await signIn(page);
	await page.goto('/');
	await expect(page.getByTestId('area-name')).toContainText('区');
	const health = await (await page.request.get('/api/health')).json();
	expect(health.dataset.scale).toBe('small');
	const figure = (key: string) => page.locator(`[data-figure="${key}"] dd`);
	const fmt = (n: number) => new Intl.NumberFormat('zh-CN').format(n);
	await expect(figure('streets')).toHaveText(fmt(health.dataset.counts.streets));
	await expect(figure('grids')).toHaveText(fmt(health.dataset.counts.grids));
	await expect(figure('households')).toHaveText(fmt(health.dataset.counts.households));
	await waitForMapIdle(page);
	await page.screenshot({ path: 'tests/artifacts/first-page.png' });
	expect(problems).toEqual([]);
});

test('the area outlines are served as GeoJSON per level, to signed-in users only', async ({ page }) => {
	const anonymous = await page.request.get('/api/areas/street.geojson');
	expect(anonymous.status()).toBe(401);
	await page.goto('/');
	expect(new URL(page.url()).pathname).toBe('/login');
	await signIn(page);
	const request = page.request;
	for (const level of ['street', 'community', 'grid']) {
		const response = await request.get(`/api/areas/${level}.geojson`);
		expect(response.status()).toBe(200);
		const fc = await response.json();
		expect(fc.type).toBe('FeatureCollection');
		expect(fc.features.length).toBeGreaterThan(0);
		expect(fc.features.length, `${level}: no outlines`).toBeGreaterThan(0);
		expect(fc.features.filter((f: { properties: { level: string } }) => f.properties.level !== level)).toEqual([]);
	}
	expect((await request.get('/api/areas/planet.geojson')).status()).toBe(400);
});

test('pages carry the security headers: a CSP without unsafe-eval, nosniff, referrer policy, no framing', async ({ page }) => {
	await signIn(page);
	const response = await page.request.get('/');
	const headers = response.headers();
	const csp = headers['content-security-policy'];
	expect(csp).toContain("default-src 'self'");
	expect(csp).toContain("frame-ancestors 'none'");
	expect(csp).not.toContain('unsafe-eval');
	expect(csp).toMatch(/script-src 'self'( 'nonce-[^']+'| 'sha256-[^']+')*;/);
	expect(headers['x-content-type-options']).toBe('nosniff');
	expect(headers['referrer-policy']).toBe('same-origin');
	expect(headers['x-frame-options']).toBe('DENY');
	const health = await page.request.get('/api/health');
	expect(health.headers()['x-content-type-options']).toBe('nosniff');
});

// A slow phone shows the server's page before its scripts run, and people type into it. Svelte's
// `value={…}` wrote the server's value over what was typed when the page came alive (a sign-in
// whose user name was emptied, then refused by the browser as incomplete: nothing happened).
test('what is typed before a page came alive is kept: the sign-in form and the grid search', async ({ page }) => {
	const problems = watchProblems(page);
	let release!: () => void;
	const hold = async () => {
		const held = new Promise<void>((resolve) => (release = resolve));
		await page.route('**/_app/immutable/**', async (route) => {
			await held;
			await route.continue();
		});
	};
	await hold();
	await page.goto('/login', { waitUntil: 'commit' });
	await page.locator('input[name="username"]').fill('demo-grid-leader');
	await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
	release();
	await page.waitForLoadState('networkidle');
	await expect(page.locator('input[name="username"]')).toHaveValue('demo-grid-leader');
	await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('button[type="submit"]').click()]);

	await page.unrouteAll();
	await hold();
	await page.goto('/grid', { waitUntil: 'commit' });
	await page.getByTestId('grid-search').fill('2-301');
	release();
	await page.waitForLoadState('networkidle');
	await expect(page.getByTestId('grid-search')).toHaveValue('2-301');
	expect(problems).toEqual([]);
});
