// The hierarchy checks an import runs around its write look only at the rows it writes (CheckFocus):
// they must find every violation that involves those rows — with a neighbour outside them too —
// and none that does not, on each backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { checkDatabase, checkWithin, type CheckFocus, type Violation } from '../../src/lib/server/db/check.ts';

const key = (v: Violation) => `${v.rule}|${v.codes.join(',')}`;

describe.each(backends)('hierarchy checks with a focus (%s)', (backend) => {
	let db: TestDb;
	let all: Violation[];
	const picked: { a: number; b: number; c: number; d: number; road: number } = { a: 0, b: 0, c: 0, d: 0, road: 0 };
	const rows = async <T>(q: string) => (await sql.raw<T>(q).execute(db.kysely)).rows;
	const focused = (layer: CheckFocus['layer'], ids: number[]) =>
		db.kysely.transaction().execute((trx) => checkWithin(trx, { layer, ids: sql`select id from unnest(${ids}::bigint[]) as t(id)` }));

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		const ids = (await rows<{ id: number }>(`select id from building order by id limit 40`)).map((r) => Number(r.id));
		[picked.a, picked.b, picked.c, picked.d] = [ids[0], ids[10], ids[20], ids[30]];
		// a sits on top of b (shifted by a few metres): they overlap
		await rows(`update building set geom = ST_Translate((select geom from building where id = ${picked.b}), 0.00002, 0.00002) where id = ${picked.a}`);
		// d moves about 200 m east, out of its grid
		await rows(`update building set geom = ST_Translate(geom, 0.002, 0) where id = ${picked.d}`);
		// a new road through c
		const [{ id: road }] = await rows<{ id: number }>(`insert into road (class, name, geom)
			select 'local', 'test', ST_MakeLine(ST_Translate(ST_Centroid(geom), -0.001, 0), ST_Translate(ST_Centroid(geom), 0.001, 0)) from building where id = ${picked.c}
			returning id`);
		picked.road = Number(road);
		all = await checkDatabase(db);
	}, 180_000);
	afterAll(async () => {
		await db?.drop();
	});

	const involving = (...codes: string[]) => all.filter((v) => codes.some((c) => v.codes.includes(c))).map(key);

	it('the whole checks find the three planted violations', () => {
		expect(involving(`building:${picked.a}`).some((k) => k.startsWith('building_overlap|'))).toBe(true);
		expect(involving(`building:${picked.d}`).some((k) => k.startsWith('building_outside_grid|'))).toBe(true);
		expect(involving(`road:${picked.road}`).some((k) => k.startsWith('building_crosses_road|'))).toBe(true);
	});

	it('a building focus finds what involves its buildings, with neighbours outside it, and nothing else', async () => {
		// a alone: the overlap with b (not in the focus), not d's grid nor c's road
		expect((await focused('buildings', [picked.a])).map(key).sort()).toEqual(involving(`building:${picked.a}`).sort());
		// b alone: the same overlap, found from the other side
		expect((await focused('buildings', [picked.b])).map(key).sort()).toEqual(involving(`building:${picked.b}`).sort());
		// c and d: the road through c (a road outside the focus), d out of its grid
		expect((await focused('buildings', [picked.c, picked.d])).map(key).sort()).toEqual(involving(`building:${picked.c}`, `building:${picked.d}`).sort());
	});

	it('a road focus finds the buildings it runs through; an empty focus finds nothing', async () => {
		expect((await focused('roads', [picked.road])).map(key).sort()).toEqual(involving(`road:${picked.road}`).sort());
		expect(await focused('buildings', [])).toEqual([]);
	});
});
