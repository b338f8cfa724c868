// 我的网格 (issue 11 part 1) on a phone: a grid leader signs in and lands on their grid, finds a
// household by its building's address, records a visit from its card and sees it there, filters
// the daily questions, opens a central household's page — at
// 390×844 and 360×640 with no horizontal scrolling and touch targets of at least 44 px; another
// grid is a 404; a community secretary chooses among their grids. Text contrast is checked against
// WCAG AA (readable in sunlight).
import { expect, test, type Page } from '@playwright/test';
import { signIn, waitForMapIdle, watchProblems } from './helpers.ts';

/** the page scrolls sideways: the document is wider than the viewport */
async function sideways(page: Page): Promise<number> {
	return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** interactive elements of the list smaller than 44 px high (the chips, links and buttons a thumb taps) */
async function smallTargets(page: Page): Promise<string[]> {
	return page.evaluate(() =>
		[
			...document.querySelectorAll<HTMLElement>(
				'header a, header button, nav a, nav button, nav input, [data-testid="central-link"], .pager a, .only-link, .figures a'
			)
		]
			.filter((e) => e.offsetParent !== null)
			.map((e) => ({ e, r: e.getBoundingClientRect() }))
			.filter(({ r }) => r.height < 44 || r.width < 44)
			.map(({ e, r }) => `${e.tagName} "${(e.textContent ?? '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`)
	);
}

/** text whose contrast with its background is below WCAG AA (4.5:1, large text 3:1), outside the map's canvas */
async function lowContrast(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const parse = (c: string) => {
			const m = /rgba?\(([^)]+)\)/.exec(c);
			if (!m) return null;
			const [r, g, b, a = 1] = m[1]
				.split(/[\s,/]+/)
				.filter(Boolean)
				.map(Number);
			return [r, g, b, a];
		};
		const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
		const lum = ([r, g, b]: number[]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
		const background = (e: Element): number[] => {
			for (let x: Element | null = e; x; x = x.parentElement) {
				const c = parse(getComputedStyle(x).backgroundColor);
				if (c && c[3] > 0.5) return c;
			}
			return [255, 255, 255, 1];
		};
		const out: string[] = [];
		for (const e of document.querySelectorAll<HTMLElement>('body *')) {
			if (e.closest('[data-testid="map"]') || e.offsetParent === null) continue;
			if (![...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())) continue;
			const style = getComputedStyle(e);
			const [hi, lo] = [lum(parse(style.color)!), lum(background(e))].sort((a, b) => b - a);
			const ratio = (hi + 0.05) / (lo + 0.05);
			const size = parseFloat(style.fontSize);
			const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
			if (ratio < (large ? 3 : 4.5)) out.push(`"${e.textContent!.trim().slice(0, 20)}" ${ratio.toFixed(2)}:1 (${style.color} on ${background(e).join(',')})`);
		}
		return out;
	});
}

for (const viewport of [
	{ width: 390, height: 844 },
	{ width: 360, height: 640 }
]) {
	test(`a grid leader finds a household in their grid at ${viewport.width}×${viewport.height}, without scrolling sideways`, async ({ page }) => {
		test.setTimeout(120_000);
		await page.setViewportSize(viewport);
		const problems = watchProblems(page);
		await signIn(page, 'grid_leader');
		// the grid leader's home is their grid, not the planner's map
		expect(new URL(page.url()).pathname).toBe('/grid');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('我的网格');
		await waitForMapIdle(page);
		const cards = page.getByTestId('household');
		await expect(cards.first()).toBeVisible();
		expect(await sideways(page)).toBeLessThanOrEqual(0);
		expect(await smallTargets(page)).toEqual([]);
		expect(await lowContrast(page)).toEqual([]);
		await page.screenshot({ path: `tests/artifacts/my-grid-${viewport.width}x${viewport.height}.png` });

		// find a household by its building's address: the last one on the first page
		const target = cards.last();
		const id = await target.getAttribute('data-household');
		expect(await target.getAttribute('data-room')).toMatch(/^\d+-\S+$/);
		const address = (await target.locator('xpath=ancestor::section[@data-testid="building"]').getAttribute('data-address'))!;
		const before = (await page.getByTestId('grid-count').textContent())!;
		await page.getByTestId('grid-search').fill(address);
		await page.getByTestId('grid-search').press('Enter');
		await expect(page).toHaveURL(/[?&]q=/);
		await expect(page.getByTestId('grid-count')).not.toHaveText(before);
		await expect(page.locator(`[data-testid="household"][data-household="${id}"]`)).toBeVisible();
		const shown = await page.getByTestId('building').evaluateAll((els) => els.map((e) => e.getAttribute('data-address') ?? ''));
		expect(shown.length).toBeGreaterThan(0);
		expect(shown.filter((a) => !a.includes(address))).toEqual([]);
		expect(await sideways(page)).toBeLessThanOrEqual(0);

		// record a visit from it (issue 11 part 2's form, in the card): the card shows it as the last visit
		const card = page.locator(`[data-testid="household"][data-household="${id}"]`);
		await card.getByTestId('record-visit').click();
		await card.locator('[data-kind="routine"]').click();
		await card.getByTestId('visit-save').click();
		await expect(card.getByTestId('visit-saved')).toBeVisible();
		await expect(card.getByTestId('hh-last-visit')).toContainText(/上次走访 \d{4}-\d{2}-\d{2} · 日常走访/);
		expect(await sideways(page)).toBeLessThanOrEqual(0);

		// the daily question "looked after by no one": a link that keeps its view, every card marked
		await page.getByTestId('filter-clear').click();
		await expect(page).toHaveURL(/\/grid$/);
		await page.getByTestId('filter-uncared').click();
		await expect(page).toHaveURL(/care=none/);
		const uncared = await page.getByTestId('fig-uncared').locator('b').textContent();
		if (Number(uncared) > 0) {
			await expect(cards.first()).toBeVisible();
			expect(await page.locator('[data-testid="household"]:not(.uncared)').count()).toBe(0);
		} else {
			await expect(page.getByTestId('grid-empty')).toBeVisible();
		}
		expect(await sideways(page)).toBeLessThanOrEqual(0);

		// a central household's page: the households it looks after
		await page.goto('/grid');
		const central = page.getByTestId('central-link').first();
		if (await central.count()) {
			await central.click();
			await expect(page).toHaveURL(/\/grid\/household\/\d+$/);
			await expect(page.getByTestId('central')).toBeVisible();
			await waitForMapIdle(page);
			await page.screenshot({ path: `tests/artifacts/my-grid-central-${viewport.width}x${viewport.height}.png` });
			expect(await sideways(page)).toBeLessThanOrEqual(0);
			expect(await smallTargets(page)).toEqual([]);
			expect(await lowContrast(page)).toEqual([]);
		}
		expect(problems).toEqual([]);
	});
}

test('a grid leader gets no other grid: its page is a 404 with a way back', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await signIn(page, 'grid_leader');
	const own = (await (await page.request.get('/api/areas/grid.geojson')).json()).features[0].properties.code as string;
	const other = own.slice(0, 12) + (own.endsWith('001') ? '002' : '001');
	const response = await page.goto(`/grid/${other}`);
	expect(response?.status()).toBe(404);
	await expect(page.getByTestId('grid-error')).toBeVisible();
	expect(await sideways(page)).toBeLessThanOrEqual(0);
	expect((await page.goto(`/grid/${own}`))?.status()).toBe(200);
});

test('a community secretary chooses one of their grids', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await signIn(page, 'community_secretary');
	await page.goto('/grid');
	const choices = page.getByTestId('grid-choice');
	await expect(choices.first()).toBeVisible();
	expect(await sideways(page)).toBeLessThanOrEqual(0);
	await choices.first().click();
	await expect(page).toHaveURL(/\/grid\/\d{15}$/);
	await expect(page.getByTestId('household').first()).toBeVisible();
	await expect(page.getByTestId('grid-back')).toBeVisible();
});

test('on a desktop the list and the map stand side by side, still without scrolling sideways', async ({ page }) => {
	await page.setViewportSize({ width: 1280, height: 800 });
	await signIn(page, 'grid_leader');
	await expect(page.getByTestId('household').first()).toBeVisible();
	await waitForMapIdle(page);
	const map = await page.getByTestId('map').boundingBox();
	const list = await page.locator('main').boundingBox();
	expect(map!.x).toBeGreaterThanOrEqual(list!.x + list!.width - 1);
	expect(map!.height).toBeGreaterThan(500);
	expect(await sideways(page)).toBeLessThanOrEqual(0);
	await page.screenshot({ path: 'tests/artifacts/my-grid-1280x800.png' });

	// a tap on a building of the grid shows that building's households only
	const section = page.getByTestId('building').nth(1);
	const [building, at] = [await section.getAttribute('data-building'), (await section.getAttribute('data-at'))!.split(',').map(Number)];
	const point = await page.evaluate(([lon, lat]) => {
		const m = (window as unknown as { __jicengMap: { project(p: [number, number]): { x: number; y: number } } }).__jicengMap;
		return m.project([lon, lat]);
	}, at);
	await page.getByTestId('map').click({ position: { x: point.x, y: point.y } });
	await expect(page).toHaveURL(new RegExp(`[?&]b=${building}(&|$)`));
	const shown = await page.getByTestId('building').evaluateAll((els) => els.map((e) => e.getAttribute('data-building')));
	expect(shown).toEqual([building]);
});
