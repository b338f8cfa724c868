// Every statement with parameters goes to the server as a named prepared statement, so each
// connection plans it once and PostgreSQL may keep a generic plan (plan_cache_mode auto: only when
// that plan is estimated no dearer than the custom ones). pg sends an unnamed statement otherwise,
// planned anew on every call: bench:load at Chaoyang (100 connections, pg_stat_statements with
// planning tracked) spent 21 s planning against 41 s executing — a search or a coverage panel
// plans for 1.9 ms and runs for 0.5, a household's visit windows plan for 0.3 ms and run for 0.05.
//
// A statement's name is its text's hash, so the same text is parsed once per connection (pg keeps
// what each connection has parsed) — and the size of the transaction's scope: row-level security
// (sql/009) compares each row with the scope set for the transaction, and a plan's estimates read
// that setting when it is made, so a generic plan made for a grid leader's few rows would be kept
// for a district admin's many (bench:load: an organisation's member count, 0.1 ms as re-planned,
// 24 ms with a grid's bitmap plan over the whole district). Plans are kept per scope level. The texts named are bounded (MAX_NAMED): a query built with a
// variable number of placeholders cannot fill the server's memory with plans. A named statement
// that the server no longer holds, or whose cached plan a schema change made unusable ("cached plan
// must not change result type"), is run once more unnamed, and unnamed from then on by that
// connection (a DEALLOCATE could not run in the transaction the error aborted).
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** distinct statement texts given a name, per process; later ones go unnamed */
export const MAX_NAMED = 500;

const installed = Symbol('named-statements');

type Query = (...args: unknown[]) => unknown;

/** the scope a message sets for its transaction (db/scoped.ts, written as a literal) */
const SCOPE_SET = /set_config\('jiceng\.scope', '([^']*)', true\)/;
const TRANSACTION_START = /^\s*(?:begin|start transaction)\b/i;
// (ROLLBACK TO SAVEPOINT goes on in the same transaction: the import's geometry checks use it)
const TRANSACTION_END = /^\s*(?:commit|end|abort|rollback(?!\s+to\b))\b/i;

/** what a plan's estimates depend on: how much of the hierarchy the scope holds ('*': all) */
export function scopeLevel(scope: string | null): string {
	if (scope === null) return 'none';
	return scope === '*' || scope === '' ? 'all' : String(scope.length);
}

/**
 * Names for prepared statements, by a key (a statement's text and what its plan depends on): the
 * key's hash under `prefix`, at most `max` keys per process, then null (the caller goes unnamed).
 */
export class StatementNames {
	readonly #names = new Map<string, string>();
	readonly prefix: string;
	readonly max: number;
	constructor(prefix: string, max: number) {
		this.prefix = prefix;
		this.max = max;
	}

	name(key: string): string | null {
		let name = this.#names.get(key);
		if (name === undefined) {
			if (this.#names.size >= this.max) return null;
			name = `${this.prefix}${createHash('sha1').update(key).digest('hex').slice(0, 24)}`;
			this.#names.set(key, name);
		}
		return name;
	}
}

const names = new StatementNames('j_', MAX_NAMED);

/** the name of `text`'s prepared statement under a scope level, or null once MAX_NAMED have one */
export function statementName(text: string, level = 'none'): string | null {
	return names.name(`${level}\n${text}`);
}

/** Sends `client`'s statements with parameters as named prepared statements (once per client). */
export function nameStatements(client: pg.ClientBase): void {
	const target = client as unknown as { [installed]?: true; query: Query };
	if (target[installed]) return;
	target[installed] = true;
	const send = client.query.bind(client) as Query;
	const unnamed = new Set<string>();
	// whether a transaction is open on this connection, and the scope it set (null: none)
	let open = false;
	let scope: string | null = null;
	target.query = (...args: unknown[]): unknown => {
		const [text, values] = args;
		// (text, values) only: a callback, a config object (a cursor, a row mode) or a query without
		// parameters (the simple protocol, which may hold several statements) go as they came
		if (args.length > 2 || typeof text !== 'string' || (values !== undefined && !Array.isArray(values))) return send(...args);
		if (!Array.isArray(values) || values.length === 0) {
			// a BEGIN sent with its scope (fused-begin.ts) holds it until the transaction ends; a
			// message that sets one without BEGIN (a tile) is a transaction of its own
			if (TRANSACTION_START.test(text)) open = true;
			else if (TRANSACTION_END.test(text)) {
				open = false;
				scope = null;
			}
			const set = open ? SCOPE_SET.exec(text) : null;
			if (set) scope = set[1];
			return send(...args);
		}
		const name = statementName(text, scopeLevel(scope));
		if (name === null || unnamed.has(name)) return send(...args);
		return (send({ name, text, values }) as Promise<unknown>).catch(async (e: unknown) => {
			if (!stalePlan(e)) throw e;
			unnamed.add(name);
			// inside a transaction the error has aborted it: then the caller hears the first error
			return (send(text, values) as Promise<unknown>).catch(() => {
				throw e;
			});
		});
	};
}

/** the server no longer has the statement (26000), or its cached plan no longer fits (0A000) */
function stalePlan(e: unknown): boolean {
	const error = e as { code?: string; message?: string };
	return error.code === '26000' || (error.code === '0A000' && /cached plan must not change result type/.test(error.message ?? ''));
}
