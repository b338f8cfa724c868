// The search box on both backends: building, area and organisation hits found through the schema's
// indexes of name pieces (sql/028) are exactly those a scan of every row finds, whatever the query
// (one character, two, longer, Latin in either case, LIKE's wildcards typed literally, common
// pieces), in each scope; and they follow every insert, rename and delete.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { SYSTEM, withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { search } from '../../src/lib/server/db/queries/search.ts';

const WIDE = 100_000;

/** the building hits of a scan of every building: what search() answered before its index */
async function scanned(trx: Scoped, scope: string, q: string): Promise<string[]> {
	const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
	const { rows } = await sql<{ target: string }>`
		select 'b:' || b.id as target,
		       case when b.address like ${`${q}%`} or b.name like ${`${q}%`} then 2 else 3 end as rank
		from building b where (b.address ilike ${pattern} or b.name ilike ${pattern}) and b.grid_code like ${`${scope}%`}
		order by 2, b.id limit ${WIDE}`.execute(trx);
	return rows.map((r) => r.target).sort();
}

/** every hit of a scan of every area, building and organisation: what search() answered before its indexes */
async function scannedAll(trx: Scoped, scope: string, q: string): Promise<string[]> {
	const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
	const inScope = `${scope}%`;
	const { rows } = await sql<{ type: string; target: string }>`
		(select 'area' as type, a.code as target from area a where a.name ilike ${pattern} and a.code like ${inScope})
		union all
		(select 'building', 'b:' || b.id from building b where (b.address ilike ${pattern} or b.name ilike ${pattern}) and b.grid_code like ${inScope})
		union all
		(select 'organisation', coalesce(o.area_code, 'b:' || o.building_id) || ' ' || o.name from party_org o left join building ob on ob.id = o.building_id
		 where o.name ilike ${pattern} and coalesce(o.area_code, ob.grid_code) like ${inScope})`.execute(trx);
	return rows.map((r) => `${r.type} ${r.target}`).sort();
}

/** every hit of search() with a limit no branch reaches */
const allHits = async (trx: Scoped, q: string) =>
	(await search(trx, q, WIDE)).map((h) => `${h.type} ${h.target}${h.type === 'organisation' ? ` ${h.label}` : ''}`).sort();

/** the building hits of search() with a limit no branch reaches (the box's own shares 20 among areas, buildings and organisations) */
const buildingHits = async (trx: Scoped, q: string) =>
	(await search(trx, q, WIDE))
		.filter((h) => h.type === 'building')
		.map((h) => h.target)
		.sort();

describe.each(backends)('search on %s PostGIS', (backend) => {
	let db: TestDb;
	let district: string;
	let grid: string;
	let queries: string[];

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		const { rows } = await sql<{ code: string; level: string }>`select code, level from area where level in ('district', 'grid') order by level, code`.execute(
			db.kysely
		);
		district = rows.find((r) => r.level === 'district')!.code;
		grid = rows.find((r) => r.level === 'grid')!.code;
		const { rows: texts } = await sql<{ address: string }>`select address from building order by md5(id::text) limit 6`.execute(db.kysely);
		// pieces of real addresses (2, 3 and 5 characters, the middle and the start), single
		// characters, Latin in other cases, wildcards and a miss
		queries = texts.flatMap(({ address }) => {
			const c = [...address];
			return [c.slice(3, 5).join(''), c.slice(0, 3).join(''), c.slice(-5).join(''), c[4]];
		});
		// and of area and organisation names (the two characters people type, and the whole name)
		const { rows: names } = await sql<{ name: string }>`
			(select name from area order by md5(code) limit 4) union all (select name from party_org order by md5(id::text) limit 4)`.execute(db.kysely);
		queries.push(...names.flatMap(({ name }) => [[...name].slice(0, 2).join(''), [...name].slice(1, 3).join(''), name]));
		queries.push('号', '1号', 'Tower', 'tOWER a', '%', '_', '1%', '不存在的地址', '社区', '党支部', '网格');
		await sql`update building set name = 'Tower A座' where id = (select min(id) from building)`.execute(db.kysely);
	}, 240_000);
	afterAll(() => db?.drop());

	it('finds the buildings a scan of every building finds, for every kind of query, in each scope', async () => {
		let found = 0;
		for (const scope of [district, grid])
			await withScope(db, scope, async (trx) => {
				for (const q of queries) {
					const hits = await buildingHits(trx, q);
					expect(hits, `${q} in ${scope}`).toEqual(await scanned(trx, scope, q));
					found += hits.length;
				}
			});
		expect(found).toBeGreaterThan(queries.length);
		// areas and organisations too: every hit, in each scope
		let named = 0;
		for (const scope of [district, grid])
			await withScope(db, scope, async (trx) => {
				for (const q of queries) {
					const hits = await allHits(trx, q);
					expect(hits, `${q} in ${scope}`).toEqual(await scannedAll(trx, scope, q));
					named += hits.filter((h) => !h.startsWith('building')).length;
				}
			});
		expect(named).toBeGreaterThan(queries.length);
		const tower = await withScope(db, district, (trx) => buildingHits(trx, 'tower a'));
		expect(tower).toHaveLength(1);
	});

	it('follows buildings added, renamed, re-addressed and deleted', async () => {
		const { rows } = await sql<{ id: number; grid_code: string }>`select id::int, grid_code from building order by id desc limit 2`.execute(db.kysely);
		const [a, b] = rows;
		await sql`update building set name = '新名字大厦' where id = ${a.id}`.execute(db.kysely);
		await sql`update building set address = '测试路99号' where id = ${b.id}`.execute(db.kysely);
		await sql`insert into building (grid_code, kind, address, name, floors, height, units, geom)
			select grid_code, kind, '测试路100号', null, floors, height, units, geom from building where id = ${b.id}`.execute(db.kysely);
		await withScope(db, district, async (trx) => {
			expect(await buildingHits(trx, '名字大')).toEqual([`b:${a.id}`]);
			expect((await buildingHits(trx, '测试路')).length).toBe(2);
			expect(await buildingHits(trx, '测试路')).toEqual(await scanned(trx, district, '测试路'));
		});
		await sql`delete from building where address = '测试路100号'`.execute(db.kysely);
		await withScope(db, district, async (trx) => expect(await buildingHits(trx, '测试路')).toEqual([`b:${b.id}`]));
	});

	it('follows areas and organisations added, renamed and deleted', async () => {
		const hitsOf = (q: string) => withScope(db, district, (trx) => allHits(trx, q));
		await withScope(db, SYSTEM, async (trx) => {
			await sql`update area set name = '试验网格甲' where code = ${grid}`.execute(trx);
			await sql`insert into party_org (kind, name, area_code, parent_id) values ('grid_branch', '试验党支部乙', ${grid}, (select min(id) from party_org))`.execute(
				trx
			);
		});
		expect(await hitsOf('网格甲')).toEqual([`area ${grid}`]);
		expect(await hitsOf('部乙')).toEqual([`organisation ${grid} 试验党支部乙`]);
		expect(await hitsOf('试验')).toEqual(await withScope(db, district, (trx) => scannedAll(trx, district, '试验')));
		await withScope(db, SYSTEM, async (trx) => {
			await sql`update party_org set name = '改名党小组丙' where name = '试验党支部乙'`.execute(trx);
		});
		expect(await hitsOf('部乙')).toEqual([]);
		expect(await hitsOf('小组丙')).toEqual([`organisation ${grid} 改名党小组丙`]);
		await withScope(db, SYSTEM, (trx) => sql`delete from party_org where name = '改名党小组丙'`.execute(trx));
		expect(await hitsOf('小组丙')).toEqual([]);
	});
});
