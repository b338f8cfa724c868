// Needs, resources and two-way claiming (issue 11 part 4) on a phone (390×844): the community
// secretary lists a resource offered by a member of the community, taps the map to enter a need of
// the same kind, sees the need beside that resource with its walking distance, claims the need with
// the resource (需求认领资源) — the need becomes a project — and finishes the project with its result.
// A grid leader reads the lists but has no claim button, and the API refuses the grid leader's claim.
import { expect, test } from '@playwright/test';
import { signIn, watchProblems } from './helpers.ts';

const PHONE = { width: 390, height: 844 };
test.use({ viewport: PHONE });

test('a need claimed and turned into a project, finished with its result', async ({ page, baseURL, browser }) => {
	test.setTimeout(180_000);
	const problems = watchProblems(page);
	await signIn(page, 'community_secretary');
	await page.goto('/needs');
	await expect(page.getByTestId('needs-map').locator('canvas').first()).toBeVisible({ timeout: 30_000 });
	const stamp = Date.now().toString(36);

	// a resource: offered by the first member or organisation of the list
	await page.getByTestId('needs-tab-resources').click();
	const rform = page.getByTestId('resource-form');
	const offerer = rform.getByTestId('resource-offerer');
	const firstOfferer = await offerer.locator('option').nth(1).getAttribute('value');
	await offerer.selectOption(firstOfferer!);
	await rform.getByTestId('resource-category').selectOption('legal');
	await rform.getByTestId('resource-title').fill(`法律咨询志愿服务 ${stamp}`);
	await rform.getByTestId('resource-save').click();
	const resource = page.getByTestId('resource-item').filter({ hasText: `法律咨询志愿服务 ${stamp}` });
	await expect(resource).toHaveCount(1);
	const resourceId = Number(await resource.getAttribute('data-resource'));

	// a need of the same kind, where the map is tapped (the middle of the community)
	await page.getByTestId('needs-tab-needs').click();
	const nform = page.getByTestId('need-form');
	await expect(nform.getByTestId('need-save')).toBeDisabled();
	const box = (await page.getByTestId('needs-map').boundingBox())!;
	await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
	await expect(nform.getByTestId('need-point')).toHaveText('位置已选定');
	await nform.getByTestId('need-category').selectOption('legal');
	await nform.getByTestId('need-title').fill(`老人遗嘱咨询 ${stamp}`);
	await nform.getByTestId('need-save').click();
	const need = page.getByTestId('need-item').filter({ hasText: `老人遗嘱咨询 ${stamp}` });
	await expect(need).toHaveAttribute('data-state', 'open');
	const needId = Number(await need.getAttribute('data-need'));

	// the matching: the resource is offered beside the need, with its walk
	await expect(need.locator('.near').filter({ hasText: `法律咨询志愿服务 ${stamp}` })).toContainText(/步行 \d+ 米/, { timeout: 30_000 });

	// a grid leader reads needs but does not claim them
	const leader = await (await browser.newContext({ viewport: PHONE, baseURL })).newPage();
	await signIn(leader, 'grid_leader');
	const refused = await leader.request.post(`/api/needs/${needId}/claim`, {
		data: { resource_id: resourceId, due_on: '2099-01-01' },
		headers: { origin: baseURL! }
	});
	expect(refused.status()).toBe(403);
	await leader.goto('/needs');
	await expect(leader.getByTestId('need-claim')).toHaveCount(0);
	await leader.context().close();

	// claimed with the resource: now a project
	await need.getByTestId('need-claim').click();
	await need.getByTestId('claim-panel').locator(`[data-testid="claim-resource"][data-resource="${resourceId}"]`).click();
	const project = page.getByTestId('project-item').filter({ hasText: `老人遗嘱咨询 ${stamp}` });
	await expect(project).toHaveAttribute('data-state', 'in_progress');
	await expect(project).toContainText('需求认领资源');
	expect(Number(await project.getAttribute('data-need'))).toBe(needId);

	// finished with its result; the need is done
	await expect(project.getByTestId('project-finish')).toBeDisabled();
	await project.getByTestId('project-result-input').fill('已上门提供遗嘱咨询，老人满意');
	await project.getByTestId('project-finish').click();
	await expect(project).toHaveAttribute('data-state', 'done');
	await expect(project.getByTestId('project-result')).toHaveText('已上门提供遗嘱咨询，老人满意');
	await page.getByTestId('needs-tab-needs').click();
	await expect(page.getByTestId('need-item').filter({ hasText: `老人遗嘱咨询 ${stamp}` })).toHaveAttribute('data-state', 'done');

	// phone: nothing sideways
	expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
	expect(problems).toEqual([]);
});
