// Flaky networks (issue 11 part 5) on a phone (390×844): a grid leader's visit typed in is kept as a
// draft across a reload; submitted with the network cut it waits on the device (待同步 1) and goes
// by itself once the network is back — exactly one visit on the server; after one visit online,
// the grid's last view opens with the network off from the service worker's cache, which is named
// by the account and gone after logout. (The service worker runs on http://127.0.0.1: 127.0.0.1
// counts as a secure context.)
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './helpers.ts';

const accountCaches = (page: Page) => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('jiceng-grid-')));

test('a visit made offline is kept, sent once when the network is back, and the grid opens offline until logout', async ({ page, context }) => {
	test.setTimeout(120_000);
	await page.setViewportSize({ width: 390, height: 844 });
	await signIn(page, 'grid_leader');
	expect(new URL(page.url()).pathname).toBe('/grid');
	await expect(page.getByTestId('household').first()).toBeVisible();
	// 127.0.0.1 is a secure context: no "needs HTTPS" note, and the service worker takes the page
	await expect(page.getByTestId('https-note')).toHaveCount(0);
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
	// the page loaded before the worker was there: one more visit online puts the grid in its cache
	await page.reload();
	await expect(page.getByTestId('household').first()).toBeVisible();
	const cached = await accountCaches(page);
	expect(cached).toHaveLength(1);
	expect(cached[0]).toMatch(/^jiceng-grid-\d+$/);
	const cachedUrls = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname), cached[0]);
	expect(cachedUrls).toContain('/grid');

	// a visit typed in stays as a draft across a reload
	const card = page.getByTestId('household').first();
	const id = (await card.getAttribute('data-household'))!;
	const note = `offline-e2e ${Date.now()}`;
	await card.getByTestId('record-visit').click();
	await card.locator('[data-kind="help"]').click();
	await card.getByTestId('visit-note').fill(note);
	// the draft is written as the user types; give IndexedDB a moment
	await page.waitForTimeout(300);
	await page.reload();
	const again = page.locator(`[data-testid="household"][data-household="${id}"]`);
	await again.getByTestId('record-visit').click();
	await expect(again.getByTestId('visit-note')).toHaveValue(note);
	await expect(again.locator('[data-kind="help"]')).toHaveAttribute('aria-pressed', 'true');

	// submitted with the network cut: kept on the device, shown as pending
	await context.setOffline(true);
	await again.getByTestId('visit-save').click();
	await expect(again.getByTestId('visit-queued')).toBeVisible();
	await expect(page.getByTestId('outbox-count')).toContainText('待同步 1');
	await page.getByTestId('outbox-count').click();
	await expect(page.getByTestId('outbox-item')).toHaveCount(1);
	await expect(page.getByTestId('outbox-item')).toContainText('帮扶');

	// the network is back: it goes by itself, and the pending list empties
	await context.setOffline(false);
	await expect(page.getByTestId('outbox')).toHaveCount(0, { timeout: 20_000 });
	const answer = await page.request.get(`/api/visits?household=${id}`);
	expect(answer.status()).toBe(200);
	const { visits } = (await answer.json()) as { visits: { note: string | null; kind: string }[] };
	const mine = visits.filter((v) => v.note === note);
	expect(mine).toHaveLength(1);
	expect(mine[0].kind).toBe('help');

	// reload with the network off: the grid's last view, read-only, from the service worker's cache
	await page.reload();
	await expect(page.getByTestId('household').first()).toBeVisible();
	await context.setOffline(true);
	const offline = await page.reload();
	expect(offline?.fromServiceWorker()).toBe(true);
	await expect(page.getByTestId('household').first()).toBeVisible();
	await expect(page.getByTestId('offline-note')).toBeVisible();
	await page.screenshot({ path: 'tests/artifacts/offline-grid-390x844.png' });

	// logout: the account's cache is gone, and the grid no longer opens offline
	await context.setOffline(false);
	await Promise.all([page.waitForURL(/\/login/), page.getByRole('button', { name: '退出' }).click()]);
	await expect.poll(() => accountCaches(page)).toEqual([]);
	await context.setOffline(true);
	const gone = await page.goto('/grid').catch(() => null);
	expect(gone === null || !gone.ok()).toBe(true);
	await expect(page.getByTestId('household')).toHaveCount(0);
	await context.setOffline(false);

	// another account on the same phone: its pages go in a cache of its own, never the grid leader's
	await signIn(page, 'community_secretary');
	await page.goto('/grid');
	await expect(page.getByTestId('grid-choice').first()).toBeVisible();
	await expect.poll(() => accountCaches(page)).toHaveLength(1);
	const other = await accountCaches(page);
	expect(other[0]).toMatch(/^jiceng-grid-\d+$/);
	expect(other[0]).not.toBe(cached[0]);
});

// a 2×2 PNG the browser can decode (the form resizes it on a canvas and keeps a JPEG with the request)
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

test('a request with a photo made offline is kept with its draft, and sent once with its photo when the network is back', async ({ page, context }) => {
	test.setTimeout(120_000);
	await page.setViewportSize({ width: 390, height: 844 });
	await signIn(page, 'grid_leader');
	const card = page.getByTestId('household').first();
	const id = (await card.getAttribute('data-household'))!;
	const text = `offline-request-e2e ${Date.now()}`;
	await card.getByTestId('new-request').click();
	await card.getByTestId('request-description').fill(text);
	await card.getByTestId('request-category').selectOption('safety');
	// the draft survives a reload
	await page.waitForTimeout(300);
	await page.reload();
	const again = page.locator(`[data-testid="household"][data-household="${id}"]`);
	await again.getByTestId('new-request').click();
	await expect(again.getByTestId('request-description')).toHaveValue(text);
	await expect(again.getByTestId('request-category')).toHaveValue('safety');

	// submitted with the network cut, with a photo: kept on the device, shown as pending
	await again.getByTestId('request-photo').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG });
	await context.setOffline(true);
	await again.getByTestId('request-submit').click();
	await expect(again.getByTestId('request-message')).toHaveText('已保存在本机，待网络恢复后自动同步');
	await expect(page.getByTestId('outbox-count')).toContainText('待同步 1');

	// back online: it goes by itself — one request, with its photo
	await context.setOffline(false);
	await expect(page.getByTestId('outbox')).toHaveCount(0, { timeout: 20_000 });
	const listed = (await (await page.request.get('/api/requests?limit=100')).json()) as { requests: { id: number; description: string; has_photo: boolean }[] };
	const mine = listed.requests.filter((r) => r.description === text);
	expect(mine).toHaveLength(1);
	expect(mine[0].has_photo).toBe(true);
	const photo = await page.request.get(`/api/requests/${mine[0].id}/photo`);
	expect(photo.headers()['content-type']).toBe('image/jpeg');
});
