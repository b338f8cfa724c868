// Coverage for planners: the figures of an area, the same share in the panel, the CSV export and
// the map's tile; a what-if station and suggested sites; a grid leader without planner tools.
import { expect, test } from '@playwright/test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { signIn, waitForMapIdle, watchProblems } from './helpers.ts';

const slow = expect.configure({ timeout: 30_000 });

function tileOf(lon: number, lat: number, z: number) {
	const n = 2 ** z;
	const x = Math.floor(((lon + 180) / 360) * n);
	const r = (lat * Math.PI) / 180;
	const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
	return { x, y, z };
}

test('a planner sees coverage, places a what-if station and gets suggested sites', async ({ page }) => {
	test.setTimeout(150_000);
	const problems = watchProblems(page);
	await signIn(page, 'planner');
	const district = await (await page.request.get('/api/search?q=区')).json();
	expect(district.hits.length).toBeGreaterThan(0);
	const street = (await (await page.request.get('/api/areas/street.geojson')).json()).features[0].properties.code as string;
	await page.goto(`/?sel=${street}&tab=coverage&layers=choropleth,blind_spots,roads&ind=coverage_index`);
	await waitForMapIdle(page, 90_000);
	await slow(page.getByTestId('coverage-index')).toBeVisible();
	await expect(page.getByTestId('circles').locator('[data-circle="15"]')).toContainText('%');
	await expect(page.getByTestId('ranking').locator('tbody tr').first()).toBeVisible();

	await page.getByTestId('place-station').click();
	const box = (await page.getByTestId('map').boundingBox())!;
	await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
	await slow(page.getByTestId('whatif')).toContainText("15'");

	// the 5-minute circle: with the demo's roads joined every household is within 15 minutes, and
	// no site adds to a circle that is full
	await page.getByTestId('suggest-circle').selectOption('1');
	await page.getByTestId('suggest').click();
	// greedy stops early when no further site adds households: at least one, at most k
	await slow(page.getByTestId('suggestions').locator('li').first()).toBeVisible();
	expect(await page.getByTestId('suggestions').locator('li').count()).toBeLessThanOrEqual(3);
	expect(problems).toEqual([]);
});

test('one coverage figure: the panel JSON, the CSV export and the map tile agree', async ({ page }) => {
	await signIn(page, 'planner');
	const ranking = await (await page.request.get('/api/coverage/rankings?level=grid')).json();
	const grid = ranking.rows.find((r: { households: number }) => r.households > 0);
	const panel = await (await page.request.get(`/api/coverage/area/${grid.code}`)).json();
	expect(panel.area.share_15min).toBe(grid.share_15min);

	const csv = await (await page.request.get('/api/coverage/rankings?level=grid&format=csv')).text();
	expect(csv.charCodeAt(0)).toBe(0xfeff); // BOM, so Excel reads UTF-8
	const [header, ...lines] = csv.slice(1).trim().split('\r\n');
	const cols = header.split(',');
	const codeCol = cols.findIndex((c) => c.includes('(code)'));
	const shareCol = cols.findIndex((c) => c.includes('(share_15min)'));
	const line = lines.map((l) => l.split(',')).find((f) => f[codeCol].replace(/"/g, '') === grid.code)!;
	expect(Number(line[shareCol])).toBeCloseTo(grid.share_15min, 4);

	const outline = (await (await page.request.get('/api/areas/grid.geojson')).json()).features.find(
		(f: { properties: { code: string } }) => f.properties.code === grid.code
	);
	const ring: [number, number][] = outline.geometry.coordinates[0][0];
	const [lon, lat] = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
	const t = tileOf(lon, lat, 14);
	const tile = await page.request.get(`/tiles/coverage_grid/${t.z}/${t.x}/${t.y}.mvt`);
	expect(tile.status()).toBe(200);
	const layer = new VectorTile(new PbfReader(await tile.body())).layers.coverage_grid;
	const features = Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties);
	const feature = features.find((p) => p.code === grid.code)!;
	expect(Number(feature.share_15min)).toBeCloseTo(grid.share_15min, 4);
});

test('a grid leader sees their grid’s coverage but no planner tools', async ({ page }) => {
	await signIn(page, 'grid_leader');
	const leader = await (await page.request.get('/api/areas/grid.geojson')).json();
	const grid = leader.features[0].properties.code as string;
	expect(leader.features).toHaveLength(1);
	expect((await page.request.get(`/api/coverage/area/${grid}`)).status()).toBe(200);
	expect((await page.request.get(`/api/coverage/area/${grid.slice(0, 12)}`)).status()).toBe(404);
	const spots = await (await page.request.get('/api/coverage/blind-spots')).json();
	for (const s of spots.rows) expect(s.grid_code).toBe(grid);
	expect((await page.request.get('/api/coverage/suggest?k=2')).status()).toBe(403);
	const whatif = await page.request.post('/api/coverage/whatif', { data: { lon: 114.2, lat: 30.55 }, headers: { origin: new URL(page.url()).origin } });
	expect(whatif.status()).toBe(403);
});

test('moving to another area aborts the coverage requests of the one left, and a late answer never shows', async ({ page }) => {
	test.setTimeout(120_000);
	await signIn(page, 'planner');
	const street = (await (await page.request.get('/api/areas/street.geojson')).json()).features[0].properties.code as string;
	// the panel ranks children in the API's order: its first rows are these
	const firstRow = async (level: string, within: string) =>
		(
			(await (await page.request.get(`/api/coverage/rankings?level=${level}&within=${within}`)).json()) as {
				rows: { code: string; name: string; coverage_index: number }[];
			}
		).rows[0];
	const community = await firstRow('community', street);
	const grid = await firstRow('grid', community.code);
	await page.goto(`/?sel=${street}&tab=coverage`);
	await slow(page.getByTestId('coverage-index')).toBeVisible();

	// the community's own figures are held back; its children's ranking is not, so the panel can
	// move on to a grid while the community's answer is still on its way
	let release = () => {};
	const held = new Promise<void>((resolve) => (release = resolve));
	const aborted: string[] = [];
	page.on('requestfailed', (r) => {
		if (r.url().endsWith(`/api/coverage/area/${community.code}`)) aborted.push(r.failure()?.errorText ?? '?');
	});
	await page.route(`**/api/coverage/area/${community.code}`, async (route) => {
		await held;
		await route.continue().catch(() => {});
	});
	await page.getByTestId('ranking').locator('tbody tr').first().click();
	const gridRow = page.getByTestId('ranking').locator('tbody tr', { hasText: grid.name });
	await slow(gridRow).toBeVisible();
	await gridRow.click();

	await expect.poll(() => aborted.length, { timeout: 10_000 }).toBeGreaterThan(0);
	release();
	const index = page.getByTestId('coverage-index').locator('.big').first();
	await slow(index).toHaveText(grid.coverage_index.toFixed(1));
	// the held answer, had it not been aborted, would land now: the grid's figures stay
	await page.waitForTimeout(1500);
	await expect(index).toHaveText(grid.coverage_index.toFixed(1));
});

test('the time slider replays a stored day of coverage on the map, with its figures', async ({ page }) => {
	test.setTimeout(120_000);
	const problems = watchProblems(page);
	await signIn(page, 'district_admin');
	// today's snapshot, taken now (the server also takes one by itself each day)
	// (a same-origin POST, as the page itself would send it: cross-site ones are refused)
	const taken = await page.request.post('/api/snapshots', { headers: { origin: new URL(page.url()).origin } });
	expect(taken.status()).toBe(200);
	const { day } = (await taken.json()) as { day: string };
	const street = (await (await page.request.get('/api/areas/street.geojson')).json()).features[0].properties.code as string;
	const stored = await (await page.request.get(`/api/snapshots?level=community&within=${street}&day=${day}`)).json();
	await page.goto(`/?sel=${street}&tab=coverage&layers=choropleth,roads&ind=coverage_index`);
	await waitForMapIdle(page, 90_000);
	await page.getByTestId('replay-open').click();
	// the caption says the day, and as many areas and blind spots as the stored snapshot holds
	await slow(page.getByTestId('replay-caption')).toContainText(day);
	await expect(page.getByTestId('replay-caption')).toContainText(`${stored.areas.length} `);
	await expect(page.getByTestId('replay')).toHaveAttribute('data-day', day);
	// the map draws the stored day instead of the live choropleth
	const ids = async () => page.evaluate(() => (window as unknown as { __jicengDeckLayers?: () => string[] }).__jicengDeckLayers?.() ?? []);
	await expect.poll(ids).toEqual(expect.arrayContaining(['replay-areas', 'replay-blind-spots']));
	expect((await ids()).filter((id) => id.startsWith('choropleth-'))).toEqual([]);
	// another indicator redraws the same day; closing brings the live choropleth back
	await page.getByTestId('replay-indicator').selectOption('share_15min');
	await expect(page.getByTestId('replay')).toHaveAttribute('data-day', day);
	await page.getByRole('button', { name: /关闭回放|Close the replay/ }).click();
	await expect.poll(ids).not.toContain('replay-areas');
	expect(problems).toEqual([]);
});
