// What the administrators' and the auditor's pages read. No personal data: accounts, screens
// and the audit trail only (the audit trail holds ids and codes, never phone numbers).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ROLE_RULES, isRole } from '../auth/roles.ts';

export interface AccountRow {
	id: number;
	username: string;
	displayName: string;
	/** null while pending: a pending account holds no role (sql/008) */
	role: string | null;
	roleLabel: string;
	areaCode: string | null;
	areaName: string | null;
	areaLevel: string | null;
	status: 'active' | 'locked' | 'disabled' | 'pending';
	lockedUntil: string | null;
	disabledAt: string | null;
	canViewPersons: boolean;
	demo: boolean;
	mustChangePassword: boolean;
	passwordChangedAt: string;
	createdAt: string;
	/** what the system administrator asked for, and who asked (kept after approval) */
	requestedRole: string | null;
	requestedRoleLabel: string | null;
	requestedArea: string | null;
	requestedAreaName: string | null;
	requestedBy: string | null;
	approvedBy: string | null;
	approvedAt: string | null;
	/** no password of its own yet: the owner is still to sign in with both halves of the first password */
	awaitingFirstSignIn: boolean;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function roleLabel(role: string | null): string {
	if (role && (isRole(role) || role === 'display')) return `${ROLE_RULES[role].label['zh-CN']} ${ROLE_RULES[role].label.en}`;
	return role ?? '—';
}

export async function listAccounts(db: Kysely<Database>, now = new Date()): Promise<AccountRow[]> {
	const rows = await db
		.selectFrom('account as a')
		.leftJoin('area as r', 'r.code', 'a.area_code')
		.leftJoin('area as q', 'q.code', 'a.requested_area')
		.leftJoin('account as rb', 'rb.id', 'a.requested_by')
		.leftJoin('account as ab', 'ab.id', 'a.approved_by')
		.select([
			'a.id',
			'a.username',
			'a.display_name',
			'a.role',
			'a.area_code',
			'r.name as area_name',
			'r.level as area_level',
			'a.locked_until',
			'a.disabled_at',
			'a.can_view_persons',
			'a.demo',
			'a.must_change_password',
			'a.password_changed_at',
			'a.created_at',
			'a.pending',
			'a.requested_role',
			'a.requested_area',
			'q.name as requested_area_name',
			'rb.username as requested_by',
			'ab.username as approved_by',
			'a.approved_at'
		])
		// never the hashes themselves: only whether the first sign-in is still to come
		.select((eb) => eb('a.password_hash', 'is', null).as('awaiting_first_sign_in'))
		.orderBy('a.username')
		.execute();
	return rows.map((r) => ({
		id: r.id,
		username: r.username,
		displayName: r.display_name,
		role: r.role,
		roleLabel: roleLabel(r.role),
		areaCode: r.area_code,
		areaName: r.area_name,
		areaLevel: r.area_level,
		status: r.disabled_at ? 'disabled' : r.pending ? 'pending' : r.locked_until && new Date(r.locked_until) > now ? 'locked' : 'active',
		lockedUntil: r.locked_until && new Date(r.locked_until) > now ? iso(r.locked_until) : null,
		disabledAt: iso(r.disabled_at),
		canViewPersons: r.can_view_persons,
		demo: r.demo,
		mustChangePassword: r.must_change_password,
		passwordChangedAt: iso(r.password_changed_at)!,
		createdAt: iso(r.created_at)!,
		requestedRole: r.requested_role,
		requestedRoleLabel: r.requested_role ? roleLabel(r.requested_role) : null,
		requestedArea: r.requested_area,
		requestedAreaName: r.requested_area_name,
		requestedBy: r.requested_by,
		approvedBy: r.approved_by,
		approvedAt: iso(r.approved_at),
		awaitingFirstSignIn: Boolean(r.awaiting_first_sign_in)
	}));
}

export interface ScreenRow {
	id: number;
	name: string;
	areaCode: string;
	areaName: string | null;
	createdAt: string;
	createdBy: string | null;
	lastSeenAt: string | null;
	revokedAt: string | null;
	/** seconds the screen's auto-tour dwells on each stop */
	tourIntervalS: number;
}

export async function listScreens(db: Kysely<Database>): Promise<ScreenRow[]> {
	const rows = await db
		.selectFrom('display_screen as s')
		.leftJoin('area as r', 'r.code', 's.area_code')
		.leftJoin('account as a', 'a.id', 's.created_by')
		.select([
			's.id',
			's.name',
			's.area_code',
			'r.name as area_name',
			's.created_at',
			'a.username as created_by',
			's.last_seen_at',
			's.revoked_at',
			's.tour_interval_s'
		])
		.orderBy('s.revoked_at', (ob) => ob.desc().nullsFirst())
		.orderBy('s.id', 'desc')
		.execute();
	return rows.map((r) => ({
		id: r.id,
		name: r.name,
		areaCode: r.area_code,
		areaName: r.area_name,
		createdAt: iso(r.created_at)!,
		createdBy: r.created_by,
		lastSeenAt: iso(r.last_seen_at),
		revokedAt: iso(r.revoked_at),
		tourIntervalS: r.tour_interval_s
	}));
}

export interface AreaOption {
	code: string;
	name: string;
	level: string;
}

/** Areas to pick from in the forms: the district, its streets and communities (grids are typed). */
export async function areaOptions(db: Kysely<Database>, limit = 2000): Promise<AreaOption[]> {
	return db
		.selectFrom('area')
		.select(['code', 'name', 'level'])
		.where('level', 'in', ['district', 'street', 'community'])
		.orderBy('code')
		.limit(limit)
		.execute();
}

// ─── the audit trail ────────────────────────────────────────────────────────────────────────

export const AUDIT_ACTIONS = [
	'login',
	'failed_login',
	'logout',
	'account_locked',
	'password_change',
	'view_person',
	'export',
	'import',
	'edit',
	'permission_change',
	'kiosk_access'
] as const;
export const AUDIT_RESULTS = ['ok', 'denied', 'error'] as const;
export const AUDIT_PAGE_SIZE = 50;

export interface AuditQuery {
	from?: Date | null;
	to?: Date | null;
	username?: string | null;
	action?: string | null;
	result?: string | null;
	object?: string | null;
	page?: number;
}

export interface AuditRow {
	seq: number;
	at: string;
	accountId: number | null;
	username: string | null;
	role: string | null;
	action: string;
	object: string | null;
	result: string;
	clientAddr: string | null;
}

/** `%`, `_` and the escape character itself match literally (used with ESCAPE '\'). */
export function escapeLike(text: string): string {
	// PostgreSQL text cannot hold NUL: a filter with one would be a 500, not a miss
	return text.replace(/\u0000/g, '').replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function searchAudit(db: Kysely<Database>, q: AuditQuery): Promise<{ rows: AuditRow[]; total: number; page: number; pages: number }> {
	let query = db.selectFrom('audit_log');
	if (q.from) query = query.where('at', '>=', q.from);
	if (q.to) query = query.where('at', '<', q.to);
	if (q.username) query = query.where(sql<boolean>`username ilike ${`%${escapeLike(q.username)}%`} escape '\\'`);
	if (q.action && (AUDIT_ACTIONS as readonly string[]).includes(q.action)) {
		query = query.where('action', '=', q.action as (typeof AUDIT_ACTIONS)[number]);
	}
	if (q.result && (AUDIT_RESULTS as readonly string[]).includes(q.result)) {
		query = query.where('result', '=', q.result as (typeof AUDIT_RESULTS)[number]);
	}
	if (q.object) query = query.where(sql<boolean>`object ilike ${`%${escapeLike(q.object)}%`} escape '\\'`);

	const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
	const count = Number(total);
	const pages = Math.max(1, Math.ceil(count / AUDIT_PAGE_SIZE));
	const page = Math.min(Math.max(1, Math.floor(q.page ?? 1)), pages);
	const rows = await query
		.select(['seq', 'at', 'account_id', 'username', 'role', 'action', 'object', 'result', 'client_addr'])
		.orderBy('seq', 'desc')
		.limit(AUDIT_PAGE_SIZE)
		.offset((page - 1) * AUDIT_PAGE_SIZE)
		.execute();
	return {
		rows: rows.map((r) => ({
			seq: Number(r.seq),
			at: iso(r.at)!,
			accountId: r.account_id === null ? null : Number(r.account_id),
			username: r.username,
			role: r.role,
			action: r.action,
			object: r.object,
			result: r.result,
			clientAddr: r.client_addr
		})),
		total: count,
		page,
		pages
	};
}
