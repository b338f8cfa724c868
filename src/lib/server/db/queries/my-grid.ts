// "My grid" (我的网格, issue 11 part 1): a grid's buildings and households for its grid leader
// (and the community secretary above), each household with who looks after it, its members
// (masked as the viewer's role requires), its open requests and its last visit; and a central
// household's page. Every query takes the scoped transaction and filters by its scope itself (the
// embedded backend's owner bypasses row-level security), so a grid leader never reads another
// grid's rows: a grid or central household outside the scope is `undefined` (the route's 404).
//
// A grid holds 300–500 households: the whole grid is read in one statement (capped), the filters
// and figures are computed from the same rows, and the page returned is bounded by the filter's
// limit. Request counts come from requests.ts (openRequestsByHousehold) and last visits from
// visits.ts (lastVisitsByHousehold): one path for each.
import { sql, type RawBuilder } from 'kysely';
import type { Viewer } from '../../auth/viewer.ts';
import { maskName } from '../../../privacy.ts';
import { scopeLike, type Scoped } from '../scoped.ts';
import { openRequestsByHousehold } from './requests.ts';
import { lastVisitsByHousehold } from './visits.ts';
import {
	MY_GRID_BOUNDS,
	VISIT_DAY_CHOICES,
	type Carer,
	type CentralHouseholdView,
	type GridBuilding,
	type GridChoice,
	type GridFigures,
	type GridFilter,
	type GridHousehold,
	type GridRef,
	type MyGridView
} from '../../../api/my-grid.ts';

export type { CentralHouseholdView, GridChoice, GridFilter, GridHousehold, MyGridView };

type Shown = Pick<Viewer, 'unmasked'>;

/** the grids the caller may open (a community secretary's choice; a grid leader's own one), with their households and those looked after by no one */
export async function gridsInScope(trx: Scoped): Promise<GridChoice[]> {
	const p = scopeLike(trx);
	const { rows } = await sql<GridChoice>`
		select g.code, g.name,
		       (select count(*) from building b where b.grid_code = g.code and b.grid_code like ${p})::int as buildings,
		       (select count(*) from household h where h.grid_code = g.code and h.grid_code like ${p})::int as households,
		       (select count(*) from household h where h.grid_code = g.code and h.grid_code like ${p} and not ${caredFor(sql`h`, p)})::int as uncared
		from area g where g.level = 'grid' and g.code like ${p}
		order by g.code limit 500`.execute(trx);
	return rows;
}

/** a household is looked after: by a central household (its own or one it is linked to), or by its building's or unit's leader (as the coverage gaps count it) */
function caredFor(h: RawBuilder<unknown>, p: string): RawBuilder<boolean> {
	return sql<boolean>`(exists (select 1 from central_household c where c.household_id = ${h}.id and c.grid_code like ${p})
		or exists (select 1 from central_household_link l where l.household_id = ${h}.id and l.grid_code like ${p})
		or exists (select 1 from building_leader bl where bl.building_id = ${h}.building_id and bl.grid_code like ${p} and (bl.role = 'building' or bl.unit = ${h}.unit)))`;
}

/** A grid in the caller's scope (a 15-digit code of level grid), with its community and bounds. */
export async function gridRef(trx: Scoped, code: string): Promise<GridRef | undefined> {
	const { rows } = await sql<{ code: string; name: string; c_code: string; c_name: string; w: number; s: number; e: number; n: number }>`
		select g.code, g.name, c.code as c_code, c.name as c_name,
		       ST_XMin(g.geom) as w, ST_YMin(g.geom) as s, ST_XMax(g.geom) as e, ST_YMax(g.geom) as n
		from area g join area c on c.code = g.parent_code
		where g.code = ${code} and g.level = 'grid' and g.code like ${scopeLike(trx)}`.execute(trx);
	const r = rows[0];
	return r && { code: r.code, name: r.name, community: { code: r.c_code, name: r.c_name }, bbox: [r.w, r.s, r.e, r.n] };
}

interface HouseholdRow {
	id: number;
	building_id: number;
	unit: number;
	floor: number;
	room: string;
	residents: number;
	/** the member keeping it, when this household is itself a central household */
	self: { name: string | null } | null;
	centrals: { id: number; name: string | null }[] | null;
	leaders: { role: 'building' | 'unit'; name: string }[] | null;
	members: { id: number; name: string; gender: 'male' | 'female'; mobile: boolean; reported: boolean }[] | null;
}

/** households (of a grid, or by id) with their carers and members, all read within the scope */
async function householdRows(trx: Scoped, where: { grid: string } | { ids: readonly number[] }): Promise<HouseholdRow[]> {
	const p = scopeLike(trx);
	const which = 'grid' in where ? sql`h.grid_code = ${where.grid}` : sql`h.id = any(${sql.val(where.ids.map(Number))}::bigint[])`;
	const { rows } = await sql<HouseholdRow>`
		select h.id::int as id, h.building_id::int as building_id, h.unit::int as unit, h.floor::int as floor, h.room, h.residents::int as residents,
		       (select json_build_object('name', m.name) from central_household c
		          left join party_member m on m.id = c.member_id and m.scope_code like ${p}
		          where c.household_id = h.id and c.grid_code like ${p}) as self,
		       (select json_agg(json_build_object('id', l.central_household_id, 'name', m.name) order by l.central_household_id)
		          from central_household_link l
		          join central_household c on c.household_id = l.central_household_id
		          left join party_member m on m.id = c.member_id and m.scope_code like ${p}
		          where l.household_id = h.id and l.grid_code like ${p}) as centrals,
		       (select json_agg(json_build_object('role', bl.role, 'name', bl.name) order by bl.role, bl.unit)
		          from building_leader bl
		          where bl.building_id = h.building_id and bl.grid_code like ${p} and (bl.role = 'building' or bl.unit = h.unit)) as leaders,
		       (select json_agg(json_build_object('id', m.id, 'name', m.name, 'gender', m.gender, 'mobile', m.mobile, 'reported', m.reported_to_community) order by m.id)
		          from party_member m where m.household_id = h.id and m.scope_code like ${p}) as members
		from household h
		where ${which} and h.grid_code like ${p}
		order by h.building_id, h.unit, h.floor, h.room
		limit ${MY_GRID_BOUNDS.households}`.execute(trx);
	return rows;
}

/** the database's day (jiceng_now(): tests set the clock), as YYYY-MM-DD */
async function today(trx: Scoped): Promise<string> {
	const { rows } = await sql<{ d: string }>`select to_char(jiceng_now(), 'YYYY-MM-DD') as d`.execute(trx);
	return rows[0].d;
}

/** days from `from` to `to` (both YYYY-MM-DD) */
function daysBetween(from: string, to: string): number {
	return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The rows as the viewer may see them: names masked and homes at building level unless the viewer sees them unmasked. */
async function shape(trx: Scoped, rows: HouseholdRow[], viewer: Shown): Promise<{ households: GridHousehold[]; visits: boolean }> {
	const ids = rows.map((r) => r.id);
	// one after the other: a transaction runs one statement at a time
	const requests = await openRequestsByHousehold(trx, ids);
	const visits = await lastVisitsByHousehold(trx, ids);
	const name = (n: string | null) => (n === null ? null : viewer.unmasked ? n : maskName(n));
	const households = rows.map((r): GridHousehold => {
		const carers: Carer[] = [];
		if (r.self) carers.push({ kind: 'self', name: name(r.self.name), central_household_id: r.id });
		for (const c of r.centrals ?? []) carers.push({ kind: 'central', name: name(c.name), central_household_id: Number(c.id) });
		for (const l of r.leaders ?? []) carers.push({ kind: l.role === 'building' ? 'building_leader' : 'unit_leader', name: name(l.name) });
		const v = visits.get(r.id);
		return {
			id: r.id,
			building_id: r.building_id,
			home: viewer.unmasked ? { unit: r.unit, floor: r.floor, room: r.room } : null,
			unit: r.unit,
			residents: r.residents,
			central: r.self !== null,
			carers,
			members: (r.members ?? []).map((m) => ({ id: Number(m.id), name: name(m.name)!, gender: m.gender, mobile: m.mobile, reported: m.reported })),
			requests: requests.get(r.id) ?? { open: 0, overdue: 0, worst: 'none' },
			last_visit: v?.visited_on ?? null,
			last_visit_kind: v?.kind ?? null,
			follow_up: v?.follow_up_on ?? null
		};
	});
	// visits are recorded (sql/015): the slot reads a day or "never"
	return { households, visits: true };
}

/** whether a household passes the filter (its `b`, `q` and the daily questions) */
export function keeps(h: GridHousehold, f: GridFilter, ctx: { today: string; visits: boolean; address: (buildingId: number) => string }): boolean {
	if (f.b !== null && h.building_id !== f.b) return false;
	if (f.care === 'none' && h.carers.length) return false;
	if (f.req === 'open' && !h.requests.open) return false;
	if (f.req === 'overdue' && !h.requests.overdue) return false;
	if (f.flag === 'mobile' && !h.members.some((m) => m.mobile)) return false;
	if (f.flag === 'reported' && !h.members.some((m) => m.reported)) return false;
	if (f.flag === 'any' && !h.members.some((m) => m.mobile || m.reported)) return false;
	// visits: with none recorded yet, no household can be said to be visited or due
	if (f.visit && ctx.visits && h.last_visit !== null && daysBetween(h.last_visit, ctx.today) < f.visit) return false;
	if (f.visit && !ctx.visits) return false;
	if (f.follow === 'due' && !(h.follow_up !== null && h.follow_up <= ctx.today)) return false;
	if (f.q) {
		const q = f.q.toLowerCase();
		const home = h.home ? [`${h.home.unit}-${h.home.room}`, `${h.home.unit}单元${h.home.room}`, h.home.room] : [];
		// names are searched only where they are shown whole: a masked name cannot be found by its hidden part
		const names = h.home ? h.members.map((m) => m.name) : [];
		const hay = [ctx.address(h.building_id), ...home, ...names].map((s) => s.toLowerCase());
		if (!hay.some((s) => s.includes(q))) return false;
	}
	return true;
}

function figuresOf(households: GridHousehold[], buildings: number, visits: boolean, day: string): GridFigures {
	const count = (p: (h: GridHousehold) => boolean) => households.reduce((n, h) => n + (p(h) ? 1 : 0), 0);
	const notVisited = VISIT_DAY_CHOICES[0];
	return {
		buildings,
		households: households.length,
		uncared: count((h) => !h.carers.length),
		open_requests: households.reduce((n, h) => n + h.requests.open, 0),
		overdue_requests: households.reduce((n, h) => n + h.requests.overdue, 0),
		flagged: count((h) => h.members.some((m) => m.mobile || m.reported)),
		not_visited_30: visits ? count((h) => h.last_visit === null || daysBetween(h.last_visit, day) >= notVisited) : null,
		follow_up_due: visits ? count((h) => h.follow_up !== null && h.follow_up <= day) : null
	};
}

/** The grid page: the grid, its buildings, one page of the households the filter keeps, and the grid's figures. */
export async function myGrid(trx: Scoped, code: string, viewer: Shown, filter: GridFilter): Promise<MyGridView | undefined> {
	const grid = await gridRef(trx, code);
	if (!grid) return undefined;
	const p = scopeLike(trx);
	const { rows: buildingRows } = await sql<Omit<GridBuilding, 'matching' | 'at'> & { lon: number; lat: number }>`
		select b.id::int as id, b.name, b.address, b.kind, b.units::int as units, b.floors::int as floors,
		       (select count(*) from household h where h.building_id = b.id and h.grid_code like ${p})::int as households,
		       ST_X(pt) as lon, ST_Y(pt) as lat
		from building b cross join lateral (select ST_PointOnSurface(b.geom) as pt) s
		where b.grid_code = ${code} and b.grid_code like ${p}
		order by b.address, b.id
		limit ${MY_GRID_BOUNDS.households}`.execute(trx);
	const rows = await householdRows(trx, { grid: code });
	const day = await today(trx);
	const { households, visits } = await shape(trx, rows, viewer);
	const address = new Map(buildingRows.map((b) => [b.id, `${b.name ?? ''} ${b.address}`]));
	// the list follows the buildings' order (by address), then unit, floor and room
	const order = new Map(buildingRows.map((b, i) => [b.id, i]));
	households.sort((a, b) => (order.get(a.building_id) ?? 0) - (order.get(b.building_id) ?? 0));
	const kept = households.filter((h) => keeps(h, filter, { today: day, visits, address: (id) => address.get(id) ?? '' }));
	const matching = new Map<number, number>();
	for (const h of kept) matching.set(h.building_id, (matching.get(h.building_id) ?? 0) + 1);
	return {
		grid,
		figures: figuresOf(households, buildingRows.length, visits, day),
		buildings: buildingRows.map(({ lon, lat, ...b }) => ({ ...b, matching: matching.get(b.id) ?? 0, at: [lon, lat] })),
		households: kept.slice(filter.offset, filter.offset + filter.limit),
		total: kept.length,
		filter,
		visits,
		masked: !viewer.unmasked,
		today: day
	};
}

/** A central household (党员中心户) in the caller's scope and the households it looks after. */
export async function centralHousehold(trx: Scoped, householdId: number, viewer: Shown): Promise<CentralHouseholdView | undefined> {
	const p = scopeLike(trx);
	const { rows } = await sql<{
		household_id: number;
		building_id: number;
		grid_code: string;
		address: string;
		name: string | null;
		unit: number;
		floor: number;
		room: string;
		member: string | null;
		lon: number;
		lat: number;
	}>`
		select c.household_id::int as household_id, h.building_id::int as building_id, h.grid_code, b.address, b.name,
		       h.unit::int as unit, h.floor::int as floor, h.room, m.name as member,
		       ST_X(ST_PointOnSurface(b.geom)) as lon, ST_Y(ST_PointOnSurface(b.geom)) as lat
		from central_household c
		join household h on h.id = c.household_id
		join building b on b.id = h.building_id
		left join party_member m on m.id = c.member_id and m.scope_code like ${p}
		where c.household_id = ${householdId} and c.grid_code like ${p} and h.grid_code like ${p}`.execute(trx);
	const c = rows[0];
	if (!c) return undefined;
	const grid = await gridRef(trx, c.grid_code);
	if (!grid) return undefined;
	const { rows: links } = await sql<{ id: number }>`
		select l.household_id::int as id from central_household_link l
		where l.central_household_id = ${householdId} and l.grid_code like ${p}
		order by l.household_id limit ${MY_GRID_BOUNDS.households}`.execute(trx);
	const linked = await householdRows(trx, { ids: links.map((l) => l.id) });
	const day = await today(trx);
	const { households, visits } = await shape(trx, linked, viewer);
	const buildingIds = [...new Set(households.map((h) => h.building_id))];
	const { rows: places } = buildingIds.length
		? await sql<{ id: number; address: string; lon: number; lat: number }>`
			select b.id::int as id, coalesce(b.name || ' ', '') || b.address as address, ST_X(pt) as lon, ST_Y(pt) as lat
			from building b cross join lateral (select ST_PointOnSurface(b.geom) as pt) s
			where b.id = any(${sql.val(buildingIds)}::bigint[]) and b.grid_code like ${p}`.execute(trx)
		: { rows: [] };
	const place = new Map(places.map((b) => [b.id, b]));
	const name = (n: string | null) => (n === null ? '—' : viewer.unmasked ? n : maskName(n));
	return {
		grid,
		central: {
			household_id: c.household_id,
			building_id: c.building_id,
			address: `${c.name ? `${c.name} ` : ''}${c.address}`,
			home: viewer.unmasked ? { unit: c.unit, floor: c.floor, room: c.room } : null,
			member: name(c.member),
			at: [c.lon, c.lat]
		},
		households: households.map((h) => {
			const b = place.get(h.building_id);
			return { ...h, at: b ? ([b.lon, b.lat] as [number, number]) : [c.lon, c.lat], address: b?.address ?? '' };
		}),
		visits,
		masked: !viewer.unmasked,
		today: day
	};
}
