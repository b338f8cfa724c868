// Accounts for the benchmarks that drive the app over HTTP with real sessions: made the way
// `npm run user:add` makes them (the system actor, active, no password change due), afresh each
// run, then signed in through POST /login (app-server.ts signIn).
import type { Db } from '../../src/lib/server/db/open.ts';
import { createAccount } from '../../src/lib/server/auth/accounts.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';

/** Replaces any account of that name with a new active one bound to `area`. */
export async function benchAccount(db: Db, input: { username: string; role: Role; area: string; password: string }): Promise<void> {
	const system = { accountId: null, username: 'system', role: 'system' };
	await db.kysely.deleteFrom('account').where('username', '=', input.username).execute();
	await createAccount(
		db.kysely,
		{
			username: input.username,
			displayName: `bench ${input.role}`,
			role: input.role,
			areaCode: input.area,
			password: input.password,
			mustChangePassword: false
		},
		system
	);
}
