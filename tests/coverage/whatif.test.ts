// A what-if station equals a full recompute with that station added, per community and circle,
// on the generated small district; and answers fast from the in-memory model.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { whatIf } from '../../src/lib/server/coverage/whatif.ts';
import { rankings } from '../../src/lib/server/db/queries/coverage.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';

describe.each(backends)('what-if station on %s PostGIS', (backend) => {
	let db: TestDb;
	let engine: CoverageEngine;
	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 5 });
		engine = new CoverageEngine(db);
		await engine.ensure();
	});
	afterAll(() => db?.drop());

	const communityFigures = async () =>
		new Map((await withScope(db, SYSTEM, (trx) => rankings(trx, 'community', ''))).map((r) => [r.code, [r.hh_5min, r.hh_10min, r.hh_15min]]));

	it('equals a full recompute with the station added', async () => {
		// sites where stations make a difference: buildings beyond the circles today, and one in the middle
		const { rows: sites } = await sql<{ x: number; y: number }>`
			select ST_X(ST_Centroid(b.geom)) as x, ST_Y(ST_Centroid(b.geom)) as y
			from building b join building_coverage c on c.building_id = b.id
			where c.households > 0 order by c.circle = 0 desc, c.circle desc, md5(b.id::text) limit 4`.execute(db.kysely);
		let changed = 0;
		for (const { x, y } of sites) {
			const before = await communityFigures();
			const w = await whatIf(db.kysely, await engine.model(), x, y);
			expect(w.reach.filter(Boolean).length).toBe(3);
			const {
				rows: [{ id }]
			} = await sql<{ id: number }>`insert into service_centre (level, name, area_code, geom)
				select 'station', '假设站', left(grid_code, 12), ST_SetSRID(ST_MakePoint(${x}, ${y}), 4326)
				from building b order by ST_Distance(b.geom, ST_SetSRID(ST_MakePoint(${x}, ${y}), 4326)) limit 1 returning id`.execute(db.kysely);
			await engine.ensure();
			const after = await communityFigures();
			const newly = new Map(w.communities.map((c) => [c.code, c.newly]));
			for (const [code, a] of after) {
				const b = before.get(code)!;
				expect(
					a.map((v, k) => v - b[k]),
					code
				).toEqual(newly.get(code) ?? [0, 0, 0]);
			}
			for (const c of w.communities) expect(c.before).toEqual(before.get(c.code));
			changed += w.newly[2];
			await sql`delete from service_centre where id = ${id}`.execute(db.kysely);
			await engine.ensure();
		}
		expect(changed).toBeGreaterThan(0);
	});

	it('answers from memory in milliseconds once the model is loaded', async () => {
		const model = await engine.model();
		const b = model.network.buildings;
		const started = performance.now();
		for (let k = 0; k < 20; k++) await whatIf(db.kysely, model, b.lon[k * 37], b.lat[k * 37]);
		expect((performance.now() - started) / 20).toBeLessThan(200);
	});
});
