// Every request's database work runs in a transaction that carries the caller's scope, so the
// server's row-level security (sql/006) sees it: set_config(…, true) lasts for this
// transaction only, and a pooled connection never hands one user's scope to the next.
import { sql, type Transaction } from 'kysely';
import type { Db } from './open.ts';
import type { Database } from './schema.ts';

export type Scoped = Transaction<Database>;

/** Runs `fn` in a transaction scoped to the area-code prefix `scope` ('*' for system work). */
export function withScope<T>(db: Db, scope: string, fn: (trx: Scoped) => Promise<T>): Promise<T> {
	if (scope !== '*' && !/^\d{6}(\d{3}){0,3}$/.test(scope)) throw new Error(`invalid scope "${scope}"`);
	return db.kysely.transaction().execute(async (trx) => {
		await sql`select set_config('jiceng.scope', ${scope}, true)`.execute(trx);
		return fn(trx);
	});
}
