// Every request's database work runs in a transaction that carries the caller's scope, so the
// server's row-level security (sql/006) sees it: set_config(…, true) lasts for this
// transaction only, and a pooled connection never hands one user's scope to the next.
//
// The scope lives in the transaction: `Scoped` is a transaction branded with it, made only here,
// and query functions take it first and read the scope with `scopeOf(trx)` instead of being
// handed one beside it. A query that needs a scope cannot be called with a bare Kysely.
//
// One spelling each: the whole district is the district's own code (every area code starts with
// it); the system's own work (refreshes, start-up, scripts) is SYSTEM.
import { sql, type Kysely, type Transaction } from 'kysely';
import { AREA_CODE } from '../../api/inputs.ts';
import type { Db } from './open.ts';
import type { Database } from './schema.ts';

/** The system's own work: every row, whoever asked (never a request's scope). */
export const SYSTEM = '*';
/** an area code (the caller's subtree) or SYSTEM */
export type Scope = string;

declare const scopedBrand: unique symbol;
/** A transaction that carries its scope; made by withScope only. */
export type Scoped = Transaction<Database> & { readonly [scopedBrand]: true };

const scopes = new WeakMap<object, Scope>();

export function checkScope(scope: string): Scope {
	if (scope !== SYSTEM && !AREA_CODE.test(scope)) throw new Error(`invalid scope "${scope.slice(0, 20)}"`);
	return scope;
}

/** The scope a transaction was opened with. */
export function scopeOf(trx: Scoped): Scope {
	const scope = scopes.get(trx);
	if (scope === undefined) throw new Error('not a scoped transaction: open it with withScope');
	return scope;
}

/** The area-code prefix a scoped query filters by ('' for the system's work: every area). */
export function scopePrefix(trx: Scoped): string {
	const scope = scopeOf(trx);
	return scope === SYSTEM ? '' : scope;
}

/** LIKE pattern for every area code in the transaction's scope (scopes are digits only). */
export function scopeLike(trx: Scoped): string {
	return `${scopePrefix(trx)}%`;
}

export interface ScopeOptions {
	/** one snapshot for every query (REPEATABLE READ, read only): figures from one generation */
	snapshot?: boolean;
}

/** Runs `fn` in a transaction scoped to the area-code prefix `scope` (SYSTEM for the system's own work). */
export async function withScope<T>(db: Db | Kysely<Database>, scope: Scope, fn: (trx: Scoped) => Promise<T>, options: ScopeOptions = {}): Promise<T> {
	checkScope(scope);
	const run = (kysely: Kysely<Database>) => {
		const begin = options.snapshot ? kysely.transaction().setIsolationLevel('repeatable read').setAccessMode('read only') : kysely.transaction();
		return begin.execute(async (trx) => {
			// a custom setting, transaction-local: allowed on a hot standby too (db/replica.ts)
			// a literal (checked above): with no parameters it travels with the BEGIN (fused-begin.ts)
			await sql`select set_config('jiceng.scope', ${sql.lit(scope)}, true)`.execute(trx);
			scopes.set(trx, scope);
			return fn(trx as Scoped);
		});
	};
	if (!('kysely' in db)) return run(db);
	// a snapshot is read only: it may be served by the read replica (the primary when there is none)
	return options.snapshot ? db.reads.read((kysely) => run(kysely)) : run(db.kysely);
}
