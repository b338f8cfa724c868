// The scope keys of sql/009 on both backends: every row that row-level security protects carries
// the code of its scope, the schema keeps it true whatever moves, and an already-populated
// database gets them when it migrates.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { migrate, readMigrationFiles } from '../../src/lib/server/db/migrate.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import type { Database } from '../../src/lib/server/db/schema.ts';
import { DERIVED_KEYS, DERIVED_MEMBER_COUNTS, type DerivedKeyRow as KeyRow } from './scope-derived.ts';
import { everyOf } from '../helpers/every-of.ts';

const G1 = '420105001001001';
const G2 = '420105001001002';
const G3 = '420105002001001';

const square = (x: number, y: number, d: number) => `SRID=4326;MULTIPOLYGON(((${x} ${y},${x + d} ${y},${x + d} ${y + d},${x} ${y + d},${x} ${y})))`;

/**
 * A small district written without any scope key, so it loads before sql/009 as well as after it
 * (where the triggers fill the keys). Members 4, 5, 6 and 8 have no household: they belong where
 * their organisation is (org 3 and 4 through their building, 5 and 1 through their area).
 */
const FIXTURE = `
insert into area (code, level, kind, name, parent_code, geom) values
 ('420105', 'district', null, '汉阳区', null, '${square(114.2, 30.5, 0.1)}'),
 ('420105001', 'street', null, '西街道', '420105', '${square(114.2, 30.5, 0.05)}'),
 ('420105002', 'street', null, '东街道', '420105', '${square(114.25, 30.5, 0.05)}'),
 ('420105001001', 'community', 'community', '西社区', '420105001', '${square(114.2, 30.5, 0.05)}'),
 ('420105002001', 'community', 'village', '东村', '420105002', '${square(114.25, 30.5, 0.05)}'),
 ('${G1}', 'grid', null, '一网格', '420105001001', '${square(114.2, 30.5, 0.02)}'),
 ('${G2}', 'grid', null, '二网格', '420105001001', '${square(114.22, 30.5, 0.02)}'),
 ('${G3}', 'grid', null, '三网格', '420105002001', '${square(114.25, 30.5, 0.05)}');
insert into building (id, grid_code, kind, address, floors, height, units, geom) overriding system value values
 (1, '${G1}', 'residential', '1号楼', 18, 54, 2, '${square(114.201, 30.501, 0.0005)}'),
 (2, '${G1}', 'office', '2号楼', 20, 80, 1, '${square(114.203, 30.501, 0.0005)}'),
 (3, '${G2}', 'residential', '3号楼', 6, 18, 2, '${square(114.221, 30.501, 0.0005)}'),
 (4, '${G3}', 'residential', '4号楼', 6, 18, 1, '${square(114.251, 30.501, 0.0005)}');
insert into household (id, building_id, unit, floor, room, residents) overriding system value values
 (1, 1, 1, 1, '101', 3), (2, 1, 1, 1, '102', 2), (3, 1, 2, 1, '101', 1), (4, 2, 1, 5, '501', 1),
 (5, 3, 1, 1, '101', 2), (6, 3, 2, 1, '101', 4), (7, 4, 1, 1, '101', 2);
insert into party_org (id, kind, name, parent_id, area_code, building_id) overriding system value values
 (1, 'district_committee', '区委', null, '420105', null),
 (2, 'grid_branch', '一网格党支部', 1, '${G1}', null),
 (3, 'building_group', '1号楼党小组', 2, null, 1),
 (4, 'office_branch', '2号楼党支部', 1, null, 2),
 (5, 'street_committee', '东街道大工委', 1, '420105002', null);
insert into party_member (id, name, gender, birth_year, status, joined_on, org_id, household_id) overriding system value values
 (1, '甲', 'male', 1960, 'formal', '1990-07-01', 3, 1),
 (2, '乙', 'female', 1965, 'formal', '1995-07-01', 3, 2),
 (3, '丙', 'male', 1970, 'formal', '2000-07-01', 1, 5),
 (4, '丁', 'female', 1980, 'formal', '2005-07-01', 3, null),
 (5, '戊', 'male', 1985, 'formal', '2010-07-01', 4, null),
 (6, '己', 'female', 1990, 'formal', '2015-07-01', 5, null),
 (7, '庚', 'male', 1975, 'formal', '2001-07-01', 2, 7),
 (8, '辛', 'female', 1955, 'formal', '1980-07-01', 1, null);
insert into central_household (household_id, member_id) values (1, 1), (5, 3);
insert into central_household_link (central_household_id, household_id) values (1, 2), (1, 4), (1, 5), (5, 6);
insert into building_leader (id, role, building_id, unit, name) overriding system value values
 (1, 'building', 1, null, '楼栋长'), (2, 'unit', 3, 1, '单元长'), (3, 'building', 4, null, '楼栋长');
select setval(pg_get_serial_sequence('household', 'id'), 100);
select setval(pg_get_serial_sequence('party_member', 'id'), 100);
select setval(pg_get_serial_sequence('building_leader', 'id'), 100);
`;

async function keys(db: TestDb): Promise<KeyRow[]> {
	return withScope(db, '*', async (trx) => {
		// tables of later migrations (requests, sql/016) are not there while only 001–009 are applied
		const { rows } = await sql<{ t: string | null; c: string | null }>`
			select to_regclass('request')::text as t, to_regclass('building_member_count')::text as c`.execute(trx);
		let text = DERIVED_KEYS;
		if (!rows[0].c) text = text.slice(0, text.lastIndexOf("union all\nselect 'building_member_count'"));
		if (!rows[0].t) text = text.slice(0, text.lastIndexOf("union all\nselect 'request'"));
		return (await sql.raw<KeyRow>(text).execute(trx)).rows;
	});
}

/**
 * each building's count of members living there as the schema keeps it (sql/025), after checking
 * it and the households with members (sql/032) equal a count from scratch
 */
async function consistentCounts(db: TestDb): Promise<Map<string, number>> {
	return withScope(db, '*', async (trx) => {
		const { rows } = await sql<{ c: string | null }>`select to_regclass('building_member_count')::text as c`.execute(trx);
		if (!rows[0].c) return new Map();
		const counts = (await sql.raw<{ building: string; stored: string | null; derived: string | null }>(DERIVED_MEMBER_COUNTS).execute(trx)).rows;
		for (const r of counts) expect(r.stored, `members/households living in building ${r.building}`).toBe(r.derived);
		return new Map(counts.map((r) => [r.building, Number(r.stored!.split('/')[0])]));
	});
}

/**
 * The stored key of every row, as 'table id' → key, after checking each equals the derived one,
 * and each building's member count equals its members'.
 */
async function consistentKeys(db: TestDb): Promise<Map<string, string>> {
	const rows = await keys(db);
	for (const r of rows) expect(r.stored, `${r.t} ${r.id}`).toBe(r.derived);
	await consistentCounts(db);
	return new Map(rows.map((r) => [`${r.t} ${r.id}`, r.stored!]));
}

function system<T>(db: TestDb, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
	return withScope(db, '*', fn);
}

/** one or more statements, as the system ('*'), in one transaction */
function run(db: TestDb, text: string): Promise<void> {
	return db.runScript(`select set_config('jiceng.scope', '*', true);\n${text}`);
}

describe.each(backends)('scope keys on %s PostGIS', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		await run(db, FIXTURE);
	});
	afterAll(() => db?.drop());

	it('fills every key on insert when the writer leaves it out', async () => {
		const k = await consistentKeys(db);
		// households, members, central households, links, leaders, and the buildings members live in
		expect(k.size).toBe(7 + 8 + 2 + 4 + 3 + 3);
		expect(k.get('household 1')).toBe(G1);
		expect(k.get('party_member 4')).toBe(G1); // no household: org 3, seated in building 1
		expect(k.get('party_member 5')).toBe(G1); // no household: org 4, seated in building 2
		expect(k.get('party_member 6')).toBe('420105002'); // no household: org 5's street
		expect(k.get('party_member 8')).toBe('420105'); // the district committee's
		expect(k.get('central_household_link 1>5')).toBe(G2); // where the household looked after lives
		expect(k.get('building_leader 2')).toBe(G2);
	});

	it('moves every row of a building that moves to another grid with it', async () => {
		await run(db, `update building set grid_code = '${G3}' where id = 1`);
		const k = await consistentKeys(db);
		for (const key of [
			'household 1',
			'household 2',
			'household 3',
			'party_member 1',
			'party_member 2',
			'party_member 4',
			'central_household 1',
			'central_household_link 1>2',
			'building_leader 1'
		]) {
			expect(k.get(key), key).toBe(G3);
		}
		// rows of the building's neighbours stay
		expect(k.get('household 4')).toBe(G1);
		expect(k.get('central_household_link 1>4')).toBe(G1);
		expect(k.get('party_member 5')).toBe(G1);
		await run(db, `update building set grid_code = '${G1}' where id = 1`);
		expect((await consistentKeys(db)).get('party_member 4')).toBe(G1);
	});

	it('gives a household moved to another building its new key, or refuses a wrong one', async () => {
		// key left as it was: it follows the building, and the household's members and links follow it
		await run(db, `update household set building_id = 3, unit = 2, room = '201' where id = 4`);
		let k = await consistentKeys(db);
		expect(k.get('household 4')).toBe(G2);
		expect(k.get('central_household_link 1>4')).toBe(G2);
		// a key that disagrees with the new building: refused, nothing changes
		await expect(run(db, `update household set building_id = 4, grid_code = '${G1}' where id = 4`)).rejects.toThrow(/household_building_fkey/);
		// the right key given explicitly: accepted
		await run(db, `update household set building_id = 4, grid_code = '${G3}' where id = 4`);
		k = await consistentKeys(db);
		expect(k.get('household 4')).toBe(G3);
		expect(k.get('central_household_link 1>4')).toBe(G3);
		await run(db, `update household set building_id = 2, unit = 1, room = '501' where id = 4`);
		expect((await consistentKeys(db)).get('household 4')).toBe(G1);
	});

	it('refuses a key that disagrees with the parent, and a parent that does not exist, by name', async () => {
		await expect(run(db, `insert into household (building_id, grid_code, unit, floor, room, residents) values (1, '${G2}', 1, 9, '901', 1)`)).rejects.toThrow(
			/household_building_fkey/
		);
		await expect(run(db, `insert into household (building_id, unit, floor, room, residents) values (999, 1, 9, '901', 1)`)).rejects.toThrow(
			/building 999 does not exist/
		);
		await expect(
			run(
				db,
				`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id, scope_code)
			values ('壬', 'male', 1990, 'formal', '2020-07-01', 2, 1, '${G2}')`
			)
		).rejects.toThrow(/party_member_household_fkey/);
		await expect(
			run(
				db,
				`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id)
			values ('壬', 'male', 1990, 'formal', '2020-07-01', 2, 999)`
			)
		).rejects.toThrow(/household 999 does not exist/);
		await expect(run(db, `insert into central_household_link (central_household_id, household_id, grid_code) values (1, 3, '${G2}')`)).rejects.toThrow(
			/central_household_link_household_fkey/
		);
		await expect(run(db, `insert into building_leader (role, building_id, unit, name, grid_code) values ('unit', 1, 2, '单元长', '${G3}')`)).rejects.toThrow(
			/building_leader_building_fkey/
		);
		await expect(run(db, `update central_household set grid_code = '${G3}' where household_id = 1`)).rejects.toThrow(/central_household_household_fkey/);
		// with no household, the key is the organisation's whatever the writer says
		await run(
			db,
			`insert into party_member (id, name, gender, birth_year, status, joined_on, org_id, scope_code) overriding system value
			values (9, '壬', 'male', 1990, 'formal', '2020-07-01', 5, '${G1}')`
		);
		expect((await consistentKeys(db)).get('party_member 9')).toBe('420105002');
		await run(db, `delete from party_member where id = 9`);
	});

	it('keeps members, links and leaders moving with their own parent', async () => {
		await run(db, `update central_household_link set household_id = 6 where central_household_id = 1 and household_id = 5`);
		await run(db, `update building_leader set building_id = 4 where id = 2`);
		await run(db, `update party_member set household_id = 7 where id = 1`);
		let k = await consistentKeys(db);
		expect(k.get('central_household_link 1>6')).toBe(G2);
		expect(k.get('building_leader 2')).toBe(G3);
		expect(k.get('party_member 1')).toBe(G3);
		// a member who leaves their household belongs where their organisation is; so does one who changes organisation
		await run(db, `update party_member set household_id = null where id = 1`);
		expect((await consistentKeys(db)).get('party_member 1')).toBe(G1);
		await run(db, `update party_member set org_id = 5 where id = 1`);
		expect((await consistentKeys(db)).get('party_member 1')).toBe('420105002');
		await run(db, `update party_member set org_id = 3, household_id = 1 where id = 1`);
		k = await consistentKeys(db);
		expect(k.get('party_member 1')).toBe(G1);
	});

	it('takes members without a household along when their organisation, or its building, moves', async () => {
		await run(db, `update party_org set area_code = '${G2}' where id = 3`);
		let k = await consistentKeys(db);
		expect(k.get('party_member 4')).toBe(G2);
		expect(k.get('party_member 1')).toBe(G1); // has a household: stays with it
		await run(db, `update party_org set area_code = null where id = 3`);
		await run(db, `update party_org set building_id = 3 where id = 4`);
		k = await consistentKeys(db);
		expect(k.get('party_member 4')).toBe(G1);
		expect(k.get('party_member 5')).toBe(G2);
		await run(db, `update building set grid_code = '${G3}' where id = 3`);
		k = await consistentKeys(db);
		expect(k.get('party_member 5')).toBe(G3);
		expect(k.get('household 5')).toBe(G3);
		expect(k.get('party_member 3')).toBe(G3);
		await run(db, `update building set grid_code = '${G2}' where id = 3; update party_org set building_id = 2 where id = 4`);
		expect((await consistentKeys(db)).get('party_member 5')).toBe(G1);
	});

	it('gives the members of a deleted household their organisation’s scope', async () => {
		await run(db, `delete from household where id = 2`);
		const k = await consistentKeys(db);
		expect(k.get('party_member 2')).toBe(G1);
		expect(k.has('central_household_link 1>2')).toBe(false);
		const [m] = (await system(db, (trx) => sql<{ household_id: number | null }>`select household_id from party_member where id = 2`.execute(trx))).rows;
		expect(m.household_id).toBeNull();
	});

	it('keeps the count of members living in each building (sql/025) through every kind of write', async () => {
		// every test above checked the counts after its moves (consistentKeys); here the writes that
		// add and remove members, several rows in one statement, and truncation
		const before = await consistentCounts(db);
		expect(before.size).toBeGreaterThan(0);
		await run(
			db,
			`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id) values
			('壬', 'male', 1970, 'formal', '2000-07-01', 2, 4), ('癸', 'female', 1972, 'formal', '2001-07-01', 2, 4), ('子', 'male', 1980, 'formal', '2002-07-01', 2, 6)`
		);
		let c = await consistentCounts(db);
		expect(c.get('2')).toBe((before.get('2') ?? 0) + 2);
		expect(c.get('3')).toBe((before.get('3') ?? 0) + 1);
		// one statement moving members both ways between two buildings, and one leaving its household
		await run(
			db,
			`update party_member set household_id = case household_id when 4 then 6 else 4 end where name in ('壬', '子');
			update party_member set household_id = null where name = '癸'`
		);
		c = await consistentCounts(db);
		expect(c.get('2')).toBe((before.get('2') ?? 0) + 1);
		expect(c.get('3')).toBe((before.get('3') ?? 0) + 1);
		// a household moving house takes its members' count along
		await run(db, `update household set building_id = 4, unit = 1, room = '901' where id = 6`);
		c = await consistentCounts(db);
		expect(c.get('3') ?? 0).toBe(before.get('3') ?? 0);
		await run(db, `update household set building_id = 3, unit = 2, room = '101' where id = 6`);
		await run(db, `delete from party_member where name in ('壬', '癸', '子')`);
		expect(await consistentCounts(db)).toEqual(before);
		if (backend === 'server') {
			// only the schema writes it: the app role may read, never write
			await expect(
				db.runScript(`set local role jiceng_app; select set_config('jiceng.scope', '*', true); update building_member_count set living = living + 1`)
			).rejects.toThrow(/permission denied/);
		}
	});

	it('empties the member counts when members or households are truncated', async () => {
		const scratch = await freshDb(backend);
		try {
			await run(scratch, FIXTURE);
			expect((await consistentCounts(scratch)).size).toBe(3);
			await run(scratch, `truncate party_member cascade`);
			expect((await consistentCounts(scratch)).size).toBe(0);
			await run(scratch, `truncate area, party_org cascade; ${FIXTURE}`);
			expect((await consistentCounts(scratch)).size).toBe(3);
			await run(scratch, `truncate household cascade`);
			expect((await consistentCounts(scratch)).size).toBe(0);
		} finally {
			await scratch.drop();
		}
	});

	it('replaces the single-column foreign keys with the composite ones', async () => {
		const { rows } = await sql<{ conname: string; def: string }>`
			select conname, pg_get_constraintdef(oid) as def from pg_constraint
			where contype = 'f' and conrelid::regclass::text in ('household', 'party_member', 'central_household', 'central_household_link', 'building_leader')
			order by conname`.execute(db.kysely);
		const defs = new Map(rows.map((r) => [r.conname, r.def]));
		expect(defs.get('household_building_fkey')).toMatch(/\(building_id, grid_code\) REFERENCES building\(id, grid_code\) ON UPDATE CASCADE ON DELETE CASCADE/);
		expect(defs.get('party_member_household_fkey')).toMatch(
			/\(household_id, scope_code\) REFERENCES household\(id, grid_code\) ON UPDATE CASCADE ON DELETE SET NULL \(household_id\)/
		);
		for (const name of [
			'household_building_id_fkey',
			'party_member_household_id_fkey',
			'central_household_household_id_fkey',
			'central_household_link_household_id_fkey',
			'building_leader_building_id_fkey'
		])
			expect(defs.has(name), name).toBe(false);
	});
});

describe.each(backends)('sql/009 on an already-populated %s PostGIS', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend, { migrated: false });
	});
	afterAll(() => db?.drop());

	it('backfills every key from the data, then keeps them', async () => {
		const files = readMigrationFiles();
		const dir = mkdtempSync(join(tmpdir(), 'jiceng-sql-'));
		const copy = (upTo: string) => {
			for (const f of files) if (f.name < upTo) writeFileSync(join(dir, f.name), f.text);
		};
		copy('009');
		await migrate(db, undefined, dir);
		await run(db, FIXTURE);
		copy('010');
		expect(await migrate(db, undefined, dir)).toEqual(['009_scope_keys.sql']);
		const k = await consistentKeys(db);
		expect(k.size).toBe(24);
		expect(k.get('party_member 4')).toBe(G1);
		expect(k.get('party_member 8')).toBe('420105');
		// the rest of the migrations still apply on top
		expect(everyOf(await migrate(db), (name) => name > '009')).toBe(true);
		// and the schema keeps them from then on
		await run(db, `update building set grid_code = '${G2}' where id = 1`);
		expect((await consistentKeys(db)).get('central_household_link 1>2')).toBe(G2);
	});
});
