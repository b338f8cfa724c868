// Visits (走访, issue 11 part 2): every read and write takes the scoped transaction first, so
// row-level security (sql/015) bounds it to the caller's subtree on a server, and every query
// filters by the transaction's scope itself as well (the embedded backend's owner bypasses RLS).
// A visit is recorded once per client id (a retry returns the first one), edited only by its
// visitor within VISIT_EDIT_HOURS, and every change leaves an audit row. The clock is jiceng_now()
// (sql/016): tests set it in their own transaction, no route does.
import { sql } from 'kysely';
import { scopeLike, type Scoped } from '../scoped.ts';
import { isRole, type Role } from '../../auth/roles.ts';
import { auditBy, type AuditActor } from '../../auth/audit.ts';
import type { TickerItem } from '../../../api/screen.ts';
import { VISIT_EDIT_HOURS, type LastVisit, type NewVisitInput, type VisitEditInput, type VisitRefusal, type VisitRow } from '../../../api/visits.ts';
import { queueVisitChange, visitWindowsOf } from '../../coverage/visits.ts';

export type { LastVisit, VisitRow };

/** roles that record visits (in their own subtree): the grid leader, and the secretaries above who visit too */
export const VISIT_WRITERS: readonly Role[] = ['grid_leader', 'community_secretary', 'street_secretary'];
/** roles that read visits in their subtree (persons' homes: not planners, the screen or the administrators) */
export const VISIT_READERS: readonly Role[] = ['grid_leader', 'community_secretary', 'street_secretary', 'district_admin'];

export interface VisitActor extends AuditActor {
	role: Role;
}

export class VisitError extends Error {
	readonly code: VisitRefusal;
	readonly status: 400 | 403 | 404 | 409;
	constructor(code: VisitRefusal, status: VisitError['status']) {
		super(code);
		this.code = code;
		this.status = status;
	}
}

interface RawVisit extends Omit<VisitRow, 'created_at' | 'updated_at'> {
	created_at: Date | string;
	updated_at: Date | string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const shape = (r: RawVisit): VisitRow => ({ ...r, created_at: iso(r.created_at), updated_at: iso(r.updated_at) });

/** the columns every answer has; `editable` for `actor` */
const columns = (actor: VisitActor) => sql`v.id::int as id, v.client_id, v.household_id::int as household_id, v.grid_code,
	v.visitor_id::int as visitor_id, v.visitor_name, v.kind, to_char(v.visited_on, 'YYYY-MM-DD') as visited_on, v.note,
	to_char(v.follow_up_on, 'YYYY-MM-DD') as follow_up_on, v.created_at, v.updated_at,
	(v.visitor_id is not distinct from ${actor.accountId}::int8 and ${actor.accountId}::int8 is not null
	 and jiceng_now() - v.created_at < make_interval(hours => ${VISIT_EDIT_HOURS})) as editable`;

async function visitById(trx: Scoped, actor: VisitActor, id: number): Promise<VisitRow | null> {
	const { rows } = await sql<RawVisit>`select ${columns(actor)} from visit v where v.id = ${id} and v.grid_code like ${scopeLike(trx)}`.execute(trx);
	return rows[0] ? shape(rows[0]) : null;
}

/** Refuses a day after tomorrow (the device may be a time zone ahead of the server) and a follow-up before the visit. */
async function checkDays(trx: Scoped, visitedOn: string | null, followUpOn: string | null): Promise<void> {
	const {
		rows: [r]
	} = await sql<{ future: boolean; before: boolean }>`
		select coalesce(${visitedOn}::date, jiceng_now()::date) > jiceng_now()::date + 1 as future,
		       coalesce(${followUpOn}::date < coalesce(${visitedOn}::date, jiceng_now()::date), false) as before`.execute(trx);
	if (r.future) throw new VisitError('future_day', 400);
	if (r.before) throw new VisitError('follow_up_before', 400);
}

/** Records a visit to a household in scope; a retry with the same client id returns the visit the first attempt made. */
export async function recordVisit(trx: Scoped, actor: VisitActor, input: NewVisitInput): Promise<{ visit: VisitRow; created: boolean }> {
	if (!VISIT_WRITERS.includes(actor.role)) throw new VisitError('forbidden', 403);
	const again = async (): Promise<{ visit: VisitRow; created: boolean } | null> => {
		const { rows } =
			await sql<RawVisit>`select ${columns(actor)} from visit v where v.client_id = ${input.client_id} and v.grid_code like ${scopeLike(trx)}`.execute(trx);
		if (!rows[0]) return null;
		// the same id for another household is not a retry
		if (rows[0].household_id !== input.household_id) throw new VisitError('client_id_reused', 409);
		return { visit: shape(rows[0]), created: false };
	};
	const first = await again();
	if (first) return first;
	const { rows: hh } = await sql<{ grid_code: string }>`
		select grid_code from household where id = ${input.household_id} and grid_code like ${scopeLike(trx)}`.execute(trx);
	if (!hh[0]) throw new VisitError('not_found', 404);
	await checkDays(trx, input.visited_on ?? null, input.follow_up_on ?? null);
	const before = await visitWindowsOf(trx, input.household_id, { lock: true });
	const note = input.note?.trim() ? input.note.trim() : null;
	const { rows } = await sql<{ id: number }>`
		insert into visit (client_id, household_id, grid_code, visitor_id, visitor_name, kind, visited_on, note, follow_up_on, created_at, updated_at)
		values (${input.client_id}, ${input.household_id}, ${hh[0].grid_code}, ${actor.accountId}, ${actor.username.slice(0, 50)}, ${input.kind},
		        coalesce(${input.visited_on ?? null}::date, jiceng_now()::date), ${note}, ${input.follow_up_on ?? null}::date, jiceng_now(), jiceng_now())
		on conflict (client_id) do nothing
		returning id::int as id`.execute(trx);
	if (!rows[0]) {
		// a concurrent retry won the race (or the id is taken outside the scope: not this caller's)
		const raced = await again();
		if (!raced) throw new VisitError('client_id_reused', 409);
		return raced;
	}
	const id = rows[0].id;
	const after = await visitWindowsOf(trx, input.household_id);
	const visit = (await visitById(trx, actor, id))!;
	// the household's change of the visit figures, queued with the visit: the route waits for the pass
	// that applies it after the commit (coverage/visit-changes.ts), so its answer comes counted
	await queueVisitChange(trx, hh[0].grid_code, before, after);
	await auditBy(trx, actor, 'edit', `visit:${id}:record household:${input.household_id}`);
	return { visit, created: true };
}

/**
 * Edits a visit: only its own visitor, only within VISIT_EDIT_HOURS of recording it. Absent fields
 * stay; null clears the note or the follow-up. Audited with the fields changed.
 */
export async function editVisit(trx: Scoped, actor: VisitActor, id: number, changes: VisitEditInput): Promise<VisitRow> {
	if (!VISIT_WRITERS.includes(actor.role)) throw new VisitError('forbidden', 403);
	const { rows } = await sql<{
		visitor_id: number | null;
		young: boolean;
		visited_on: string;
		follow_up_on: string | null;
		household_id: number;
		grid_code: string;
	}>`
		select visitor_id::int as visitor_id, household_id::int as household_id, grid_code, jiceng_now() - created_at < make_interval(hours => ${VISIT_EDIT_HOURS}) as young,
		       to_char(visited_on, 'YYYY-MM-DD') as visited_on, to_char(follow_up_on, 'YYYY-MM-DD') as follow_up_on
		from visit where id = ${id} and grid_code like ${scopeLike(trx)} for update`.execute(trx);
	const at = rows[0];
	if (!at) throw new VisitError('not_found', 404);
	if (actor.accountId === null || at.visitor_id !== actor.accountId) throw new VisitError('not_yours', 403);
	if (!at.young) throw new VisitError('too_old', 403);
	const visitedOn = changes.visited_on ?? at.visited_on;
	const followUpOn = changes.follow_up_on === undefined ? at.follow_up_on : changes.follow_up_on;
	await checkDays(trx, visitedOn, followUpOn);
	const changed = (Object.keys(changes) as (keyof VisitEditInput)[]).filter((k) => changes[k] !== undefined);
	if (changed.length) {
		const note = changes.note === undefined ? undefined : changes.note?.trim() ? changes.note.trim() : null;
		const before = await visitWindowsOf(trx, at.household_id, { lock: true });
		await sql`update visit set
			kind = coalesce(${changes.kind ?? null}, kind),
			visited_on = ${visitedOn}::date,
			note = ${note === undefined ? sql`note` : note},
			follow_up_on = ${followUpOn}::date,
			updated_at = jiceng_now()
			where id = ${id}`.execute(trx);
		// a new day moves the household in or out of the windows: the served figures follow
		await queueVisitChange(trx, at.grid_code, before, await visitWindowsOf(trx, at.household_id));
		await auditBy(trx, actor, 'edit', `visit:${id}:edit ${changed.sort().join(',')}`);
	}
	return (await visitById(trx, actor, id))!;
}

/** A household's visits, newest first; null when the household is not in scope. */
export async function visitsOfHousehold(trx: Scoped, actor: VisitActor, householdId: number, limit = 100): Promise<VisitRow[] | null> {
	if (!VISIT_READERS.includes(actor.role)) throw new VisitError('forbidden', 403);
	const { rows: hh } = await sql`select 1 as one from household where id = ${householdId} and grid_code like ${scopeLike(trx)}`.execute(trx);
	if (!hh[0]) return null;
	const { rows } = await sql<RawVisit>`
		select ${columns(actor)} from visit v where v.household_id = ${householdId} and v.grid_code like ${scopeLike(trx)}
		order by v.visited_on desc, v.id desc limit ${Math.min(Math.max(limit, 1), 1000)}`.execute(trx);
	return rows.map(shape);
}

/** The last visit (and how many in all) of each visited household of a grid (or any area) in scope; households never visited are absent. */
export async function lastVisitsOfArea(trx: Scoped, code: string): Promise<LastVisit[]> {
	const { rows } = await sql<LastVisit>`
		select distinct on (v.household_id) v.household_id::int as household_id, v.id::int as visit_id, v.kind,
		       to_char(v.visited_on, 'YYYY-MM-DD') as visited_on, to_char(v.follow_up_on, 'YYYY-MM-DD') as follow_up_on,
		       (count(*) over (partition by v.household_id))::int as visits
		from visit v
		where v.grid_code like ${`${code}%`} and v.grid_code like ${scopeLike(trx)}
		order by v.household_id, v.visited_on desc, v.id desc`.execute(trx);
	return rows;
}

/** The same for a list of households (the grid page's rows), by household id. */
export async function lastVisitsByHousehold(trx: Scoped, householdIds: readonly number[]): Promise<Map<number, LastVisit>> {
	const out = new Map<number, LastVisit>();
	if (!householdIds.length) return out;
	const { rows } = await sql<LastVisit>`
		select distinct on (v.household_id) v.household_id::int as household_id, v.id::int as visit_id, v.kind,
		       to_char(v.visited_on, 'YYYY-MM-DD') as visited_on, to_char(v.follow_up_on, 'YYYY-MM-DD') as follow_up_on,
		       (count(*) over (partition by v.household_id))::int as visits
		from visit v
		where v.household_id = any(${sql.val(householdIds.map(Number))}::bigint[]) and v.grid_code like ${scopeLike(trx)}
		order by v.household_id, v.visited_on desc, v.id desc`.execute(trx);
	for (const r of rows) out.set(r.household_id, r);
	return out;
}

/** The visit actor of a signed-in viewer (routes); null for a principal that is no account role (the screen). */
export function visitActorOf(viewer: { principal: string; accountId: number | null; username: string }, clientAddr: string): VisitActor | null {
	if (!isRole(viewer.principal)) return null;
	return { accountId: viewer.accountId, username: viewer.username, role: viewer.principal, clientAddr: clientAddr || null };
}

/** how far back the screen's "visits this week" counts, days (today included) */
export const VISITS_WEEK_DAYS = 7;

/**
 * The big screen's visit figures for `code`'s subtree (for screenActivity(), src/lib/server/screen/
 * activity.ts): visits made on the last VISITS_WEEK_DAYS days, and the latest visits as ticker
 * lines — the grid, the kind and the day, never who visited whom or what was noted.
 */
export async function visitActivity(trx: Scoped, code: string, limit = 10): Promise<{ visits_week: number; latest: TickerItem[] }> {
	const prefix = `${code}%`;
	const {
		rows: [week]
	} = await sql<{ n: number }>`
		select count(*)::int as n from visit
		where grid_code like ${prefix} and grid_code like ${scopeLike(trx)} and visited_on > jiceng_now()::date - ${VISITS_WEEK_DAYS}::int`.execute(trx);
	const { rows } = await sql<{ grid_code: string; grid_name: string; kind: string; at: Date | string }>`
		select v.grid_code, a.name as grid_name, v.kind, v.created_at as at
		from visit v join area a on a.code = v.grid_code
		where v.grid_code like ${prefix} and v.grid_code like ${scopeLike(trx)}
		order by v.created_at desc, v.id desc limit ${Math.min(Math.max(limit, 0), 100)}`.execute(trx);
	return {
		visits_week: week.n,
		latest: rows.map((r) => ({ kind: 'visit', status: 'done', grid_code: r.grid_code, grid_name: r.grid_name, category: r.kind, at: iso(r.at) }))
	};
}
