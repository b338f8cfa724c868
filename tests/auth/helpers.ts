// Shared set-up for the auth tests: a seeded database, the codes of one branch of its
// hierarchy, and accounts created the way the app creates them.
import type { Kysely } from 'kysely';
import type { Database } from '../../src/lib/server/db/schema.ts';
import { createAccount, type Actor } from '../../src/lib/server/auth/accounts.ts';
import type { SessionUser } from '../../src/lib/server/auth/sessions.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';

export const SYSTEM: Actor = { accountId: null, username: 'test', role: 'system' };
export const PASSWORD = 'Correct-Horse9';

export interface Branch {
	district: string;
	street: string;
	community: string;
	grid: string;
}

export async function branch(db: Kysely<Database>): Promise<Branch> {
	const first = async (level: 'district' | 'street' | 'community' | 'grid', parent?: string) => {
		let q = db.selectFrom('area').select('code').where('level', '=', level);
		if (parent) q = q.where('parent_code', '=', parent);
		return (await q.orderBy('code').executeTakeFirstOrThrow()).code;
	};
	const district = await first('district');
	const street = await first('street', district);
	const community = await first('community', street);
	const grid = await first('grid', community);
	return { district, street, community, grid };
}

export async function account(db: Kysely<Database>, username: string, role: Role, areaCode: string, canViewPersons = false): Promise<SessionUser> {
	const accountId = await createAccount(
		db,
		{
			username,
			displayName: `测试 ${username}`,
			role,
			areaCode,
			password: PASSWORD,
			canViewPersons,
			mustChangePassword: false
		},
		SYSTEM
	);
	return {
		accountId,
		username,
		displayName: `测试 ${username}`,
		role,
		areaCode,
		canViewPersons,
		mustChangePassword: false,
		passwordExpired: false,
		demo: false
	};
}

export const actorOf = (u: SessionUser): Actor => ({ accountId: u.accountId, username: u.username, role: u.role, clientAddr: '10.0.0.9' });

export async function lastAudit(db: Kysely<Database>) {
	return db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
}

// ─── calling route code as SvelteKit calls it ─────────────────────────────────────────────────

const DB_KEY = Symbol.for('jiceng.db');

/** Makes the routes' getDb() hand out `db` until the returned function is called. */
export function serveDb(db: unknown): () => void {
	const holder = globalThis as Record<symbol, unknown>;
	const previous = holder[DB_KEY];
	holder[DB_KEY] = Promise.resolve(db);
	return () => {
		holder[DB_KEY] = previous;
	};
}

export interface SetCookie {
	name: string;
	value: string;
	options: Record<string, unknown>;
}

/** A request event for a page's load or action: a form makes it a POST. */
export function routeEvent(
	user: SessionUser | null,
	opts: {
		form?: Record<string, string>;
		url?: string;
		clientAddr?: string;
		cookies?: Record<string, string>;
	} = {}
) {
	const cookies: SetCookie[] = [];
	const headers: Record<string, string> = {};
	const url = new URL(opts.url ?? 'http://localhost/admin');
	return {
		cookies,
		headers,
		event: {
			locals: { user, viewer: null },
			url,
			params: {},
			request: new Request(url, { method: opts.form ? 'POST' : 'GET', body: opts.form ? new URLSearchParams(opts.form) : undefined }),
			getClientAddress: () => opts.clientAddr ?? '10.1.2.3',
			setHeaders: (h: Record<string, string>) => Object.assign(headers, h),
			cookies: {
				set: (name: string, value: string, options: Record<string, unknown>) => cookies.push({ name, value, options }),
				get: (name: string) => opts.cookies?.[name],
				delete: () => {}
			}
		} as never
	};
}

/** Runs a load or action: 'ok', the status of a thrown error, or the redirect's status and place. */
export async function outcome(run: () => unknown): Promise<{ status: number | 'ok'; location?: string; value?: unknown }> {
	const { isHttpError, isRedirect } = await import('@sveltejs/kit');
	try {
		return { status: 'ok', value: await run() };
	} catch (e) {
		if (isHttpError(e)) return { status: e.status };
		if (isRedirect(e)) return { status: e.status, location: e.location };
		throw e;
	}
}
