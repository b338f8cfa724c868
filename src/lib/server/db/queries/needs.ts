// Needs, resources and projects (需求清单 · 资源清单 · 项目清单, issue 11 part 4). Every read and write
// takes the scoped transaction first, so row-level security (sql/017) bounds it on a server, and
// every query filters by the scope itself as well (the embedded backend's owner bypasses RLS).
// A need and a resource are recorded once per client id (a retry returns the first); a need is
// claimed once (project.need_id is unique); every write leaves an audit row.
import { sql } from 'kysely';
import { scopeLike, scopePrefix, type Scoped } from '../scoped.ts';
import { isRole, type Role } from '../../auth/roles.ts';
import { auditBy, type AuditActor } from '../../auth/audit.ts';
import { maskName } from '../../../privacy.ts';
import {
	NEED_LIST_MAX,
	type ClaimInput,
	type FinishProjectInput,
	type NeedCategory,
	type NeedLists,
	type NeedRefusal,
	type NeedRow,
	type NewNeedInput,
	type NewResourceInput,
	type Offerer,
	type ProjectRow,
	type ResourceRow
} from '../../../api/needs.ts';

/** roles that read the lists in their area (persons' needs: not planners, the screen or the administrators) */
export const NEED_READERS: readonly Role[] = ['grid_leader', 'community_secretary', 'street_secretary', 'district_admin'];
/** roles that enter needs (a grid leader from a request or a point in their grid, a secretary in their area) */
export const NEED_WRITERS: readonly Role[] = ['grid_leader', 'community_secretary', 'street_secretary'];
/** roles that list resources and record claims and results: the community and street organisations (seed 003) */
export const CLAIMERS: readonly Role[] = ['community_secretary', 'street_secretary', 'district_admin'];

export interface NeedActor extends AuditActor {
	role: Role;
	/** sees the names of persons in their own area unmasked */
	unmasked: boolean;
}

export class NeedError extends Error {
	readonly code: NeedRefusal;
	readonly status: 400 | 403 | 404 | 409;
	constructor(code: NeedRefusal, status: NeedError['status']) {
		super(code);
		this.code = code;
		this.status = status;
	}
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The organisation or member a row names (a resource's offerer, a project's owner), as the joins read them. */
interface OffererColumns {
	org_id: number | null;
	org_name: string | null;
	member_id: number | null;
	member_name: string | null;
	member_scope: string | null;
}

/** Who a row names, as this viewer may read it: a member's name unmasked only for one of their own area's members. */
function offererOf(actor: NeedActor, scope: string, r: OffererColumns): Offerer | null {
	if (r.org_id !== null && r.org_name !== null) return { kind: 'org', id: r.org_id, name: r.org_name };
	if (r.member_id === null || r.member_name === null) return null;
	const own = actor.unmasked && r.member_scope !== null && r.member_scope.startsWith(scope);
	return { kind: 'member', id: r.member_id, name: own ? r.member_name : maskName(r.member_name) };
}

// -------------------------------------------------------------------- reads

interface RawNeed extends Omit<NeedRow, 'created_at'> {
	created_at: Date | string;
}
const needColumns = sql`n.id::int as id, n.grid_code, n.request_id::int as request_id, ST_X(n.geom) as lon, ST_Y(n.geom) as lat,
	n.category, n.title, n.description, n.state, n.created_at`;
const shapeNeed = (r: RawNeed): NeedRow => ({ ...r, created_at: iso(r.created_at) });

interface RawResource extends Omit<ResourceRow, 'offered_by'>, OffererColumns {}
// the members' names are read as the owner of the view: the resource's policy already let the row through
const resourceColumns = sql`r.id::int as id, r.area_code, ST_X(r.geom) as lon, ST_Y(r.geom) as lat, r.category, r.title, r.description, r.active,
	r.org_id::int as org_id, o.name as org_name, r.member_id::int as member_id, m.name as member_name, m.scope_code as member_scope`;
const resourceJoins = sql`left join party_org o on o.id = r.org_id left join party_member m on m.id = r.member_id`;

/** resources seen from `prefix` (the scope, or an area inside it): offered to an area inside it, or to its own area or one above it */
const resourceVisible = (trx: Scoped, prefix = scopePrefix(trx)) =>
	sql`(r.area_code like ${scopeLike(trx)} and r.area_code like ${prefix + '%'} or (${prefix} <> '' and starts_with(${prefix}, r.area_code)))`;

/** `area` narrowing the transaction's scope (never widening it: an area outside is not found) */
function narrowed(trx: Scoped, area: string | undefined): string {
	const prefix = scopePrefix(trx);
	if (area === undefined || area === '') return prefix;
	if (!area.startsWith(prefix)) throw new NeedError('not_found', 404);
	return area;
}

function shapeResource(actor: NeedActor, scope: string, r: RawResource): ResourceRow {
	const by = offererOf(actor, scope, r);
	return {
		id: r.id,
		area_code: r.area_code,
		lon: r.lon,
		lat: r.lat,
		category: r.category,
		title: r.title,
		description: r.description,
		active: r.active,
		// a resource always has one of the two (sql/017 resource_offered_by_one); a member outside the viewer's sight reads masked
		offered_by: by ?? { kind: 'member', id: r.member_id ?? 0, name: '*' }
	};
}

interface RawProject extends OffererColumns {
	id: number;
	need_id: number;
	need_title: string;
	category: NeedCategory;
	grid_code: string;
	resource_id: number | null;
	direction: ProjectRow['direction'];
	due_on: string;
	state: ProjectRow['state'];
	result: string | null;
	overdue: boolean;
	created_at: Date | string;
	finished_at: Date | string | null;
}
const projectColumns = sql`p.id::int as id, p.need_id::int as need_id, n.title as need_title, n.category, p.grid_code, p.resource_id::int as resource_id,
	p.direction, p.org_id::int as org_id, o.name as org_name, p.member_id::int as member_id, m.name as member_name, m.scope_code as member_scope,
	to_char(p.due_on, 'YYYY-MM-DD') as due_on, p.state, p.result, (p.state = 'in_progress' and p.due_on < jiceng_now()::date) as overdue,
	p.created_at, p.finished_at`;
const projectJoins = sql`join need n on n.id = p.need_id left join party_org o on o.id = p.org_id left join party_member m on m.id = p.member_id`;

function shapeProject(actor: NeedActor, scope: string, r: RawProject): ProjectRow {
	const owner = offererOf(actor, scope, r);
	return {
		id: r.id,
		need_id: r.need_id,
		need_title: r.need_title,
		category: r.category,
		grid_code: r.grid_code,
		resource_id: r.resource_id,
		direction: r.direction,
		owner,
		due_on: r.due_on,
		state: r.state,
		result: r.result,
		overdue: r.overdue,
		created_at: iso(r.created_at),
		finished_at: r.finished_at === null ? null : iso(r.finished_at)
	};
}

async function needById(trx: Scoped, id: number): Promise<NeedRow | null> {
	const { rows } = await sql<RawNeed>`select ${needColumns} from need n where n.id = ${id} and n.grid_code like ${scopeLike(trx)}`.execute(trx);
	return rows[0] ? shapeNeed(rows[0]) : null;
}

async function resourceById(trx: Scoped, actor: NeedActor, id: number): Promise<ResourceRow | null> {
	const { rows } = await sql<RawResource>`select ${resourceColumns} from resource r ${resourceJoins} where r.id = ${id} and ${resourceVisible(trx)}`.execute(
		trx
	);
	return rows[0] ? shapeResource(actor, scopePrefix(trx), rows[0]) : null;
}

async function projectById(trx: Scoped, actor: NeedActor, id: number): Promise<ProjectRow | null> {
	const { rows } =
		await sql<RawProject>`select ${projectColumns} from project p ${projectJoins} where p.id = ${id} and p.grid_code like ${scopeLike(trx)}`.execute(trx);
	return rows[0] ? shapeProject(actor, scopePrefix(trx), rows[0]) : null;
}

/** The three lists of the caller's area: open needs first, then claimed and done; projects due first. */
export async function needLists(trx: Scoped, actor: NeedActor, area?: string): Promise<NeedLists> {
	if (!NEED_READERS.includes(actor.role)) throw new NeedError('forbidden', 403);
	const scope = scopePrefix(trx);
	const within = narrowed(trx, area) + '%';
	const cap = NEED_LIST_MAX + 1;
	const needs = (
		await sql<RawNeed>`select ${needColumns} from need n where n.grid_code like ${scopeLike(trx)} and n.grid_code like ${within}
			order by n.state = 'open' desc, n.state = 'claimed' desc, n.created_at desc, n.id desc limit ${cap}`.execute(trx)
	).rows;
	const resources = (
		await sql<RawResource>`select ${resourceColumns} from resource r ${resourceJoins} where ${resourceVisible(trx, narrowed(trx, area))}
			order by r.active desc, r.category, r.id limit ${cap}`.execute(trx)
	).rows;
	const projects = (
		await sql<RawProject>`select ${projectColumns} from project p ${projectJoins} where p.grid_code like ${scopeLike(trx)} and p.grid_code like ${within}
			order by p.state = 'in_progress' desc, p.due_on, p.id limit ${cap}`.execute(trx)
	).rows;
	return {
		needs: needs.slice(0, NEED_LIST_MAX).map(shapeNeed),
		resources: resources.slice(0, NEED_LIST_MAX).map((r) => shapeResource(actor, scope, r)),
		projects: projects.slice(0, NEED_LIST_MAX).map((r) => shapeProject(actor, scope, r)),
		truncated: { needs: needs.length > NEED_LIST_MAX, resources: resources.length > NEED_LIST_MAX, projects: projects.length > NEED_LIST_MAX }
	};
}

/** Open needs of the area with their places (the matching walks from them), at most `limit`. */
export async function openNeeds(trx: Scoped, limit: number, area?: string): Promise<{ rows: NeedRow[]; truncated: boolean }> {
	const within = narrowed(trx, area) + '%';
	const { rows } =
		await sql<RawNeed>`select ${needColumns} from need n where n.grid_code like ${scopeLike(trx)} and n.grid_code like ${within} and n.state = 'open'
		order by n.created_at, n.id limit ${limit + 1}`.execute(trx);
	return { rows: rows.slice(0, limit).map(shapeNeed), truncated: rows.length > limit };
}

/** Active resources this scope sees, with their places. */
export async function activeResources(trx: Scoped, actor: NeedActor, area?: string): Promise<ResourceRow[]> {
	const { rows } =
		await sql<RawResource>`select ${resourceColumns} from resource r ${resourceJoins} where r.active and ${resourceVisible(trx, narrowed(trx, area))}
		order by r.id limit ${NEED_LIST_MAX * 4}`.execute(trx);
	return rows.map((r) => shapeResource(actor, scopePrefix(trx), r));
}

// -------------------------------------------------------------------- writes

/** Enters a need from a request in scope (its place and grid) or at a point inside a grid of the caller's area. */
export async function recordNeed(trx: Scoped, actor: NeedActor, input: NewNeedInput): Promise<{ need: NeedRow; created: boolean }> {
	if (!NEED_WRITERS.includes(actor.role)) throw new NeedError('forbidden', 403);
	const again = async () => {
		const { rows } =
			await sql<RawNeed>`select ${needColumns} from need n where n.client_id = ${input.client_id} and n.grid_code like ${scopeLike(trx)}`.execute(trx);
		return rows[0] ? { need: shapeNeed(rows[0]), created: false } : null;
	};
	const first = await again();
	if (first) return first;
	let at: { grid_code: string; lon: number; lat: number } | undefined;
	if (input.request_id != null) {
		({
			rows: [at]
		} = await sql<{ grid_code: string; lon: number; lat: number }>`
			select grid_code, ST_X(geom) as lon, ST_Y(geom) as lat from request where id = ${input.request_id} and grid_code like ${scopeLike(trx)}`.execute(trx));
		if (!at) throw new NeedError('not_found', 404);
	} else {
		const [lon, lat] = input.point!;
		({
			rows: [at]
		} = await sql<{ grid_code: string; lon: number; lat: number }>`
			select a.code as grid_code, ${lon}::float8 as lon, ${lat}::float8 as lat from area a
			where a.level = 'grid' and a.code like ${scopeLike(trx)} and ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))
			order by a.code limit 1`.execute(trx));
		if (!at) throw new NeedError('outside_area', 400);
	}
	const { rows } = await sql<{ id: number }>`
		insert into need (client_id, grid_code, request_id, geom, category, title, description, created_by, created_at)
		values (${input.client_id}, ${at.grid_code}, ${input.request_id ?? null}, ST_SetSRID(ST_MakePoint(${at.lon}, ${at.lat}), 4326),
		        ${input.category}, ${input.title}, ${input.description?.trim() || null}, ${actor.accountId}, jiceng_now())
		on conflict do nothing
		returning id::int as id`.execute(trx);
	if (!rows[0]) {
		// a concurrent retry won the race, or the request already has its need, or the id is someone else's
		const raced = await again();
		if (raced) return raced;
		throw new NeedError(input.request_id != null ? 'already_claimed' : 'client_id_reused', 409);
	}
	await auditBy(trx, actor, 'edit', `need:${rows[0].id}:record ${input.request_id != null ? `request:${input.request_id}` : 'point'}`);
	return { need: (await needById(trx, rows[0].id))!, created: true };
}

/** The organisation or member in the caller's area, with the place it works from; null when out of sight. */
async function offererInScope(trx: Scoped, input: { org_id?: number | null; member_id?: number | null }): Promise<{ lon: number; lat: number } | null> {
	if (input.org_id != null) {
		const { rows } = await sql<{ lon: number; lat: number }>`
			select ST_X(p) as lon, ST_Y(p) as lat from party_org o
			left join building b on b.id = o.building_id left join area a on a.code = o.area_code
			cross join lateral (select coalesce(ST_PointOnSurface(b.geom), ST_PointOnSurface(a.geom)) as p) x
			where o.id = ${input.org_id} and coalesce(b.grid_code, o.area_code) like ${scopeLike(trx)}`.execute(trx);
		return rows[0] ?? null;
	}
	const { rows } = await sql<{ lon: number; lat: number }>`
		select ST_X(p) as lon, ST_Y(p) as lat from party_member m
		left join building w on w.id = m.workplace_building_id
		left join household h on h.id = m.household_id left join building hb on hb.id = h.building_id
		left join party_org o on o.id = m.org_id left join area a on a.code = o.area_code
		cross join lateral (select coalesce(ST_PointOnSurface(w.geom), ST_PointOnSurface(hb.geom), ST_PointOnSurface(a.geom)) as p) x
		where m.id = ${input.member_id!} and m.scope_code like ${scopeLike(trx)} and p is not null`.execute(trx);
	return rows[0] ?? null;
}

/** Lists a resource offered by an organisation or member of the caller's area, to an area inside it. */
export async function recordResource(trx: Scoped, actor: NeedActor, input: NewResourceInput): Promise<{ resource: ResourceRow; created: boolean }> {
	if (!CLAIMERS.includes(actor.role)) throw new NeedError('forbidden', 403);
	const again = async () => {
		const { rows } = await sql<{
			id: number;
		}>`select r.id::int as id from resource r where r.client_id = ${input.client_id} and ${resourceVisible(trx)}`.execute(trx);
		return rows[0] ? { resource: (await resourceById(trx, actor, rows[0].id))!, created: false } : null;
	};
	const first = await again();
	if (first) return first;
	const areaCode = input.area_code ?? scopePrefix(trx);
	const { rows: area } = await sql<{ code: string }>`select code from area where code = ${areaCode} and code like ${scopeLike(trx)}`.execute(trx);
	if (!area[0]) throw new NeedError('outside_area', 400);
	const place = await offererInScope(trx, input);
	if (!place) throw new NeedError('not_found', 404);
	const [lon, lat] = input.point ?? [place.lon, place.lat];
	if (input.point) {
		const { rows: inside } = await sql<{ ok: boolean }>`
			select ST_Intersects(geom, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)) as ok from area where code = ${scopePrefix(trx) || areaCode}`.execute(trx);
		if (!inside[0]?.ok) throw new NeedError('outside_area', 400);
	}
	const { rows } = await sql<{ id: number }>`
		insert into resource (client_id, area_code, org_id, member_id, geom, category, title, description, created_by, created_at)
		values (${input.client_id}, ${areaCode}, ${input.org_id ?? null}, ${input.member_id ?? null}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326),
		        ${input.category}, ${input.title}, ${input.description?.trim() || null}, ${actor.accountId}, jiceng_now())
		on conflict (client_id) do nothing
		returning id::int as id`.execute(trx);
	if (!rows[0]) {
		const raced = await again();
		if (raced) return raced;
		throw new NeedError('client_id_reused', 409);
	}
	await auditBy(trx, actor, 'edit', `resource:${rows[0].id}:record ${input.org_id != null ? `org:${input.org_id}` : `member:${input.member_id}`}`);
	return { resource: (await resourceById(trx, actor, rows[0].id))!, created: true };
}

/**
 * Claims an open need: a listed resource taken for it (its offerer owns the project), or an
 * organisation or member of the caller's area claiming it. The need is locked first, so of two
 * claims at once one makes the project and the other is told it was claimed.
 */
export async function claimNeed(trx: Scoped, actor: NeedActor, needId: number, input: ClaimInput): Promise<ProjectRow> {
	if (!CLAIMERS.includes(actor.role)) throw new NeedError('forbidden', 403);
	const { rows: found } = await sql<{ state: string; category: NeedCategory; grid_code: string }>`
		select state, category, grid_code from need where id = ${needId} and grid_code like ${scopeLike(trx)} for update`.execute(trx);
	const need = found[0];
	if (!need) throw new NeedError('not_found', 404);
	if (need.state !== 'open') throw new NeedError('already_claimed', 409);
	let owner: { org_id: number | null; member_id: number | null };
	if (input.resource_id != null) {
		const { rows } = await sql<{ org_id: number | null; member_id: number | null; category: NeedCategory; active: boolean }>`
			select r.org_id::int as org_id, r.member_id::int as member_id, r.category, r.active from resource r
			where r.id = ${input.resource_id} and ${resourceVisible(trx)}`.execute(trx);
		if (!rows[0] || !rows[0].active) throw new NeedError('not_found', 404);
		if (rows[0].category !== need.category) throw new NeedError('wrong_category', 400);
		owner = { org_id: rows[0].org_id, member_id: rows[0].member_id };
	} else {
		if (!(await offererInScope(trx, input))) throw new NeedError('not_found', 404);
		owner = { org_id: input.org_id ?? null, member_id: input.member_id ?? null };
	}
	const { rows: past } = await sql<{ past: boolean }>`select ${input.due_on}::date < jiceng_now()::date as past`.execute(trx);
	if (past[0].past) throw new NeedError('due_in_past', 400);
	const { rows } = await sql<{ id: number }>`
		insert into project (need_id, grid_code, resource_id, direction, org_id, member_id, due_on, created_by, created_at)
		values (${needId}, ${need.grid_code}, ${input.resource_id ?? null}, ${input.resource_id != null ? 'claims_resource' : 'claims_need'},
		        ${owner.org_id}, ${owner.member_id}, ${input.due_on}::date, ${actor.accountId}, jiceng_now())
		returning id::int as id`.execute(trx);
	await sql`update need set state = 'claimed' where id = ${needId}`.execute(trx);
	const by = input.resource_id != null ? `resource:${input.resource_id}` : owner.org_id !== null ? `org:${owner.org_id}` : `member:${owner.member_id}`;
	await auditBy(trx, actor, 'edit', `project:${rows[0].id}:claim need:${needId} by ${by}`);
	return (await projectById(trx, actor, rows[0].id))!;
}

/** Finishes a project with its result (the need is done), or cancels it (the need is open again, for another claim). */
export async function finishProject(trx: Scoped, actor: NeedActor, id: number, input: FinishProjectInput): Promise<ProjectRow> {
	if (!CLAIMERS.includes(actor.role)) throw new NeedError('forbidden', 403);
	const { rows } = await sql<{ state: string; need_id: number }>`
		select state, need_id::int as need_id from project where id = ${id} and grid_code like ${scopeLike(trx)} for update`.execute(trx);
	const p = rows[0];
	if (!p) throw new NeedError('not_found', 404);
	if (p.state !== 'in_progress') throw new NeedError('finished', 409);
	const result = input.result?.trim() || null;
	if (input.state === 'done') {
		await sql`update project set state = 'done', result = ${result}, finished_at = jiceng_now() where id = ${id}`.execute(trx);
		await sql`update need set state = 'done' where id = ${p.need_id}`.execute(trx);
	} else {
		// the project row keeps its history; the need is freed for another claim (one project per need: this one gives up its key)
		await sql`update project set state = 'cancelled', result = ${result}, finished_at = jiceng_now() where id = ${id}`.execute(trx);
		await sql`update need set state = 'open' where id = ${p.need_id}`.execute(trx);
	}
	await auditBy(trx, actor, 'edit', `project:${id}:${input.state}`);
	return (await projectById(trx, actor, id))!;
}

/** The actor of a request, or null for a principal that is not an account's role (the screen). */
export function needActorOf(
	viewer: { principal: string; accountId: number | null; username: string; unmasked: boolean },
	clientAddr: string
): NeedActor | null {
	if (!isRole(viewer.principal)) return null;
	return { accountId: viewer.accountId, username: viewer.username, role: viewer.principal, unmasked: viewer.unmasked, clientAddr: clientAddr || null };
}

/** How many organisations and members the resource form offers to choose from. */
const OFFERERS_MAX = 300;

/**
 * Who may offer a resource in the caller's area (the resource form's choices): its organisations,
 * and the members who reported to their community (在职党员到社区报到), named as the viewer may see them.
 */
export async function offerersInScope(trx: Scoped, actor: NeedActor): Promise<Offerer[]> {
	const scope = scopePrefix(trx);
	const { rows: orgs } = await sql<{ id: number; name: string }>`
		select o.id::int as id, o.name from party_org o left join building b on b.id = o.building_id
		where coalesce(b.grid_code, o.area_code) like ${scopeLike(trx)} order by o.kind, o.name, o.id limit ${OFFERERS_MAX}`.execute(trx);
	const { rows: members } = await sql<{ id: number; name: string; scope_code: string }>`
		select m.id::int as id, m.name, m.scope_code from party_member m
		where m.scope_code like ${scopeLike(trx)} and m.reported_to_community order by m.id limit ${OFFERERS_MAX}`.execute(trx);
	return [
		...orgs.map((o) => ({ kind: 'org' as const, id: o.id, name: o.name })),
		...members.map((m) => offererOf(actor, scope, { org_id: null, org_name: null, member_id: m.id, member_name: m.name, member_scope: m.scope_code })!)
	];
}

/** The need made from a request, if any (the request page links to it instead of offering another). */
export async function needOfRequest(trx: Scoped, requestId: number): Promise<number | null> {
	const { rows } = await sql<{ id: number }>`select id::int as id from need where request_id = ${requestId} and grid_code like ${scopeLike(trx)}`.execute(trx);
	return rows[0]?.id ?? null;
}

/** The bounding box of the caller's area [west, south, east, north] (the needs map opens on it). */
export async function scopeBox(trx: Scoped): Promise<[number, number, number, number] | null> {
	const { rows } = await sql<{ w: number; s: number; e: number; n: number }>`
		select ST_XMin(e) as w, ST_YMin(e) as s, ST_XMax(e) as e, ST_YMax(e) as n
		from (select ST_Extent(geom)::geometry as e from area where code like ${scopeLike(trx)}) x where e is not null`.execute(trx);
	return rows[0] ? [Number(rows[0].w), Number(rows[0].s), Number(rows[0].e), Number(rows[0].n)] : null;
}
