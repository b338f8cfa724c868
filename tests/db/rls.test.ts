// Row-level security on the server, and the same scoping in the application layer on both
// backends: a grid leader's transaction sees their grid's people and nothing else.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { openDb, APP_ROLE, type Db } from '../../src/lib/server/db/open.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { householdsOfBuilding, memberRecord } from '../../src/lib/server/db/queries/persons.ts';
import { search } from '../../src/lib/server/db/queries/search.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import type { Database } from '../../src/lib/server/db/schema.ts';
import { DERIVED_KEYS, PROTECTED_TABLES, ROW_ID, type DerivedKeyRow } from './scope-derived.ts';

const PERSONAL_TABLES: string[] = [...PROTECTED_TABLES];
/** tables with personal columns that only the system's work reads (scope '*'): no user scope sees a row */
const SYSTEM_ONLY_TABLES = ['coverage_change'];

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
		// residents' requests (sql/016): one per grid, at its first household
		await sql`insert into request (client_id, grid_code, household_id, geom, category, urgency, description)
			select 'rls-' || h.grid_code, h.grid_code, h.id, ST_PointOnSurface(b.geom), 'other', 'normal', 'test'
			from (select distinct on (grid_code) * from household order by grid_code, id) h join building b on b.id = h.building_id`.execute(owner.kysely);
		// visits (sql/015): one per grid, at its last household
		await sql`insert into visit (client_id, household_id, grid_code, kind)
			select 'rls-visit-' || h.grid_code, h.id, h.grid_code, 'routine'
			from (select distinct on (grid_code) * from household order by grid_code, id desc) h`.execute(owner.kysely);
		// needs and projects (sql/017): one need per grid, at its first building (every other one from its request), each with a project
		await sql`insert into need (client_id, grid_code, request_id, geom, category, title)
			select 'rls-need-' || b.grid_code, b.grid_code, case when r.id % 2 = 0 then r.id end, coalesce(r.geom, ST_PointOnSurface(b.geom)), 'other', 'test'
			from (select distinct on (grid_code) * from building order by grid_code, id) b
			left join request r on r.client_id = 'rls-' || b.grid_code`.execute(owner.kysely);
		await sql`insert into project (need_id, grid_code, direction, org_id, due_on)
			select n.id, n.grid_code, 'claims_need', (select min(id) from party_org), date '2099-01-01' from need n`.execute(owner.kysely);
		grids = (await rows<{ code: string }>(owner.kysely, `select code from area where level = 'grid' order by code`)).map((r) => r.code);
		memberGrid = new Map(
			(
				await rows<{ id: number; grid: string }>(
					owner.kysely,
					`select m.id, b.grid_code as grid from party_member m join household h on h.id = m.household_id join building b on b.id = h.building_id`
				)
			).map((r) => [r.id, r.grid])
		);
	});
	afterAll(() => owner?.drop());

	it('forces row-level security on every table with personal data, for a role that cannot bypass it', async () => {
		const tables = await rows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; owner: string }>(
			owner.kysely,
			`
			select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) as owner
			from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
			  and c.relname in (${[...PERSONAL_TABLES, ...SYSTEM_ONLY_TABLES].map((t) => `'${t}'`).join(', ')})`
		);
		expect(tables.map((t) => t.relname).sort()).toEqual([...PERSONAL_TABLES, ...SYSTEM_ONLY_TABLES].sort());
		for (const t of tables) {
			expect(t.relrowsecurity, t.relname).toBe(true);
			expect(t.relforcerowsecurity, t.relname).toBe(true);
			expect(t.owner, t.relname).not.toBe(APP_ROLE);
		}
		// every column that names or reaches a person lives in one of those tables
		const personal = await rows<{ table_name: string }>(
			owner.kysely,
			`
			select distinct table_name from information_schema.columns
			where table_schema = 'public' and column_name in ('phone', 'household_id', 'birth_year')`
		);
		for (const { table_name } of personal) expect([...PERSONAL_TABLES, ...SYSTEM_ONLY_TABLES], table_name).toContain(table_name);
		const [role] = await rows<{ rolsuper: boolean; rolbypassrls: boolean }>(
			owner.kysely,
			`select rolsuper, rolbypassrls from pg_roles where rolname = '${APP_ROLE}'`
		);
		expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
	});

	it('answers the application-layer queries from the caller’s grid only', async () => {
		const grid = grids[0];
		const viewer = viewerFor('grid_leader', grid, 1, 'leader');
		const [inside] = await rows<{ id: number }>(
			owner.kysely,
			`select b.id from building b join household h on h.building_id = b.id join party_member m on m.household_id = h.id where b.grid_code = '${grid}' limit 1`
		);
		const [outside] = await rows<{ id: number; member: number }>(
			owner.kysely,
			`select b.id, m.id as member from building b join household h on h.building_id = b.id join party_member m on m.household_id = h.id where b.grid_code <> '${grid}' limit 1`
		);
		await withScope(owner, grid, async (trx) => {
			const households = await householdsOfBuilding(trx, inside.id, viewer);
			expect(households?.length).toBeGreaterThan(0);
			for (const m of households!.flatMap((h) => h.members)) expect(memberGrid.get(m.id)).toBe(grid);
			expect(await householdsOfBuilding(trx, outside.id, viewer)).toBeUndefined();
			expect(await memberRecord(trx, outside.member)).toBeUndefined();
			for (const q of ['%', '_', '社区', '路']) {
				for (const hit of await search(trx, q)) {
					if (hit.type !== 'building') expect(hit.target.startsWith(grid) || hit.target.startsWith('b:')).toBe(true);
				}
			}
		});
	});

	it.runIf(backend === 'server')('stops a query that forgets the filter, with row-level security alone', async () => {
		const app = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		try {
			const grid = grids[1];
			const expected = [...memberGrid]
				.filter(([, g]) => g === grid)
				.map(([id]) => id)
				.sort((a, b) => a - b);
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

	it.runIf(backend === 'server')('shows each scope exactly its rows of every protected table, by the policy alone', async () => {
		const app = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		try {
			const all = await withScope(owner, '*', (trx) => rows<DerivedKeyRow>(trx, DERIVED_KEYS));
			for (const r of all) expect(r.stored, `${r.t} ${r.id}`).toBe(r.derived);
			const streets = [...new Set(grids.map((g) => g.slice(0, 9)))];
			expect(streets.length).toBeGreaterThan(1);
			const lastGrid = grids[grids.length - 1];
			// grid leaders of two grids in two streets, those streets' secretaries, a community, the district, the system
			const scopes = [grids[0], lastGrid, streets[0], lastGrid.slice(0, 9), grids[0].slice(0, 12), grids[0].slice(0, 6), '*'];
			const seenBy = (scope: string) =>
				withScope(app, scope, async (trx) => {
					const seen: string[] = [];
					for (const t of PROTECTED_TABLES) {
						// no WHERE clause: the policy is the only filter
						for (const r of await rows<{ id: string }>(trx, `select ${ROW_ID[t]} as id from ${t}`)) seen.push(`${t} ${r.id}`);
					}
					return seen.sort();
				});
			for (const scope of scopes) {
				const expected = all
					.filter((r) => scope === '*' || r.derived!.startsWith(scope))
					.map((r) => `${r.t} ${r.id}`)
					.sort();
				if (scope.length > 6) expect(expected.length, scope).toBeLessThan(all.length);
				for (const t of PROTECTED_TABLES)
					if (scope.length <= 9)
						expect(
							expected.some((e) => e.startsWith(`${t} `)),
							`${t} in ${scope}`
						).toBe(true);
				expect(await seenBy(scope), `scope ${scope}`).toEqual(expected);
			}
			// no scope, an empty one, or one that names no area: no rows
			for (const t of PROTECTED_TABLES) {
				expect(await rows(app.kysely, `select 1 from ${t}`), t).toEqual([]);
				await app.kysely.transaction().execute(async (trx) => {
					await sql`select set_config('jiceng.scope', '', true)`.execute(trx);
					expect(await rows(trx, `select 1 from ${t}`), t).toEqual([]);
				});
				expect(await withScope(app, '999999', (trx) => rows(trx, `select 1 from ${t}`)), t).toEqual([]);
			}
		} finally {
			await app.close();
		}
	});

	it.runIf(backend === 'server')('shows the coverage change log to the system’s work only, and lets any writer append to it', async () => {
		const app = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		const ROLLBACK = new Error('rollback');
		try {
			const count = (scope: string) =>
				withScope(app, scope, async (t) => (await rows<{ n: number }>(t, `select count(*)::int as n from coverage_change`))[0].n);
			// a member written by a grid's own writer: the log gets its rows, the writer cannot read them back
			const [m] = await rows<{ id: number }>(owner.kysely, `select id from party_member where household_id is not null order by id limit 1`);
			const grid = memberGrid.get(m.id)!;
			let seenByWriter = -1;
			await withScope(app, grid, async (t) => {
				await sql`update party_member set mobile = not mobile where id = ${m.id}`.execute(t);
				seenByWriter = (await rows<{ n: number }>(t, `select count(*)::int as n from coverage_change`))[0].n;
				throw ROLLBACK;
			}).catch((e: unknown) => {
				if (e !== ROLLBACK) throw e;
			});
			expect(seenByWriter).toBe(0);
			await withScope(owner, SYSTEM, (t) => sql`update party_member set mobile = mobile where id = ${m.id}`.execute(t));
			expect(await count(SYSTEM)).toBeGreaterThan(0);
			for (const scope of [grid, grid.slice(0, 9), grid.slice(0, 6)]) expect(await count(scope), scope).toBe(0);
		} finally {
			await app.close();
		}
	});

	it.runIf(backend === 'server')('keeps a writer inside its scope, and every key true whatever it moves', async () => {
		const app = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		const ROLLBACK = new Error('rollback');
		/** as the app role in `scope`; everything written is rolled back */
		const attempt = (scope: string, fn: (trx: Kysely<Database>) => Promise<void>) =>
			withScope(app, scope, async (trx) => {
				await fn(trx);
				throw ROLLBACK;
			}).catch((e) => {
				if (e !== ROLLBACK) throw e;
			});
		const consistent = async (trx: Kysely<Database>) => {
			// the app role may widen its own transaction's scope: the policies trust the application for that
			await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
			for (const r of await rows<DerivedKeyRow>(trx, DERIVED_KEYS)) expect(r.stored, `${r.t} ${r.id}`).toBe(r.derived);
		};
		try {
			const [a, b] = [grids[0], grids[grids.length - 1]];
			const [inA] = await rows<{ id: number }>(
				owner.kysely,
				`select id from building where grid_code = '${a}' and exists (select 1 from household h where h.building_id = building.id) order by id limit 1`
			);
			const [inB] = await rows<{ id: number }>(owner.kysely, `select id from building where grid_code = '${b}' order by id limit 1`);
			const [hhB] = await withScope(owner, '*', (trx) =>
				rows<{ id: number }>(trx, `select h.id from household h join building b on b.id = h.building_id where b.grid_code = '${b}' order by h.id limit 1`)
			);
			const [org] = await rows<{ id: number }>(
				owner.kysely,
				`select org_id as id from party_member where household_id is null and scope_code not like '${b}%' group by org_id order by count(*) desc, org_id limit 1`
			);
			expect(org).toBeDefined();

			// a household written without its key gets it; one in another grid is refused by the policy
			await attempt(a, async (trx) => {
				const h = await sql<{ grid_code: string }>`insert into household (building_id, unit, floor, room, residents)
					values (${inA.id}, 1, 99, 'x1', 1) returning grid_code`.execute(trx);
				expect(h.rows[0].grid_code).toBe(a);
			});
			await expect(
				attempt(a, async (trx) => {
					await sql`insert into household (building_id, unit, floor, room, residents) values (${inB.id}, 1, 99, 'x1', 1)`.execute(trx);
				})
			).rejects.toThrow(/row-level security/);
			// a member can't be put in a household the writer cannot see
			await expect(
				attempt(a, async (trx) => {
					await sql`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id)
					values ('测试', 'male', 1980, 'formal', '2000-07-01', ${org.id}, ${hhB.id})`.execute(trx);
				})
			).rejects.toThrow(/does not exist or is outside the scope/);

			// a grid leader who moves a building away moves all its rows, though it can no longer see them
			await attempt(a, async (trx) => {
				await sql`update building set grid_code = ${b} where id = ${inA.id}`.execute(trx);
				expect(await rows(trx, `select id from household where building_id = ${inA.id}`)).toEqual([]);
				await consistent(trx);
				expect(await rows(trx, `select id from household where building_id = ${inA.id} and grid_code <> '${b}'`)).toEqual([]);
			});
			// an organisation moved by someone who sees none of its members without a household still takes them along
			await attempt(b, async (trx) => {
				expect(await rows(trx, `select id from party_member where org_id = ${org.id} and household_id is null`)).toEqual([]);
				await sql`update party_org set area_code = ${b} where id = ${org.id}`.execute(trx);
				await consistent(trx);
				expect(await rows(trx, `select id from party_member where org_id = ${org.id} and household_id is null and scope_code <> '${b}'`)).toEqual([]);
			});
		} finally {
			await app.close();
		}
	});

	it.runIf(backend === 'server')('never lets interleaved users on a pool of 2 connections see each other’s rows', async () => {
		const app: Db = await openDb({ backend: 'server', url: owner.url!, poolSize: 2 }, { appRole: true });
		try {
			const asked = Array.from({ length: 40 }, (_, i) => grids[i % Math.min(6, grids.length)]);
			const answers = await Promise.all(
				asked.map((grid) =>
					withScope(app, grid, async (trx) => {
						await sql`select pg_sleep(0.005)`.execute(trx);
						return { grid, ids: (await rows<{ id: number }>(trx, 'select id from party_member')).map((r) => r.id) };
					})
				)
			);
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
