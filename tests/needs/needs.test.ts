// Needs, resources and two-way claiming (issue 11 part 4) on both backends: needs entered from a
// point or a request (once per client id), resources seen from inside and below the area they are
// offered to, claims both ways turning a need into a project (one claim wins), results and
// cancellations, scope, the audit log, and the walking-distance matching of unmet needs to the
// nearest resources (checked against a search run the other way round).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { SYSTEM, withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import {
	activeResources,
	claimNeed,
	finishProject,
	needLists,
	NeedError,
	openNeeds,
	recordNeed,
	recordResource,
	type NeedActor
} from '../../src/lib/server/db/queries/needs.ts';
import { createRequest } from '../../src/lib/server/db/queries/requests.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { nearestResourceSteps } from '../../src/lib/server/needs/nearest.ts';
import { runSteps } from '../../src/lib/server/coverage/budget.ts';
import { distanceAt, multiSourceDijkstra, sourcesByEdge } from '../../src/lib/server/coverage/dijkstra.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';
import type { NewNeedInput } from '../../src/lib/api/needs.ts';

const actor = (role: Role, unmasked = true): NeedActor => ({ accountId: 7, username: `u_${role}`, role, unmasked });
const refusal = (p: Promise<unknown>) =>
	p.then(
		() => 'no refusal',
		(e: unknown) => (e instanceof NeedError ? `${e.status} ${e.code}` : String(e))
	);

describe.each(backends)('needs, resources and projects on %s PostGIS', (backend) => {
	let db: TestDb;
	let grid: string;
	let community: string;
	let otherCommunity: string;
	let otherGrid: string;
	let household: number;
	/** a point inside `grid` (a building of it), and one inside `otherGrid` */
	let inGrid: [number, number];
	let inOtherGrid: [number, number];
	let org: number;
	let member: { id: number; name: string };
	const as = <T>(scope: string, fn: (trx: Scoped) => Promise<T>) => withScope(db, scope, fn);
	const need = (over: Partial<NewNeedInput> = {}): NewNeedInput => ({
		client_id: randomUUID(),
		category: 'elderly',
		title: '独居老人助餐',
		point: inGrid,
		...over
	});

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		const { rows } = await sql<{ grid: string; community: string; hh: number; x: number; y: number }>`
			select distinct on (g.code) g.code as grid, g.parent_code as community, h.id::int as hh,
			       ST_X(ST_PointOnSurface(b.geom)) as x, ST_Y(ST_PointOnSurface(b.geom)) as y
			from area g join building b on b.grid_code = g.code join household h on h.building_id = b.id
			where g.level = 'grid' order by g.code, h.id`.execute(db.kysely);
		grid = rows[0].grid;
		community = rows[0].community;
		household = rows[0].hh;
		inGrid = [rows[0].x, rows[0].y];
		const other = rows.find((r) => r.community !== community)!;
		otherGrid = other.grid;
		otherCommunity = other.community;
		inOtherGrid = [other.x, other.y];
		// an organisation of the community (seated in one of its buildings or answering for one of its areas), and a member living in another grid of it
		({
			rows: [{ id: org }]
		} = await sql<{ id: number }>`select o.id::int as id from party_org o left join building b on b.id = o.building_id
			where coalesce(b.grid_code, o.area_code) like ${community + '%'} order by o.id limit 1`.execute(db.kysely));
		({
			rows: [member]
		} = await sql<{ id: number; name: string }>`select m.id::int as id, m.name from party_member m
			where m.scope_code like ${community + '%'} and m.scope_code not like ${grid + '%'} and m.household_id is not null order by m.id limit 1`.execute(db.kysely));
		expect(member).toBeDefined();
	}, 120_000);
	afterAll(() => db?.drop());

	it('enters a need once per client id, in the grid its point lies in, audited; a point outside the area is refused', async () => {
		const input = need();
		const first = await as(grid, (t) => recordNeed(t, actor('grid_leader'), input));
		const retry = await as(grid, (t) => recordNeed(t, actor('grid_leader'), input));
		expect(first.created).toBe(true);
		expect(retry).toEqual({ need: first.need, created: false });
		expect(first.need).toMatchObject({ grid_code: grid, state: 'open', category: 'elderly', request_id: null });
		expect(await refusal(as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ point: inOtherGrid }))))).toBe('400 outside_area');
		expect(await refusal(as(grid, (t) => recordNeed(t, actor('planner'), need())))).toBe('403 forbidden');
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from audit_log where object like ${`need:${first.need.id}:record point`}`.execute(
			db.kysely
		);
		expect(rows[0].n).toBe(1);
	});

	it('enters a need from a request at its place; a request makes one need at most; another grid’s request is not found', async () => {
		const made = await as(grid, (t) =>
			createRequest(
				t,
				{ accountId: 7, username: 'u', role: 'grid_leader' },
				{
					clientId: randomUUID(),
					category: 'welfare',
					urgency: 'normal',
					description: '需要上门助浴',
					householdId: household,
					point: null
				}
			)
		);
		const n = await as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ point: null, request_id: made.id, category: 'health' })));
		expect(n.need).toMatchObject({ request_id: made.id, grid_code: grid });
		expect(await refusal(as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ point: null, request_id: made.id }))))).toBe('409 already_claimed');
		expect(await refusal(as(otherGrid, (t) => recordNeed(t, actor('grid_leader'), need({ point: null, request_id: made.id }))))).toBe('404 not_found');
	});

	it('shows a resource offered to a community inside it, from its grids, and from above; not from another community; names masked outside one’s own area', async () => {
		const r = await as(community, (t) =>
			recordResource(t, actor('community_secretary'), { client_id: randomUUID(), category: 'elderly', title: '党员志愿助餐队', member_id: member.id })
		);
		expect(r.resource).toMatchObject({ area_code: community, offered_by: { kind: 'member', id: member.id, name: member.name } });
		const seenBy = async (scope: string, unmasked = true) =>
			(await as(scope, (t) => needLists(t, actor('grid_leader', unmasked)))).resources.find((x) => x.id === r.resource.id);
		// from the grid (an ancestor's offer): the member lives in another grid, so the name is masked
		expect((await seenBy(grid))?.offered_by.name).not.toBe(member.name);
		expect((await seenBy(grid))?.offered_by.name).toMatch(/\*/);
		expect((await seenBy(community.slice(0, 9)))?.offered_by.name).toBe(member.name);
		expect((await seenBy(community.slice(0, 9), false))?.offered_by.name).toMatch(/\*/);
		expect(await seenBy(otherCommunity)).toBeUndefined();
		expect(await seenBy(otherGrid)).toBeUndefined();
		// offered by someone outside the caller's area, or to an area outside it: refused
		expect(
			await refusal(
				as(otherCommunity, (t) =>
					recordResource(t, actor('community_secretary'), { client_id: randomUUID(), category: 'elderly', title: 'x', member_id: member.id })
				)
			)
		).toBe('404 not_found');
		expect(
			await refusal(
				as(otherCommunity, (t) =>
					recordResource(t, actor('community_secretary'), { client_id: randomUUID(), category: 'elderly', title: 'x', org_id: org, area_code: community })
				)
			)
		).toBe('400 outside_area');
		expect(
			await refusal(as(grid, (t) => recordResource(t, actor('grid_leader'), { client_id: randomUUID(), category: 'elderly', title: 'x', org_id: org })))
		).toBe('403 forbidden');
	});

	it('claims both ways: a resource taken for a need, an organisation claiming one; one claim per need; the result closes it, a cancellation frees it', async () => {
		const res = await as(community, (t) =>
			recordResource(t, actor('community_secretary'), { client_id: randomUUID(), category: 'legal', title: '律师楼宇党支部法律咨询', org_id: org })
		);
		const a = (await as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ category: 'legal', title: '遗产纠纷咨询' })))).need;
		const wrong = (await as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ category: 'children' })))).need;
		const due = '2099-01-31';
		expect(await refusal(as(community, (t) => claimNeed(t, actor('community_secretary'), wrong.id, { resource_id: res.resource.id, due_on: due })))).toBe(
			'400 wrong_category'
		);
		expect(await refusal(as(community, (t) => claimNeed(t, actor('community_secretary'), a.id, { resource_id: res.resource.id, due_on: '2001-01-01' })))).toBe(
			'400 due_in_past'
		);
		expect(await refusal(as(grid, (t) => claimNeed(t, actor('grid_leader'), a.id, { resource_id: res.resource.id, due_on: due })))).toBe('403 forbidden');
		expect(await refusal(as(otherCommunity, (t) => claimNeed(t, actor('community_secretary'), a.id, { org_id: org, due_on: due })))).toBe('404 not_found');
		// two claims at once: one project
		const both = await Promise.allSettled([
			as(community, (t) => claimNeed(t, actor('community_secretary'), a.id, { resource_id: res.resource.id, due_on: due })),
			as(community, (t) => claimNeed(t, actor('community_secretary'), a.id, { org_id: org, due_on: due }))
		]);
		const won = both.filter((x) => x.status === 'fulfilled');
		expect(won.length).toBe(1);
		const lost = both.find((x) => x.status === 'rejected');
		expect(lost && lost.status === 'rejected' && lost.reason instanceof NeedError ? lost.reason.code : lost).toBe('already_claimed');
		const project = won[0].status === 'fulfilled' ? won[0].value : null;
		expect(project).toMatchObject({ need_id: a.id, state: 'in_progress', due_on: due, owner: { kind: 'org', id: org }, overdue: false });
		const lists = await as(grid, (t) => needLists(t, actor('grid_leader')));
		expect(lists.needs.find((n) => n.id === a.id)?.state).toBe('claimed');
		expect(lists.projects.map((p) => p.id)).toContain(project!.id);
		// cancelled: the need is open again and may be claimed anew (资源认领需求: the organisation claims it)
		await as(community, (t) => finishProject(t, actor('community_secretary'), project!.id, { state: 'cancelled', result: '律师出差' }));
		expect((await as(grid, (t) => needLists(t, actor('grid_leader')))).needs.find((n) => n.id === a.id)?.state).toBe('open');
		const again = await as(community, (t) => claimNeed(t, actor('community_secretary'), a.id, { org_id: org, due_on: due }));
		expect(again).toMatchObject({ direction: 'claims_need', resource_id: null });
		expect(await refusal(as(community, (t) => finishProject(t, actor('community_secretary'), again.id, { state: 'done', result: null })))).not.toBe(
			'no refusal'
		);
		const done = await as(community, (t) => finishProject(t, actor('community_secretary'), again.id, { state: 'done', result: '已提供法律咨询两次' }));
		expect(done).toMatchObject({ state: 'done', result: '已提供法律咨询两次' });
		expect(done.finished_at).not.toBeNull();
		expect((await as(grid, (t) => needLists(t, actor('grid_leader')))).needs.find((n) => n.id === a.id)?.state).toBe('done');
		expect(await refusal(as(community, (t) => finishProject(t, actor('community_secretary'), again.id, { state: 'cancelled' })))).toBe('409 finished');
		// nothing of another community's lists
		const elsewhere = await as(otherCommunity, (t) => needLists(t, actor('community_secretary')));
		expect(elsewhere.needs.map((n) => n.id)).not.toContain(a.id);
		expect(elsewhere.projects.map((p) => p.id)).not.toContain(again.id);
		const { rows } = await sql<{ object: string }>`select object from audit_log where object like ${`project:%`} order by seq`.execute(db.kysely);
		expect(rows.map((r) => r.object)).toEqual(
			expect.arrayContaining([
				`project:${project!.id}:claim need:${a.id} by resource:${res.resource.id}`,
				`project:${project!.id}:cancelled`,
				`project:${again.id}:claim need:${a.id} by org:${org}`,
				`project:${again.id}:done`
			])
		);
	});

	it('matches unmet needs to the nearest resources of their category by walking distance — the same walk measured the other way round', async () => {
		const engine = new CoverageEngine(db);
		await engine.ensure();
		const model = await engine.model();
		const cat = 'culture';
		// resources at three buildings of the community, one of another category, then a need in the grid
		const { rows: places } = await sql<{ x: number; y: number }>`
			select ST_X(ST_PointOnSurface(b.geom)) as x, ST_Y(ST_PointOnSurface(b.geom)) as y from building b
			where b.grid_code like ${community + '%'} order by md5(b.id::text) limit 4`.execute(db.kysely);
		for (const [i, p] of places.entries())
			await as(community, (t) =>
				recordResource(t, actor('community_secretary'), {
					client_id: randomUUID(),
					category: i === 3 ? 'employment' : cat,
					title: `文体资源${i}`,
					org_id: org,
					point: [p.x, p.y]
				})
			);
		const n = (await as(grid, (t) => recordNeed(t, actor('grid_leader'), need({ category: cat, title: '广场舞场地' })))).need;
		const { needs, resources } = await as(grid, async (t) => ({
			needs: (await openNeeds(t, 200)).rows,
			resources: await activeResources(t, actor('grid_leader'))
		}));
		const matches = runSteps(nearestResourceSteps(model, needs, resources, 2000));
		const m = matches.find((x) => x.need_id === n.id)!;
		expect(m.nearest.length).toBeGreaterThan(0);
		const byId = new Map(resources.map((r) => [r.id, r]));
		expect(m.nearest.map((r) => byId.get(r.resource_id)?.category)).toEqual(m.nearest.map(() => cat));
		const walks = m.nearest.map((r) => r.walk_m);
		expect(walks).toEqual([...walks].sort((x, y) => x - y));
		// each walk again, from the resource to the need (walking has no one-way streets)
		const { graph, snapper } = model.network;
		for (const r of m.nearest) {
			const from = snapper.nearest(r.lon, r.lat)!;
			const to = snapper.nearest(n.lon, n.lat)!;
			const src = [{ edge: from.edge, offset: from.offset, cost: from.distance }];
			const back = distanceAt(graph, multiSourceDijkstra(graph, src), src, sourcesByEdge(src), to).d + to.distance;
			expect(r.walk_m).toBeCloseTo(back, 0);
			// never shorter than the straight line
			const { rows } = await sql<{ m: number }>`select ST_Distance(ST_SetSRID(ST_MakePoint(${r.lon}, ${r.lat}), 4326)::geography,
				ST_SetSRID(ST_MakePoint(${n.lon}, ${n.lat}), 4326)::geography) as m`.execute(db.kysely);
			expect(r.walk_m).toBeGreaterThanOrEqual(rows[0].m * 0.99);
		}
		// a claimed need is no longer unmet
		const r0 = m.nearest[0].resource_id;
		await as(community, (t) => claimNeed(t, actor('community_secretary'), n.id, { resource_id: r0, due_on: '2099-12-31' }));
		expect((await as(grid, (t) => openNeeds(t, 200))).rows.map((x) => x.id)).not.toContain(n.id);
	});

	it.runIf(backend === 'server')('bounds the app role by the policies alone: needs and projects by grid, resources by the area offered to', async () => {
		const app = await openDb({ backend: 'server', url: db.url!, poolSize: 2 }, { appRole: true });
		try {
			const count = (scope: string, table: string) =>
				withScope(app, scope, async (t) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t)).rows[0].n);
			const all = (table: string) =>
				withScope(db, SYSTEM, async (t) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t)).rows[0].n);
			for (const table of ['need', 'project', 'resource']) {
				expect(await all(table), table).toBeGreaterThan(0);
				expect(await count(otherGrid, table), `${table} seen from another community's grid`).toBe(0);
			}
			expect(await count(grid, 'need')).toBeGreaterThan(0);
			// the community's resources, from one of its grids (an ancestor's offer)
			expect(await count(grid, 'resource')).toBe(await all('resource'));
			expect(await count('999999', 'need')).toBe(0);
		} finally {
			await app.close();
		}
	});
});
