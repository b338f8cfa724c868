// The map: layers, drill-down from district to building and back, deep links, a big-screen shot.
import { expect, test, type Page } from '@playwright/test';
import { signIn, waitForMapIdle, watchProblems } from './helpers.ts';

// WebGL runs in software here: a heatmap and 3D buildings can hold the main thread for seconds
const slow = expect.configure({ timeout: 20_000 });

async function selectionCode(page: Page): Promise<string | null> {
	return page.getByTestId('selection').getAttribute('data-selection');
}

/** A screen point inside the area, from its outline, for a real click on the map. */
async function clickInside(page: Page, code: string) {
	const point = await page.evaluate(async (code) => {
		const level = code.length === 9 ? 'street' : code.length === 12 ? 'community' : 'grid';
		const fc = await (await fetch(`/api/areas/${level}.geojson`)).json();
		const f = fc.features.find((x: { properties: { code: string } }) => x.properties.code === code);
		const ring: [number, number][] = f.geometry.coordinates[0][0];
		// the mean of the ring's vertices lies inside for the convex-ish demo areas
		const lng = ring.reduce((s, p) => s + p[0], 0) / ring.length;
		const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
		return { lng, lat };
	}, code);
	const xy = await page.evaluate(({ lng, lat }) => {
		const map = (window as unknown as { __jicengMap: { project(p: [number, number]): { x: number; y: number } } }).__jicengMap;
		return map.project([lng, lat]);
	}, point);
	const box = (await page.getByTestId('map').boundingBox())!;
	await page.mouse.click(box.x + xy.x, box.y + xy.y);
}

test('each layer toggles, with its legend, and no errors', async ({ page }) => {
	// every layer on and off, each waited for: 50–60 s in software WebGL, too close to the default budget
	test.setTimeout(150_000);
	const problems = watchProblems(page);
	await signIn(page);
	await page.goto('/');
	await waitForMapIdle(page);
	for (const layer of ['choropleth', 'buildings', 'members', 'requests', 'service_centres', 'roads']) {
		const box = page.locator(`input[data-layer="${layer}"]`);
		const wasOn = await box.isChecked();
		await box.setChecked(!wasOn);
		await expect(page.locator(`[data-legend="${layer}"]`)).toHaveCount(wasOn ? 0 : 1);
		await waitForMapIdle(page);
		await box.setChecked(wasOn);
		await expect(page.locator(`[data-legend="${layer}"]`)).toHaveCount(wasOn ? 1 : 0);
	}
	expect(page.url()).toContain('layers=');
	expect(problems).toEqual([]);
});

test('drill down from district to a building and back, and reopen a deep link', async ({ page }) => {
	test.setTimeout(180_000);
	const problems = watchProblems(page);
	await signIn(page);
	// the members heatmap is exercised by the toggle test; here it would only slow software WebGL
	await page.goto('/?layers=choropleth,buildings,service_centres,roads');
	await waitForMapIdle(page);
	const district = await selectionCode(page);
	expect(district).toMatch(/^\d{6}$/);

	// the children list drills down one level at a time
	const street = await page.getByTestId('children').locator('button').first().getAttribute('data-code');
	await page.getByTestId('children').locator('button').first().click();
	await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', street!);
	const community = await page.getByTestId('children').locator('button').first().getAttribute('data-code');
	await page.getByTestId('children').locator('button').first().click();
	await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', community!);

	// a click on the map inside a grid of this community selects that grid
	const grids = await page
		.getByTestId('children')
		.locator('button')
		.evaluateAll((bs) => bs.map((b) => b.getAttribute('data-code')!));
	await waitForMapIdle(page);
	await clickInside(page, grids[0]);
	await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', grids[0]);
	await expect(page.getByTestId('breadcrumb')).toContainText('›');

	// a building of that grid: fly there, wait for its tiles, click it on the map
	await waitForMapIdle(page);
	const hit = await page.evaluate(async () => {
		const map = (window as unknown as { __jicengMap: import('maplibre-gl').Map }).__jicengMap;
		const canvas = map.getCanvas();
		// probe a grid of screen points for a picked building
		const overlay = (window as unknown as { __jicengDeckPick: (x: number, y: number) => unknown }).__jicengDeckPick;
		for (let y = 40; y < canvas.clientHeight - 40; y += 24) {
			for (let x = 40; x < canvas.clientWidth - 40; x += 24) {
				const picked = overlay(x, y) as { properties?: { id?: number } } | null;
				if (picked?.properties?.id !== undefined) return { x, y, id: picked.properties.id };
			}
		}
		return null;
	});
	expect(hit, 'a building under the camera after selecting a grid').not.toBeNull();
	const box = (await page.getByTestId('map').boundingBox())!;
	await page.mouse.click(box.x + hit!.x, box.y + hit!.y);
	await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', `b:${hit!.id}`);
	await expect(page.getByTestId('breadcrumb')).toContainText(
		await page
			.getByTestId('area-name')
			.innerText()
			.then((t) => t.split(' ')[0])
	);
	await expect(page.locator('[data-figure="households"] dd')).not.toHaveText('');

	// the URL holds the selection and the camera: a reload opens the same view
	await waitForMapIdle(page);
	const deepLink = page.url();
	expect(deepLink).toContain(`sel=b%3A${hit!.id}`);
	expect(deepLink).toContain('v=');
	const cameraBefore = await page.evaluate(() => {
		const map = (window as unknown as { __jicengMap: import('maplibre-gl').Map }).__jicengMap;
		return { ...map.getCenter(), zoom: map.getZoom(), pitch: map.getPitch() };
	});
	await page.reload();
	await waitForMapIdle(page);
	await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', `b:${hit!.id}`);
	const cameraAfter = await page.evaluate(() => {
		const map = (window as unknown as { __jicengMap: import('maplibre-gl').Map }).__jicengMap;
		return { ...map.getCenter(), zoom: map.getZoom(), pitch: map.getPitch() };
	});
	expect(cameraAfter.lng).toBeCloseTo(cameraBefore.lng, 4);
	expect(cameraAfter.lat).toBeCloseTo(cameraBefore.lat, 4);
	expect(cameraAfter.zoom).toBeCloseTo(cameraBefore.zoom, 1);
	expect(cameraAfter.pitch).toBeCloseTo(cameraBefore.pitch, 0);

	// the back button walks back up: building → grid → community → street → district
	for (const code of [grids[0], community!, street!, district!]) {
		await page.goBack();
		await slow(page.getByTestId('selection')).toHaveAttribute('data-selection', code);
	}
	expect(problems).toEqual([]);
});

test('search finds areas, addresses and organisations and selects them', async ({ page }) => {
	const problems = watchProblems(page);
	await signIn(page);
	await page.goto('/');
	const streetName = await page.getByTestId('children').locator('button .name').first().innerText();
	await page.getByTestId('search').fill(streetName.slice(0, 2));
	await page.getByRole('option').filter({ hasText: streetName }).first().click();
	await expect(page.getByTestId('area-name')).toContainText(streetName);
	await page.getByTestId('search').fill('zzzz不存在的地址');
	await expect(page.getByText(/没有匹配的结果/)).toBeVisible();
	expect(problems).toEqual([]);
});

test('a query typed before the page came alive is still searched', async ({ page }) => {
	const problems = watchProblems(page);
	await signIn(page);
	// hold the page's scripts back until the query is in the box: a slow phone types first
	let release!: () => void;
	const held = new Promise<void>((resolve) => (release = resolve));
	await page.route('**/_app/immutable/**', async (route) => {
		await held;
		await route.continue();
	});
	await page.goto('/', { waitUntil: 'commit' });
	const streetName = await page.getByTestId('children').locator('button .name').first().innerText();
	await page.getByTestId('search').fill(streetName.slice(0, 2));
	release();
	await page.getByRole('option').filter({ hasText: streetName }).first().click();
	await expect(page.getByTestId('area-name')).toContainText(streetName);
	expect(problems).toEqual([]);
});

test('the map at 1920×1080 for the big screen', async ({ page }) => {
	const problems = watchProblems(page);
	await signIn(page);
	await page.setViewportSize({ width: 1920, height: 1080 });
	await page.goto('/?layers=choropleth,buildings,service_centres,roads');
	await waitForMapIdle(page);
	await page.screenshot({ path: 'tests/artifacts/map-1920x1080.png' });
	expect(problems).toEqual([]);
});
