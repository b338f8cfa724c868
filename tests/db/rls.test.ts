// Row-level security on the server, and the same scoping in the application layer on both
// backends: a grid leader's transaction sees their grid's people and nothing else.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, APP_ROLE, type Db } from '../../src/lib/server/db/open.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { householdsOfBuilding, memberRecord } from '../../src/lib/server/db/queries/persons.ts';
import { search } from '../../src/lib/server/db/queries/search.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import type { Database } from '../../src/lib/server/db/schema.ts';

const PERSONAL_TABLES = ['household', 'party_member', 'central_household', 'central_household_link', 'building_leader'];

async function rows<T>(db: Kysely<Database>, text: string): Promise<T[]> {
	return (await sql.raw<T>(text).execute(db)).rows;
}

describe.each(backends)('scoping on %s PostGIS', (backend) => {
	let owner: TestDb;
	let grids: string[];
	let memberGrid: Map<number, string>;
	beforeAll(async () => {
		owner = await freshDb(backend);
		await seedDemo(owner, { scale: 'small', seed: 3 });
		grids = (await rows<{ code: string }>(owner.kysely, `select code from area where level = 'grid' order by code`)).map((r) => r.code);
		memberGrid = new Map((await rows<{ id: number; grid: string }>(owner.kysely,
			`select m.id, b.grid_code as grid from party_member m join household h on h.id = m.household_id join building b on b.id = h.building_id`))
			.map((r) => [r.id, r.grid]));
	});
	afterAll(() => owner?.drop());

	it('forces row-level security on every table with personal data, for a role that cannot bypass it', async () => {
		const tables = await rows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; owner: string }>(owner.kysely, `
			select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) as owner
			from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
			  and c.relname in (${PERSONAL_TABLES.map((t) => `'${t}'`).join(', ')})`);
		expect(tables.map((t) => t.relname).sort()).toEqual([...PERSONAL_TABLES].sort());
		for (const t of tables) {
			expect(t.relrowsecurity, t.relname).toBe(true);
			expect(t.relforcerowsecurity, t.relname).toBe(true);
			expect(t.owner, t.relname).not.toBe(APP_ROLE);
		}
		// every column that names or reaches a person lives in one of those tables
		const personal = await rows<{ table_name: string }>(owner.kysely, `
			select distinct table_name from information_schema.columns
			where table_schema = 'public' and column_name in ('phone', 'household_id', 'birth_year')`);
		for (const { table_name } of personal) expect(PERSONAL_TABLES, table_name).toContain(table_name);
		const [role] = await rows<{ rolsuper: boolean; rolbypassrls: boolean }>(owner.kysely,
			`select rolsuper, rolbypassrls from pg_roles where rolname = '${APP_ROLE}'`);
		expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
	});

	it('answers the application-layer queries from the caller’s grid only', async () => {
		const grid = grids[0];
		const viewer = viewerFor('grid_leader', grid, 1, 'leader');
		const [inside] = await rows<{ id: number }>(owner.kysely, `select b.id from building b join household h on h.building_id = b.id join party_member m on m.household_id = h.id where b.grid_code = '${grid}' limit 1`);
		const [outside] = await rows<{ id: number; member: number }>(owner.kysely, `select b.id, m.id as member from building b join household h on h.building_id = b.id join party_member m on m.household_id = h.id where b.grid_code <> '${grid}' limit 1`);
		await withScope(owner, grid, async (trx) => {
			const households = await householdsOfBuilding(trx, inside.id, viewer);
			expect(households?.length).toBeGreaterThan(0);
			for (const m of households!.flatMap((h) => h.members)) expect(memberGrid.get(m.id)).toBe(grid);
			expect(await householdsOfBuilding(trx, outside.id, viewer)).toBeUndefined();
			expect(await memberRecord(trx, outside.member, viewer)).toBeUndefined();
			for (const q of ['%', '_', '社区', '路']) {
				for (const hit of await search(trx, q, grid)) {
					if (hit.type !== 'building') expect(hit.target.startsWith(grid) || hit.target.startsWith('b:')).toBe(true);
				}
			}
		});
	});

	it.runIf(backend === 'server')('stops a query that forgets the filter, with row-level security alone', async () => {
		const app = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		try {
			const grid = grids[1];
			const expected = [...memberGrid].filter(([, g]) => g === grid).map(([id]) => id).sort((a, b) => a - b);
			expect(expected.length).toBeGreaterThan(0);
			const seen = await withScope(app, grid, async (trx) => {
				expect((await rows<{ u: string }>(trx, 'select current_user as u'))[0].u).toBe(APP_ROLE);
				// no WHERE clause at all: the policy is the only filter
				return (await rows<{ id: number }>(trx, 'select id from party_member where household_id is not null order by id')).map((r) => r.id);
			});
			expect(seen).toEqual(expected);
			// outside any scoped transaction: nothing
			expect(await rows(app.kysely, 'select id from party_member')).toEqual([]);
			expect(await rows(app.kysely, 'select id from household')).toEqual([]);
		} finally {
			await app.close();
		}
	});

	it.runIf(backend === 'server')('never lets interleaved users on a pool of 2 connections see each other’s rows', async () => {
		const app: Db = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		try {
			const asked = Array.from({ length: 40 }, (_, i) => grids[i % Math.min(6, grids.length)]);
			const answers = await Promise.all(asked.map((grid) =>
				withScope(app, grid, async (trx) => {
					await sql`select pg_sleep(0.005)`.execute(trx);
					return { grid, ids: (await rows<{ id: number }>(trx, 'select id from party_member')).map((r) => r.id) };
				})));
			for (const { grid, ids } of answers) {
				expect(ids.length).toBeGreaterThan(0);
				for (const id of ids) if (memberGrid.has(id)) expect(memberGrid.get(id), `member ${id} asked by ${grid}`).toBe(grid);
			}
			// and a query after them on the same two connections carries no scope over
			expect(await rows(app.kysely, 'select id from party_member')).toEqual([]);
		} finally {
			await app.close();
		}
	});
});

if (!serverUrl) console.warn('rls.test: no TEST_DATABASE_URL, server-only cases skipped');
