// The first page: the district on the map, the counts beside it, and no errors.
import { expect, test } from '@playwright/test';

test('the first page shows the district with its counts and logs no errors', async ({ page }) => {
	const problems: string[] = [];
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
	page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
	page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));

	await page.goto('/');
	await expect(page.getByTestId('area-name')).toContainText('区');
	const health = await (await page.request.get('/api/health')).json();
	const figure = (key: string) => page.locator(`[data-figure="${key}"] dd`);
	await expect(figure('streets')).toHaveText(String(health.dataset.counts.streets));
	await expect(figure('grids')).toHaveText(new Intl.NumberFormat('zh-CN').format(health.dataset.counts.grids));

	// the map has drawn the outlines: MapLibre reports its sources loaded
	await page.waitForFunction(() => document.querySelector('[data-testid="map"] canvas') !== null);
	await page.waitForFunction(() => (window as unknown as { __jicengMapIdle?: boolean }).__jicengMapIdle === true, null, { timeout: 30_000 });
	await page.screenshot({ path: 'tests/artifacts/first-page.png' });
	expect(problems).toEqual([]);
});

test('the area outlines are served as GeoJSON per level', async ({ request }) => {
	for (const level of ['street', 'community', 'grid']) {
		const response = await request.get(`/api/areas/${level}.geojson`);
		expect(response.status()).toBe(200);
		const fc = await response.json();
		expect(fc.type).toBe('FeatureCollection');
		expect(fc.features.length).toBeGreaterThan(0);
		expect(fc.features.every((f: { properties: { level: string } }) => f.properties.level === level)).toBe(true);
	}
	expect((await request.get('/api/areas/planet.geojson')).status()).toBe(400);
});
