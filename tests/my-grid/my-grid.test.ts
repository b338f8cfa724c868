// 我的网格 (issue 11 part 1) on both backends: a grid's households with who looks after them, their
// members masked as the role requires, open requests and the filters; a central household's page;
// and scope — a grid leader never reads another grid's households, buildings or central households.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { everyOf } from '../helpers/every-of.ts';
import { withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { centralHousehold, gridsInScope, myGrid } from '../../src/lib/server/db/queries/my-grid.ts';
import { createRequest } from '../../src/lib/server/db/queries/requests.ts';
import { gridFilterQuery, MY_GRID_BOUNDS, NO_FILTER, type GridFilter } from '../../src/lib/api/my-grid.ts';

const unmasked = { unmasked: true };
const masked = { unmasked: false };
const filter = (over: Partial<Record<keyof GridFilter, string>> = {}): GridFilter => v.parse(gridFilterQuery, over);
const all = (over: Partial<Record<keyof GridFilter, string>> = {}) => filter({ limit: String(MY_GRID_BOUNDS.pageSize.max), ...over });

describe('the filter schema', () => {
	it('bounds the page size, the days and the search text, and reads nothing as no filter', () => {
		expect(filter()).toEqual(NO_FILTER);
		expect(NO_FILTER).toMatchObject({ care: '', req: '', flag: '', visit: null, follow: '', q: '', b: null, offset: 0, limit: 50 });
		expect(filter({ visit: '30', req: 'overdue', b: '12' })).toMatchObject({ visit: 30, req: 'overdue', b: 12 });
		expect(v.safeParse(gridFilterQuery, { limit: '201' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { limit: '9' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { visit: '366' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { visit: '0' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { offset: '100001' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { q: 'x'.repeat(41) }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { care: 'some' }).success).toBe(false);
		expect(v.safeParse(gridFilterQuery, { b: '1; drop' }).success).toBe(false);
	});
});

describe.each(backends)('my grid on %s PostGIS', (backend) => {
	let db: TestDb;
	let grid: string;
	let otherGrid: string;
	let community: string;
	let central: number;
	let otherCentral: number;
	const as = <T>(scope: string, fn: (trx: Scoped) => Promise<T>) => withScope(db, scope, fn);

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		// two grids of one community, each with a central household, the first with flagged members
		const { rows } = await sql<{ grid: string; community: string; central: number; flagged: boolean }>`
			select g.code as grid, g.parent_code as community, min(c.household_id)::int as central,
			       exists (select 1 from party_member m join household h on h.id = m.household_id
			               where h.grid_code = g.code and (m.mobile or m.reported_to_community)) as flagged
			from area g join central_household c on c.grid_code = g.code
			where g.level = 'grid' group by g.code, g.parent_code order by g.parent_code, g.code`.execute(db.kysely);
		const pair = rows.find((r, i) => r.flagged && rows[i + 1]?.community === r.community)!;
		const next = rows[rows.indexOf(pair) + 1];
		[grid, otherGrid, community, central, otherCentral] = [pair.grid, next.grid, pair.community, pair.central, next.central];
	}, 120_000);
	afterAll(() => db?.drop());

	it('lists every household of the grid once, with its building, carers as the coverage gaps count them, and members', async () => {
		const view = (await as(grid, (t) => myGrid(t, grid, unmasked, all())))!;
		const { rows } = await sql<{ n: number; uncared: number; members: number }>`
			select count(*)::int as n,
			       count(*) filter (where not exists (select 1 from central_household_link l where l.household_id = h.id)
			                          and not exists (select 1 from central_household c where c.household_id = h.id)
			                          and not exists (select 1 from building_leader bl where bl.building_id = h.building_id and (bl.role = 'building' or bl.unit = h.unit)))::int as uncared,
			       (select count(*) from party_member m join household x on x.id = m.household_id where x.grid_code = ${grid})::int as members
			from household h where h.grid_code = ${grid}`.execute(db.kysely);
		expect(view.grid.code).toBe(grid);
		expect(view.grid.community.code).toBe(community);
		expect(view.figures.households).toBe(rows[0].n);
		expect(view.figures.uncared).toBe(rows[0].uncared);
		expect(view.figures.uncared).toBeGreaterThan(0);
		expect(view.total).toBe(rows[0].n);
		expect(view.households.length).toBe(Math.min(rows[0].n, MY_GRID_BOUNDS.pageSize.max));
		const every = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ offset: '0' }))))!;
		const pages = [every.households];
		for (let offset = MY_GRID_BOUNDS.pageSize.max; offset < every.total; offset += MY_GRID_BOUNDS.pageSize.max)
			pages.push((await as(grid, (t) => myGrid(t, grid, unmasked, all({ offset: String(offset) }))))!.households);
		const ids = pages.flat().map((h) => h.id);
		expect(new Set(ids).size).toBe(rows[0].n);
		expect(pages.flat().reduce((n, h) => n + h.members.length, 0)).toBe(rows[0].members);
		expect(view.buildings.reduce((n, b) => n + b.households, 0)).toBe(rows[0].n);
		// a central household looks after itself; the households it links carry it
		const self = pages.flat().find((h) => h.id === central)!;
		expect(self.central).toBe(true);
		expect(self.carers.find((c) => c.kind === 'self')?.central_household_id).toBe(central);
		const { rows: linked } = await sql<{
			id: number;
		}>`select household_id::int as id from central_household_link where central_household_id = ${central}`.execute(db.kysely);
		expect(linked.length).toBeGreaterThan(0);
		const carried = pages.flat().filter((h) => h.carers.some((c) => c.kind === 'central' && c.central_household_id === central));
		expect(carried.map((h) => h.id).sort((a, b) => a - b)).toEqual(linked.map((l) => l.id).sort((a, b) => a - b));
		// nobody visited yet: the slot is empty
		expect(everyOf(view.households, (h) => h.last_visit === null)).toBe(true);
		expect(view.visits).toBe(true);
		expect(view.figures.not_visited_30).toBe(rows[0].n);
	});

	it('filters: looked after by no one, open and overdue requests, member flags, a building, a search; the figures stay the grid’s', async () => {
		const none = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ care: 'none' }))))!;
		expect(none.total).toBe(none.figures.uncared);
		expect(everyOf(none.households, (h) => h.carers.length === 0)).toBe(true);
		const flagged = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ flag: 'any' }))))!;
		expect(flagged.total).toBe(flagged.figures.flagged);
		expect(everyOf(flagged.households, (h) => h.members.some((m) => m.mobile || m.reported))).toBe(true);
		const mobile = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ flag: 'mobile' }))))!;
		expect(everyOf(mobile.households, (h) => h.members.some((m) => m.mobile))).toBe(true);
		// a request on one household: it alone is kept by req=open, and nothing is overdue yet
		const target = none.households[0] ?? flagged.households[0];
		expect((await as(grid, (t) => myGrid(t, grid, unmasked, all({ req: 'open' }))))!.total).toBe(0);
		await as(grid, (t) =>
			createRequest(
				t,
				{ accountId: null, username: 'leader', role: 'grid_leader' },
				{ clientId: randomUUID(), category: 'facilities', urgency: 'normal', description: 'light out', householdId: target.id }
			)
		);
		const open = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ req: 'open' }))))!;
		expect(open.households.map((h) => h.id)).toEqual([target.id]);
		expect(open.households[0].requests).toEqual({ open: 1, overdue: 0, worst: 'none' });
		expect(open.figures.open_requests).toBe(1);
		expect((await as(grid, (t) => myGrid(t, grid, unmasked, all({ req: 'overdue' }))))!.total).toBe(0);
		// one building; a search by the building's address and by a room
		const b = open.households[0].building_id;
		const one = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ b: String(b) }))))!;
		expect(one.total).toBe(one.buildings.find((x) => x.id === b)!.households);
		expect(everyOf(one.households, (h) => h.building_id === b)).toBe(true);
		const home = target.home!;
		const found = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ b: String(b), q: `${home.unit}-${home.room}` }))))!;
		expect(found.households.map((h) => h.id)).toContain(target.id);
		const member = flagged.households[0].members[0];
		const byName = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ q: member.name }))))!;
		expect(byName.households.map((h) => h.id)).toContain(flagged.households[0].id);
	});

	it('reads the last visit (sql/015): not visited in N days, follow-up due', async () => {
		const first = (await as(grid, (t) => myGrid(t, grid, unmasked, all())))!;
		const [a, b] = first.households;
		await as(grid, async (t) => {
			const day = (d: number) => sql`(jiceng_now()::date + ${d}::int)`;
			await sql`insert into visit (client_id, household_id, grid_code, kind, visited_on) values (${randomUUID()}, ${a.id}, ${grid}, 'routine', ${day(-40)})`.execute(
				t
			);
			await sql`insert into visit (client_id, household_id, grid_code, kind, visited_on, follow_up_on)
				values (${randomUUID()}, ${b.id}, ${grid}, 'help', ${day(-5)}, ${day(-1)})`.execute(t);
		});
		const view = (await as(grid, (t) => myGrid(t, grid, unmasked, all())))!;
		const at = (id: number) => view.households.find((h) => h.id === id)!;
		const daysAgo = (n: number) => new Date(Date.parse(`${view.today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
		expect(at(a.id)).toMatchObject({ last_visit: daysAgo(40), last_visit_kind: 'routine', follow_up: null });
		expect(at(b.id)).toMatchObject({ last_visit: daysAgo(5), last_visit_kind: 'help', follow_up: daysAgo(1) });
		expect(view.figures.not_visited_30).toBe(view.figures.households - 1);
		expect(view.figures.follow_up_due).toBe(1);
		const notVisited = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ visit: '30' }))))!;
		expect(notVisited.total).toBe(view.figures.households - 1);
		expect(notVisited.households.map((h) => h.id)).toContain(a.id);
		expect(notVisited.households.map((h) => h.id)).not.toContain(b.id);
		expect((await as(grid, (t) => myGrid(t, grid, unmasked, all({ visit: '41' }))))!.households.map((h) => h.id)).not.toContain(a.id);
		const due = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ follow: 'due' }))))!;
		expect(due.households.map((h) => h.id)).toEqual([b.id]);
	});

	it('masks names and homes for a viewer who sees persons masked, and finds no one by a name it does not show', async () => {
		const view = (await as(grid, (t) => myGrid(t, grid, masked, all({ flag: 'any' }))))!;
		expect(view.masked).toBe(true);
		expect(everyOf(view.households, (h) => h.home === null)).toBe(true);
		const full = (await as(grid, (t) => myGrid(t, grid, unmasked, all({ flag: 'any' }))))!;
		const name = full.households[0].members[0].name;
		expect(view.households[0].members[0].name).not.toBe(name);
		expect(view.households[0].members[0].name).toMatch(/\*/);
		expect((await as(grid, (t) => myGrid(t, grid, masked, all({ q: name }))))!.total).toBe(0);
	});

	it('keeps a grid leader to their grid: another grid, its households and its central households are not found', async () => {
		expect(await as(grid, (t) => myGrid(t, otherGrid, unmasked, NO_FILTER))).toBeUndefined();
		expect(await as(grid, (t) => centralHousehold(t, otherCentral, unmasked))).toBeUndefined();
		expect((await as(grid, (t) => gridsInScope(t))).map((g) => g.code)).toEqual([grid]);
		// a building of another grid as the filter: nothing
		const { rows } = await sql<{ id: number }>`select min(id)::int as id from building where grid_code = ${otherGrid}`.execute(db.kysely);
		expect((await as(grid, (t) => myGrid(t, grid, unmasked, all({ b: String(rows[0].id) }))))!.total).toBe(0);
		// the community secretary above opens both, and chooses among the community's grids
		const grids = await as(community, (t) => gridsInScope(t));
		expect(grids.map((g) => g.code)).toEqual(expect.arrayContaining([grid, otherGrid]));
		expect(everyOf(grids, (g) => g.code.startsWith(community))).toBe(true);
		expect((await as(community, (t) => myGrid(t, otherGrid, unmasked, NO_FILTER)))?.grid.code).toBe(otherGrid);
		// an area that is not a grid is no grid page
		expect(await as(community, (t) => myGrid(t, community, unmasked, NO_FILTER))).toBeUndefined();
		// every household a grid leader gets is in their grid
		const view = (await as(grid, (t) => myGrid(t, grid, unmasked, all())))!;
		const ids = view.households.map((h) => h.id);
		const { rows: grids2 } = await sql<{ grid_code: string }>`select distinct grid_code from household where id = any(${sql.val(ids)}::bigint[])`.execute(
			db.kysely
		);
		expect(grids2.map((r) => r.grid_code)).toEqual([grid]);
	});

	it('shows a central household’s page: the households it looks after, each with its building’s point', async () => {
		const view = (await as(grid, (t) => centralHousehold(t, central, unmasked)))!;
		const { rows } = await sql<{
			id: number;
		}>`select household_id::int as id from central_household_link where central_household_id = ${central} order by 1`.execute(db.kysely);
		expect(view.central.household_id).toBe(central);
		expect(view.grid.code).toBe(grid);
		expect(view.households.map((h) => h.id)).toEqual(rows.map((r) => r.id));
		const [w, s, e, n] = view.grid.bbox;
		expect(everyOf(view.households, (h) => h.at[0] >= w && h.at[0] <= e && h.at[1] >= s && h.at[1] <= n)).toBe(true);
		// a household that is not a central household has no such page
		const plain = view.households.find((h) => !h.central)!;
		expect(await as(grid, (t) => centralHousehold(t, plain.id, unmasked))).toBeUndefined();
	});
});
