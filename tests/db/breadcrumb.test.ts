// An area's breadcrumb (db/queries/areas.ts breadcrumbOf): its ancestors and itself, top down,
// each marked whether the viewer's scope holds it — looked up by the code's prefixes, one per level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { breadcrumbOf } from '../../src/lib/server/db/queries/areas.ts';
import { FIXTURE_SQL, GRID_E, GRID_WS } from '../tiles/fixture.ts';

describe.each(backends)('breadcrumbs (%s)', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		await db.runScript(FIXTURE_SQL);
	}, 120_000);
	afterAll(async () => {
		await db?.drop();
	});

	it('gives a grid its district, street, community and itself, top down', async () => {
		const steps = await withScope(db, '*', (trx) => breadcrumbOf(trx, GRID_WS));
		expect(steps.map((s) => [s.code, s.level, s.name, s.in_scope])).toEqual([
			['420105', 'district', '汉阳区', true],
			['420105001', 'street', '西街道', true],
			['420105001001', 'community', '西社区', true],
			[GRID_WS, 'grid', '西南网格', true]
		]);
		expect(steps[2].kind).toBe('community');
	});

	it('marks the steps above the viewer’s scope, and never names a sibling', async () => {
		const steps = await withScope(db, '420105002', (trx) => breadcrumbOf(trx, GRID_E));
		expect(steps.map((s) => [s.code, s.in_scope])).toEqual([
			['420105', false],
			['420105002', true],
			['420105002001', true],
			[GRID_E, true]
		]);
		const street = await withScope(db, '*', (trx) => breadcrumbOf(trx, '420105001'));
		expect(street.map((s) => s.code)).toEqual(['420105', '420105001']);
	});

	it('gives the known ancestors of a code that is not an area, and nothing for a stray one', async () => {
		const steps = await withScope(db, '*', (trx) => breadcrumbOf(trx, '420105001999'));
		expect(steps.map((s) => s.code)).toEqual(['420105', '420105001']);
		expect(await withScope(db, '*', (trx) => breadcrumbOf(trx, '4201'))).toEqual([]);
		expect(await withScope(db, '*', (trx) => breadcrumbOf(trx, '999999001'))).toEqual([]);
	});
});
