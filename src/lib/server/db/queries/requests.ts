// Residents' requests (群众诉求, issue 11 part 3): every read and write takes the scoped
// transaction first, so row-level security (sql/016) bounds it to the caller's subtree; the state
// machine (src/lib/server/requests/machine.ts) decides who may do what.
import { sql, type RawBuilder } from 'kysely';
// every query filters by the transaction's scope itself: the embedded backend's owner bypasses RLS
import { scopeLike, scopePrefix, type Scoped } from '../scoped.ts';
import type { Role } from '../../auth/roles.ts';
import { auditBy } from '../../auth/audit.ts';
import type { RequestEventItem, RequestItem } from '../../../api/requests.ts';
import {
	CREATORS,
	READERS,
	REQUEST_ACTIONS,
	transition,
	type Overdue,
	type Refusal,
	type RequestAction,
	type RequestLevel,
	type RequestState
} from '../../requests/machine.ts';
import { OVERDUE } from '../../requests/overdue.ts';

export interface RequestActor {
	accountId: number | null;
	username: string;
	role: Role;
}

export interface NewRequest {
	clientId: string;
	category: string;
	urgency: 'normal' | 'urgent' | 'critical';
	description: string;
	householdId?: number | null;
	/** [lon, lat], when made from a point on the map */
	point?: [number, number] | null;
	photo?: { bytes: Uint8Array; type: string } | null;
}

/** A request as the queries read it: the answer's item (api/requests.ts), with the state machine's
 *  types and the time as the driver gives it (the answer's contract makes it ISO text) */
export type RequestRow = Omit<RequestItem, 'state' | 'level' | 'created_at' | 'overdue'> & {
	state: RequestState;
	level: RequestLevel;
	created_at: Date;
	overdue: Overdue;
};

export class RequestError extends Error {
	readonly code: Refusal | 'not_found' | 'no_place' | 'invalid_input';
	readonly status: 400 | 403 | 404 | 409;
	constructor(code: RequestError['code'], status: RequestError['status']) {
		super(code);
		this.code = code;
		this.status = status;
	}
}

const COLUMNS = sql`r.id::int as id, r.client_id, r.grid_code, r.household_id::int as household_id,
	ST_X(r.geom) as lon, ST_Y(r.geom) as lat, r.category, r.urgency, r.description, r.state, r.level, r.instruction,
	r.photo is not null as has_photo, r.created_at, ${OVERDUE} as overdue`;

/** Creates a request; a retry with the same client id returns the row the first attempt made. */
export async function createRequest(trx: Scoped, actor: RequestActor, input: NewRequest): Promise<{ id: number; created: boolean }> {
	if (!CREATORS.includes(actor.role)) throw new RequestError('forbidden', 403);
	const existing = await sql<{
		id: number;
	}>`select id::int as id from request where client_id = ${input.clientId} and grid_code like ${scopeLike(trx)}`.execute(trx);
	if (existing.rows[0]) return { id: existing.rows[0].id, created: false };
	// the place: the household's building (visible only in scope), or the grid holding the point
	let place: { grid_code: string; lon: number; lat: number } | undefined;
	if (input.householdId != null) {
		place = (
			await sql<{ grid_code: string; lon: number; lat: number }>`
			select h.grid_code, ST_X(ST_PointOnSurface(b.geom)) as lon, ST_Y(ST_PointOnSurface(b.geom)) as lat
			from household h join building b on b.id = h.building_id where h.id = ${input.householdId} and h.grid_code like ${scopeLike(trx)}`.execute(trx)
		).rows[0];
	} else if (input.point) {
		const [lon, lat] = input.point;
		place = (
			await sql<{ grid_code: string; lon: number; lat: number }>`
			select a.code as grid_code, ${lon}::float8 as lon, ${lat}::float8 as lat from area a
			where a.level = 'grid' and a.code like ${scopeLike(trx)} and ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))
			order by a.code limit 1`.execute(trx)
		).rows[0];
	}
	if (!place) throw new RequestError('no_place', 404);
	const { rows } = await sql<{ id: number }>`
		insert into request (client_id, grid_code, household_id, geom, category, urgency, description, photo, photo_type, created_by)
		values (${input.clientId}, ${place.grid_code}, ${input.householdId ?? null}, ST_SetSRID(ST_MakePoint(${place.lon}, ${place.lat}), 4326),
		        ${input.category}, ${input.urgency}, ${input.description}, ${input.photo?.bytes ?? null}, ${input.photo?.type ?? null}, ${actor.accountId})
		on conflict (client_id) do nothing
		returning id::int as id`.execute(trx);
	if (!rows[0]) {
		// a concurrent retry won the race
		const again = await sql<{ id: number }>`select id::int as id from request where client_id = ${input.clientId}`.execute(trx);
		if (!again.rows[0]) throw new RequestError('not_found', 404);
		return { id: again.rows[0].id, created: false };
	}
	const id = rows[0].id;
	await sql`insert into request_event (request_id, grid_code, account_id, username, role, action, to_state, to_level)
		values (${id}, ${place.grid_code}, ${actor.accountId}, ${actor.username}, ${actor.role}, 'submit', 'submitted', 'grid')`.execute(trx);
	await auditBy(trx, actor, 'edit', `request:${id}:submit`);
	return { id, created: true };
}

export async function getRequest(trx: Scoped, actor: RequestActor, id: number): Promise<RequestRow | null> {
	if (!READERS.includes(actor.role)) throw new RequestError('forbidden', 403);
	const { rows } =
		await sql<RequestRow>`select ${COLUMNS} from request r join request_time_limit l using (category, urgency) where r.id = ${id} and r.grid_code like ${scopeLike(trx)}`.execute(
			trx
		);
	return rows[0] ?? null;
}

export interface RequestFilter {
	state?: RequestState | 'open';
	overdue?: boolean;
	/** only requests of this area (a grid, or every grid under a community or street) */
	area?: string;
	limit?: number;
	offset?: number;
}

export async function listRequests(trx: Scoped, actor: RequestActor, filter: RequestFilter = {}): Promise<RequestRow[]> {
	if (!READERS.includes(actor.role)) throw new RequestError('forbidden', 403);
	const { rows } = await sql<RequestRow>`
		select * from (select ${COLUMNS} from request r join request_time_limit l using (category, urgency)
		  where r.grid_code like ${scopeLike(trx)} and r.grid_code like ${`${filter.area ?? ''}%`}
		    and (${filter.state ?? null}::text is null or (${filter.state ?? null} = 'open' and r.state <> 'confirmed') or r.state = ${filter.state ?? null})) x
		where (not ${!!filter.overdue} or x.overdue <> 'none')
		order by case x.overdue when 'red' then 0 when 'amber' then 1 else 2 end, x.id desc
		limit ${Math.min(filter.limit ?? 200, 1000)} offset ${Math.max(0, filter.offset ?? 0)}`.execute(trx);
	return rows;
}

/** a step of a request's trail as the driver reads it: the answer's item with a Date */
export type RequestEvent = Omit<RequestEventItem, 'at'> & { at: Date };

export async function requestEvents(trx: Scoped, id: number): Promise<RequestEvent[]> {
	const { rows } = await sql<RequestEvent>`
		select at, username, role, action, from_state, to_state, from_level, to_level, reason
		from request_event where request_id = ${id} and grid_code like ${scopeLike(trx)} order by id`.execute(trx);
	return rows;
}

/** Moves a request (state or level); records who, when and why, in the request's trail and the audit log. */
export async function actOnRequest(trx: Scoped, actor: RequestActor, id: number, action: RequestAction, reason: string | null): Promise<Transition> {
	const { rows } = await sql<{ state: RequestState; level: RequestLevel; grid_code: string }>`
		select state, level, grid_code from request where id = ${id} and grid_code like ${scopeLike(trx)} for update`.execute(trx);
	const at = rows[0];
	if (!at) throw new RequestError('not_found', 404);
	const next = transition(actor.role, action, at, reason);
	// a refusal rolls the transaction back; the route records the denial (its audit runs outside it)
	if ('refused' in next) {
		throw new RequestError(next.refused, next.refused === 'forbidden' ? 403 : next.refused === 'invalid_state' ? 409 : 400);
	}
	const instruction = action === 'return' ? reason : action === 'escalate' ? null : undefined;
	await sql`update request set state = ${next.state}, level = ${next.level},
		instruction = ${instruction === undefined ? sql`instruction` : instruction},
		accepted_at = case when ${next.state} = 'accepted' and accepted_at is null then jiceng_now() else accepted_at end,
		resolved_at = case when ${next.state} = 'resolved' then jiceng_now() when ${next.state} = 'reopened' then null else resolved_at end,
		confirmed_at = case when ${next.state} = 'confirmed' then jiceng_now() else confirmed_at end
		where id = ${id}`.execute(trx);
	await sql`insert into request_event (request_id, grid_code, account_id, username, role, action, from_state, to_state, from_level, to_level, reason)
		values (${id}, ${at.grid_code}, ${actor.accountId}, ${actor.username}, ${actor.role}, ${action}, ${at.state}, ${next.state}, ${at.level}, ${next.level}, ${reason})`.execute(
		trx
	);
	await auditBy(trx, actor, 'edit', `request:${id}:${action}`);
	return next;
}
type Transition = { state: RequestState; level: RequestLevel };

export interface HouseholdRequests {
	open: number;
	overdue: number;
	worst: Overdue;
}

/** Open (not confirmed) requests per household, for the grid page; households without any are absent. */
export async function openRequestsByHousehold(trx: Scoped, householdIds: readonly number[]): Promise<Map<number, HouseholdRequests>> {
	const out = new Map<number, HouseholdRequests>();
	if (!householdIds.length) return out;
	const { rows } = await sql<{ household_id: number; open: number; amber: number; red: number }>`
		select household_id::int as household_id, count(*)::int as open,
		       count(*) filter (where o = 'amber')::int as amber, count(*) filter (where o = 'red')::int as red
		from (select r.household_id, ${OVERDUE} as o from request r join request_time_limit l using (category, urgency)
		      where r.household_id = any(${sql.val(householdIds.map(Number))}::bigint[]) and r.grid_code like ${scopeLike(trx)} and r.state <> 'confirmed') x
		group by household_id`.execute(trx);
	for (const r of rows) out.set(r.household_id, { open: r.open, overdue: r.amber + r.red, worst: r.red ? 'red' : r.amber ? 'amber' : 'none' });
	return out;
}

export interface AreaRequestTimes {
	code: string;
	requests: number;
	open: number;
	overdue: number;
	/** mean hours from submission to acceptance, over accepted requests */
	response_hours: number | null;
	/** mean hours from submission to resolution, over resolved requests */
	resolution_hours: number | null;
}

/**
 * The request figures of each area, as five SQL columns — requests, requests_open (not
 * confirmed), requests_overdue (amber or red), response_hours and resolution_hours (means, 2
 * decimals) — of the requests whose grid lies under `code` (an SQL expression naming the area's
 * code: a prefix range). The count and the two means add up the area's grids in
 * request_grid_figures, which the database keeps per grid (sql/029): counted from the requests at
 * every read, a district admin's panel read every request the district ever had. Open and overdue
 * requests move with the clock: counted here, over the area's open requests only
 * (request_open_idx). The one query path of these figures: the rankings and the area rows
 * (queries/coverage.ts areaCoverageSql) and requestTimesByArea below. Rows beyond the
 * transaction's scope are cut by row-level security (sql/016, sql/029) — and a caller reads only
 * areas inside its scope, whose requests all are.
 */
export function areaRequestJoin(code: RawBuilder<unknown>): RawBuilder<unknown> {
	const hours = (secs: string, n: string) => sql`round(sum(${sql.ref(`f.${secs}`)}) / nullif(sum(${sql.ref(`f.${n}`)}), 0) / 3600, 2)::float8`;
	return sql`left join lateral (
		select coalesce(sum(f.requests), 0)::int4 as requests,
		       ${hours('response_secs', 'responded')} as response_hours,
		       ${hours('resolution_secs', 'resolved')} as resolution_hours
		from request_grid_figures f
		where f.grid_code ~>=~ ${code} and f.grid_code ~<~ (${code} || ':')) rq on true
	left join lateral (
		select count(*)::int4 as requests_open,
		       (count(*) filter (where ${OVERDUE} <> 'none'))::int4 as requests_overdue
		from request r join request_time_limit l using (category, urgency)
		where r.state <> 'confirmed' and r.grid_code ~>=~ ${code} and r.grid_code ~<~ (${code} || ':')) ro on true`;
}

/** areaRequestJoin's five figures, as the area rows name them */
export const AREA_REQUEST_COLUMNS = sql`rq.requests, ro.requests_open, ro.requests_overdue, rq.response_hours, rq.resolution_hours`;

/** Response and resolution times per area of a level (grid, community, street) in scope; areas are matched by code prefix. */
export async function requestTimesByArea(trx: Scoped, level: 'grid' | 'community' | 'street'): Promise<AreaRequestTimes[]> {
	const { rows } = await sql<AreaRequestTimes>`
		select code, requests, requests_open as open, requests_overdue as overdue, response_hours, resolution_hours
		from (select a.code, ${AREA_REQUEST_COLUMNS} from area a ${areaRequestJoin(sql`a.code`)} where a.level = ${level} and a.code like ${scopeLike(trx)}) x
		order by code`.execute(trx);
	return rows;
}

export interface TimeLimit {
	category: string;
	urgency: string;
	respond_hours: number;
	resolve_hours: number;
}

export async function timeLimits(trx: Scoped): Promise<TimeLimit[]> {
	const { rows } = await sql<TimeLimit>`select category, urgency, respond_hours, resolve_hours from request_time_limit order by category, urgency`.execute(trx);
	return rows;
}

export async function setTimeLimit(trx: Scoped, actor: RequestActor, limit: TimeLimit): Promise<void> {
	if (actor.role !== 'district_admin') throw new RequestError('forbidden', 403);
	await sql`update request_time_limit set respond_hours = ${limit.respond_hours}, resolve_hours = ${limit.resolve_hours}
		where category = ${limit.category} and urgency = ${limit.urgency}`.execute(trx);
	await auditBy(trx, actor, 'edit', `request_time_limit:${limit.category}:${limit.urgency}`);
}

/** The actions `actor` may take on a request at (state, level) now (the detail page's buttons). */
export function allowedActions(actor: RequestActor, at: Transition): RequestAction[] {
	return REQUEST_ACTIONS.filter((a) => {
		const next = transition(actor.role, a, at, 'a reason');
		return !('refused' in next);
	});
}

/** Sets (or replaces) a request's photo, already checked and cleaned (photo.ts); creators only, in scope. */
export async function setRequestPhoto(trx: Scoped, actor: RequestActor, id: number, photo: { bytes: Uint8Array; type: string }): Promise<void> {
	if (!CREATORS.includes(actor.role)) throw new RequestError('forbidden', 403);
	const { rows } = await sql<{ id: number }>`update request set photo = ${photo.bytes}, photo_type = ${photo.type}
		where id = ${id} and grid_code like ${scopeLike(trx)} returning id::int as id`.execute(trx);
	if (!rows[0]) throw new RequestError('not_found', 404);
	await auditBy(trx, actor, 'edit', `request:${id}:photo`);
}

/** The stored photo bytes (already stripped of metadata), for the detail page. */
export async function requestPhoto(trx: Scoped, id: number): Promise<{ bytes: Uint8Array; type: string } | null> {
	const { rows } = await sql<{
		photo: Uint8Array | null;
		photo_type: string | null;
	}>`select photo, photo_type from request where id = ${id} and grid_code like ${scopeLike(trx)}`.execute(trx);
	const r = rows[0];
	return r?.photo && r.photo_type ? { bytes: r.photo, type: r.photo_type } : null;
}

/** What the big screen shows of requests in `code`'s subtree: counts, overdue places, the latest as ticker lines. */
export interface RequestActivity {
	open: number;
	overdue: number;
	/** grids holding overdue requests, at the grid's centre (never the request's own point) */
	overdue_places: { grid_code: string; grid_name: string; lon: number; lat: number; n: number }[];
	/** the latest requests: category and state, where (the grid) and when — never who or what was written */
	latest: { kind: 'request'; status: string; grid_code: string; grid_name: string; category: string; at: string }[];
}

export async function requestActivity(trx: Scoped, code: string, limit = 10): Promise<RequestActivity> {
	const prefix = `${code}%`;
	// the open and overdue counts are the rankings' own (areaRequestJoin), of the part of `code` inside
	// the caller's scope: the longer of the two prefixes when one holds the other, else none
	const scope = scopePrefix(trx);
	const within = code.startsWith(scope) ? code : scope.startsWith(code) ? scope : null;
	const {
		rows: [n]
	} =
		within === null
			? { rows: [{ open: 0, overdue: 0 }] }
			: await sql<{ open: number; overdue: number }>`
		select ro.requests_open as open, ro.requests_overdue as overdue
		from (select ${within}::text as code) a ${areaRequestJoin(sql`a.code`)}`.execute(trx);
	const { rows: places } = await sql<{ grid_code: string; grid_name: string; lon: number; lat: number; n: number }>`
		select x.grid_code, a.name as grid_name, ST_X(ST_PointOnSurface(a.geom)) as lon, ST_Y(ST_PointOnSurface(a.geom)) as lat, x.n
		from (select r.grid_code, count(*)::int as n from request r join request_time_limit l using (category, urgency)
		      where r.state <> 'confirmed' and r.grid_code like ${prefix} and r.grid_code like ${scopeLike(trx)} and ${OVERDUE} <> 'none' group by r.grid_code) x
		join area a on a.code = x.grid_code
		order by x.n desc, x.grid_code limit 20`.execute(trx);
	const { rows: latest } = await sql<{ grid_code: string; grid_name: string; category: string; state: string; o: Overdue; at: Date | string }>`
		select r.grid_code, a.name as grid_name, r.category, r.state, ${OVERDUE} as o, r.created_at as at
		from request r join area a on a.code = r.grid_code join request_time_limit l using (category, urgency)
		where r.grid_code like ${prefix} and r.grid_code like ${scopeLike(trx)}
		order by r.created_at desc, r.id desc limit ${Math.min(Math.max(limit, 0), 100)}`.execute(trx);
	return {
		open: n.open,
		overdue: n.overdue,
		overdue_places: places.map((p) => ({ ...p, lon: Number(p.lon), lat: Number(p.lat), n: Number(p.n) })),
		latest: latest.map((r) => ({
			kind: 'request',
			status: r.o !== 'none' ? 'overdue' : r.state === 'confirmed' ? 'closed' : r.state,
			grid_code: r.grid_code,
			grid_name: r.grid_name,
			category: r.category,
			at: new Date(r.at).toISOString()
		}))
	};
}
