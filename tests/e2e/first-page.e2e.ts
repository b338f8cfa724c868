// The first page: the district on the map, the counts beside it, and no errors.
import { expect, test } from '@playwright/test';
import { signIn, waitForMapIdle, watchProblems } from './helpers.ts';

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
