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
	const accountId = await createAccount(db, {
		username, displayName: `测试 ${username}`, role, areaCode, password: PASSWORD, canViewPersons, mustChangePassword: false
	}, SYSTEM);
	return {
		accountId, username, displayName: `测试 ${username}`, role, areaCode, canViewPersons,
		mustChangePassword: false, passwordExpired: false, demo: false
	};
}

export const actorOf = (u: SessionUser): Actor => ({ accountId: u.accountId, username: u.username, role: u.role, clientAddr: '10.0.0.9' });

export async function lastAudit(db: Kysely<Database>) {
	return db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
}
