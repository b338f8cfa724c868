// Migrations and a data round trip on both backends.
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { appliedMigrations, migrate, readMigrationFiles } from '../../src/lib/server/db/migrate.ts';
import { renderSchemaTypes } from '../../src/lib/server/db/introspect.ts';
import { everyOf } from '../helpers/every-of.ts';

describe.each(backends)('migrations on %s PostGIS', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend, { migrated: false });
	});
	afterAll(() => db?.drop());

	it('applies every sql/ file once, in order, and records it', async () => {
		const files = readMigrationFiles().map((f) => f.name);
		expect(files.length).toBeGreaterThanOrEqual(4);
		expect(await migrate(db)).toEqual(files);
		expect((await appliedMigrations(db)).map((m) => m.name)).toEqual(files);
		expect(await migrate(db)).toEqual([]);
	});

	it('keeps the Kysely table types in step with the SQL', async () => {
		const committed = readFileSync('src/lib/server/db/schema.ts', 'utf8');
		expect(await renderSchemaTypes(db), 'schema.ts is stale: run npm run db:types').toBe(committed);
	});

	it('rolls back a failing migration whole and refuses an edited one', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'jiceng-sql-'));
		for (const f of readMigrationFiles()) writeFileSync(join(dir, f.name), f.text);
		writeFileSync(join(dir, '900_broken.sql'), 'create table half_done (id int);\nselect no_such_function();');
		await expect(migrate(db, undefined, dir)).rejects.toThrow(/no_such_function/);
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name = 'half_done'`.execute(db.kysely);
		expect(rows[0].n).toBe(0);
		expect((await appliedMigrations(db)).map((m) => m.name)).not.toContain('900_broken.sql');

		const first = readMigrationFiles()[0];
		writeFileSync(join(dir, first.name), `${first.text}\n-- edited`);
		writeFileSync(join(dir, '900_broken.sql'), 'select 1;');
		await expect(migrate(db, undefined, dir)).rejects.toThrow(/changed after it was applied/);
	});

	it('round-trips a district, a building, a household and a member', async () => {
		const square = (x: number, y: number, d: number) => `SRID=4326;MULTIPOLYGON(((${x} ${y},${x + d} ${y},${x + d} ${y + d},${x} ${y + d},${x} ${y})))`;
		await db.kysely.transaction().execute(async (trx) => {
			await trx
				.insertInto('area')
				.values([
					{ code: '420105', level: 'district', kind: null, name: '汉阳区', parent_code: null, geom: square(114.2, 30.5, 0.1) },
					{ code: '420105001', level: 'street', kind: null, name: '鹦鹉街道', parent_code: '420105', geom: square(114.2, 30.5, 0.1) },
					{ code: '420105001001', level: 'community', kind: 'community', name: '琴台社区', parent_code: '420105001', geom: square(114.2, 30.5, 0.1) },
					{ code: '420105001001001', level: 'grid', kind: null, name: '第一网格', parent_code: '420105001001', geom: square(114.2, 30.5, 0.1) }
				])
				.execute();
			const building = await trx
				.insertInto('building')
				.values({
					grid_code: '420105001001001',
					kind: 'residential',
					address: '汉阳区琴台路1号',
					floors: 18,
					height: 54,
					units: 2,
					geom: square(114.21, 30.51, 0.0005)
				})
				.returning('id')
				.executeTakeFirstOrThrow();
			const household = await trx
				.insertInto('household')
				.values({ building_id: building.id, grid_code: '420105001001001', unit: 1, floor: 3, room: '302', residents: 3 })
				.returning('id')
				.executeTakeFirstOrThrow();
			const root = await trx
				.insertInto('party_org')
				.values({ kind: 'district_committee', name: '中共汉阳区委', area_code: '420105' })
				.returning('id')
				.executeTakeFirstOrThrow();
			await trx
				.insertInto('party_member')
				.values({
					name: '张明',
					gender: 'male',
					birth_year: 1980,
					phone: '10012345678',
					status: 'formal',
					joined_on: '2005-07-01',
					org_id: root.id,
					household_id: household.id,
					scope_code: '420105001001001'
				})
				.execute();
		});
		const member = await db.kysely
			.selectFrom('party_member as m')
			.innerJoin('household as h', 'h.id', 'm.household_id')
			.innerJoin('building as b', 'b.id', 'h.building_id')
			.select(['m.name', 'm.joined_on', 'h.room', 'b.floors', 'b.height', sql<string>`ST_AsText(b.geom)`.as('wkt'), 'm.id'])
			.executeTakeFirstOrThrow();
		expect(member).toMatchObject({ name: '张明', joined_on: '2005-07-01', room: '302', floors: 18, height: 54 });
		expect(typeof member.id).toBe('number');
		expect(member.wkt).toBe('MULTIPOLYGON(((114.21 30.51,114.2105 30.51,114.2105 30.5105,114.21 30.5105,114.21 30.51)))');
	});

	it('rejects bad rows with the constraint that names the field', async () => {
		await expect(
			db.kysely
				.insertInto('building')
				.values({
					grid_code: '420105001001001',
					kind: 'castle' as never,
					address: 'x',
					floors: 1,
					height: 3,
					geom: 'SRID=4326;MULTIPOLYGON(((0 0,1 1,1 0,0 1,0 0)))'
				})
				.execute()
		).rejects.toThrow(/building_kind_check|building_geom_valid/);
		await expect(
			db.kysely
				.insertInto('area')
				.values({
					code: '420105001001002',
					level: 'grid',
					kind: null,
					name: '自交网格',
					parent_code: '420105001001',
					geom: 'SRID=4326;MULTIPOLYGON(((0 0,1 1,1 0,0 1,0 0)))'
				})
				.execute()
		).rejects.toThrow(/area_geom_valid/);
	});

	it('bumps the data version on every write', async () => {
		const before = (await db.kysely.selectFrom('data_version').select('version').executeTakeFirstOrThrow()).version;
		await db.kysely.updateTable('area').set({ name: '汉阳区（改）' }).where('code', '=', '420105').execute();
		const after = (await db.kysely.selectFrom('data_version').select('version').executeTakeFirstOrThrow()).version;
		expect(after).toBeGreaterThan(before);
	});
});

describe('the embedded backend queues concurrent work (Kysely’s single-connection lock over PGlite)', () => {
	it('keeps one caller’s transaction apart from another’s queries', async () => {
		const db = await freshDb('embedded');
		try {
			await sql`create table counter (n int)`.execute(db.kysely);
			await sql`insert into counter values (0)`.execute(db.kysely);
			// a transaction that fails after writing must not leak its write into concurrent reads
			let updated!: () => void;
			const hasUpdated = new Promise<void>((resolve) => (updated = resolve));
			const failing = db.kysely.transaction().execute(async (trx) => {
				await sql`update counter set n = 100`.execute(trx);
				updated();
				await new Promise((r) => setTimeout(r, 100));
				throw new Error('abort');
			});
			await hasUpdated;
			const reads = Promise.all(Array.from({ length: 20 }, () => sql<{ n: number }>`select n from counter`.execute(db.kysely)));
			const increments = Promise.all(
				Array.from({ length: 20 }, () => db.kysely.transaction().execute((trx) => sql`update counter set n = n + 1`.execute(trx)))
			);
			await expect(failing).rejects.toThrow('abort');
			const seen = (await reads).map((r) => r.rows[0].n);
			await increments;
			expect(everyOf(seen, (n) => n < 100)).toBe(true);
			const { rows } = await sql<{ n: number }>`select n from counter`.execute(db.kysely);
			expect(rows[0].n).toBe(20);
		} finally {
			await db.drop();
		}
	});
});
