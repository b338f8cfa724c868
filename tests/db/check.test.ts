// db:check finds crafted violations and names the codes involved, on each backend.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { checkDatabase, type Violation } from '../../src/lib/server/db/check.ts';

describe.each(backends)('checkDatabase (%s)', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
	});
	beforeEach(async () => {
		await seedDemo(db, { scale: 'small', seed: 3 });
	});
	afterAll(async () => {
		await db?.drop();
	});
	const rows = async <T>(q: string) => (await sql.raw<T>(q).execute(db.kysely)).rows;
	const find = (vs: Violation[], rule: string, codes: string[]) => vs.find((v) => v.rule === rule && codes.every((c) => v.codes.includes(c)));

	it('passes the seeded data', async () => {
		expect(await checkDatabase(db)).toEqual([]);
	});

	it('names two grids that overlap', async () => {
		const [{ a, b }] = await rows<{ a: string; b: string }>(`select x.code as a, y.code as b from area x join area y
			on x.level = 'grid' and y.level = 'grid' and x.parent_code = y.parent_code and x.code < y.code and ST_Intersects(x.geom, y.geom)
			order by 1, 2 limit 1`);
		// grid a swallows its neighbour b
		await rows(`update area set geom = ST_Multi((select ST_Union(geom) from area where code in ('${a}', '${b}'))) where code = '${a}'`);
		const vs = await checkDatabase(db);
		expect(find(vs, 'overlap', [a, b]), JSON.stringify(vs)).toBeDefined();
		expect(vs.filter((v) => v.rule === 'check_failed')).toEqual([]);
	});

	it('names the community a deleted grid leaves a hole in', async () => {
		// a grid no organisation or service centre names (a planted grid without a branch)
		const [{ code, parent, other }] = await rows<{ code: string; parent: string; other: string }>(`select g.code, g.parent_code as parent,
			(select o.code from area o where o.parent_code = g.parent_code and o.code <> g.code order by o.code limit 1) as other
			from area g where g.level = 'grid'
			and not exists (select 1 from party_org o where o.area_code = g.code)
			and not exists (select 1 from service_centre s where s.area_code = g.code)
			and exists (select 1 from area o where o.parent_code = g.parent_code and o.code <> g.code)
			order by g.code limit 1`);
		await rows(`update building set grid_code = '${other}' where grid_code = '${code}'`);
		await rows(`delete from area where code = '${code}'`);
		const vs = await checkDatabase(db);
		const gap = find(vs, 'gap', [parent]);
		expect(gap, JSON.stringify(vs.slice(0, 5))).toBeDefined();
		expect(gap!.detail).toMatch(/grids leave [\d,]+ m² of community/);
		// nothing else about the community's own shape is wrong
		expect(vs.filter((v) => v.rule === 'overlap' || v.rule === 'outside_parent')).toEqual([]);
	});

	it('names a building moved out of its grid', async () => {
		const [{ id, grid }] = await rows<{ id: number; grid: string }>(
			`select id, grid_code as grid from building where kind = 'residential' order by id limit 1`
		);
		// about 200 m east: out of its block, and so out of its grid
		await rows(`update building set geom = ST_Translate(geom, 0.002, 0) where id = ${id}`);
		const vs = await checkDatabase(db);
		expect(find(vs, 'building_outside_grid', [grid, `building:${id}`]), JSON.stringify(vs.slice(0, 5))).toBeDefined();
	});

	it('names a building stored invalid past its dropped constraint (the whole check asks; an import leaves it to the constraint)', async () => {
		const [{ id, grid }] = await rows<{ id: number; grid: string }>(`select id, grid_code as grid from building order by id limit 1`);
		await rows(`alter table building drop constraint building_geom_valid`);
		try {
			// a bow tie over its own box
			await rows(`update building set geom = (select ST_Multi(ST_MakePolygon(ST_MakeLine(array[
				ST_MakePoint(ST_XMin(b), ST_YMin(b)), ST_MakePoint(ST_XMax(b), ST_YMax(b)), ST_MakePoint(ST_XMax(b), ST_YMin(b)),
				ST_MakePoint(ST_XMin(b), ST_YMax(b)), ST_MakePoint(ST_XMin(b), ST_YMin(b))]))) from (select Box2D(geom) as b) x)
				where id = ${id}`);
			const vs = await checkDatabase(db);
			expect(find(vs, 'invalid_geometry', [grid, `building:${id}`]), JSON.stringify(vs.slice(0, 5))).toBeDefined();
			expect(vs.filter((v) => v.rule === 'check_failed')).toEqual([]);
		} finally {
			await rows(`delete from building where id = ${id}`);
			await rows(`alter table building add constraint building_geom_valid check (ST_IsValid(geom))`);
		}
	});

	it('names an area outside its parent and a parent without children', async () => {
		const [{ code, parent }] = await rows<{ code: string; parent: string }>(
			`select code, parent_code as parent from area where level = 'community' order by code limit 1`
		);
		await rows(`update area set geom = ST_Multi(ST_Translate(geom, 0.5, 0)) where code = (select min(code) from area where parent_code = '${code}')`);
		const vs = await checkDatabase(db);
		expect(vs.some((v) => v.rule === 'outside_parent' && v.codes.includes(code))).toBe(true);
		expect(vs.some((v) => v.rule === 'gap' && v.codes.includes(code))).toBe(true);
		void parent;
	});
});
