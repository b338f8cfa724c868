import type { Page } from '@playwright/test';

/** Collects everything that would mean the page is broken: errors, failed and 4xx/5xx requests. */
export function watchProblems(page: Page): string[] {
	const problems: string[] = [];
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
	page.on('requestfailed', (r) => {
		// navigation away aborts in-flight tiles: that is not a failure
		if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
	});
	page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
	return problems;
}

/** Waits until MapLibre reports the map idle: every source loaded and drawn. */
export async function waitForMapIdle(page: Page, timeout = 45_000): Promise<void> {
	await page.waitForFunction(() => document.querySelector('[data-testid="map"] canvas') !== null, null, { timeout });
	await page.waitForFunction(() => (window as unknown as { __jicengMapIdle?: boolean }).__jicengMapIdle === true, null, { timeout });
	// deck.gl loads its own tiles: wait for those too
	await page.waitForFunction(() => (window as unknown as { __jicengDeckLoaded?: boolean }).__jicengDeckLoaded === true, null, { timeout });
}

/** The demo accounts' shared password in end-to-end runs (playwright.config.ts sets it). */
export const DEMO_PASSWORD = 'Demo-Pass-2026!';

/** Signs in through the real login form as the demo account of a role. */
export async function signIn(page: Page, role = 'district_admin'): Promise<void> {
	await page.goto('/login');
	await page.locator('input[name="username"]').fill(`demo-${role.replace(/_/g, '-')}`);
	await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
	await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('button[type="submit"]').click()]);
}
