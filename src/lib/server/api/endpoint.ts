// The one way into the server's data: every +server.ts handler is `endpoint({ guard, params,
// query, body }, handler)`. Before the handler runs, the guard says who is calling (or refuses),
// and every input is parsed by its schema (src/lib/api/inputs.ts) with a 400 that names the
// field; the handler then gets the parsed input and a transaction that carries the caller's
// scope (db/scoped.ts), so a query cannot run unscoped and a route cannot forget its scope.
// tests/routes/endpoint-layer.test.ts fails for a route that does not go through here.
import { error, type RequestEvent } from '@sveltejs/kit';
import * as v from 'valibot';
import { getDb } from '../db/index.ts';
import type { Db } from '../db/open.ts';
import { withScope, type Scoped } from '../db/scoped.ts';
import { rethrowUnavailable } from '../db/unavailable.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { Guard } from './guards.ts';
import { readCapped } from './body.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any input, any output: the one place schemas are held generically
export type Schema = v.GenericSchema<any, any>;
export type Out<S> = S extends Schema ? v.InferOutput<S> : undefined;

/**
 * How the handler reaches the database:
 * - 'request' (default): one scoped transaction around the whole handler;
 * - 'snapshot': the same in one snapshot (REPEATABLE READ, read only): all figures from one generation;
 * - 'none': no transaction held; `scoped(fn)` opens short ones (analyses under a time budget, which
 *   must not hold a connection while they compute, and routes with no caller).
 */
export type TxMode = 'request' | 'snapshot' | 'none';

export interface EndpointSpec<C, P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, T extends TxMode> {
	guard: Guard<C>;
	params?: P;
	query?: Q;
	body?: B;
	tx?: T;
	/** the handler opens the database itself (the health check, which reports it down); `db` is then unset */
	lazyDb?: boolean;
}

/** Opens a short transaction in the caller's scope. */
export type OpenScoped = <R>(fn: (trx: Scoped) => Promise<R>, options?: { snapshot?: boolean }) => Promise<R>;

export interface EndpointContext<C, P, Q, B> {
	/** who is calling, as the guard answered */
	caller: C;
	input: { params: P; query: Q; body: B };
	event: RequestEvent;
	url: URL;
	/** the caller's address, for the audit log */
	clientAddress: string;
	/** a short scoped transaction of its own (the caller's scope) */
	scoped: OpenScoped;
}

/**
 * A handler that holds the request's transaction does all its database work in it: it gets `trx`
 * and no `db` (on the embedded backend, a second query beside an open transaction would wait for
 * it forever). A handler without one gets `db` and opens short scoped transactions with `scoped`.
 */
export type EndpointHandler<C, P, Q, B, T extends TxMode> = (
	ctx: EndpointContext<C, P, Q, B> & (T extends 'none' ? { db: Db } : { trx: Scoped })
) => Promise<Response>;

/** the most bytes of a JSON body read (larger ones are refused before they are parsed) */
export const BODY_MAX_BYTES = 64 * 1024;
/** the most characters of a query string parsed */
export const QUERY_MAX_CHARS = 4096;

const ENDPOINT = Symbol.for('jiceng.endpoint');

/** Whether a handler was made by the layer: endpoint(), pageLoad() or action() (the route tests check every export). */
export function isEndpoint(handler: unknown): boolean {
	return typeof handler === 'function' && ENDPOINT in handler;
}

function scopeOfCaller(caller: unknown): string | null {
	if (caller && typeof caller === 'object') {
		if ('scope' in caller && typeof caller.scope === 'string') return caller.scope;
		if ('viewer' in caller) return (caller.viewer as Viewer | null)?.scope ?? null;
	}
	return null;
}

function refuse(where: string, issues: readonly v.BaseIssue<unknown>[]): never {
	const issue = issues[0];
	const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
	error(400, `${where}${path ? `.${path}` : ''}: ${issue.message}`);
}

export function parse<S extends Schema | undefined>(schema: S, value: unknown, where: string): Out<S> {
	if (!schema) return undefined as Out<S>;
	const result = v.safeParse(schema, value);
	if (!result.success) refuse(where, result.issues);
	return result.output as Out<S>;
}

/** Each query parameter's first value, as URLSearchParams.get reads it (a repeat changes nothing). */
function firstValues(params: URLSearchParams): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, value] of params) if (!(key in out)) out[key] = value;
	return out;
}

async function readBody(request: Request): Promise<unknown> {
	const text = new TextDecoder().decode(await readCapped(request, BODY_MAX_BYTES, 'body'));
	try {
		return JSON.parse(text);
	} catch {
		error(400, 'body: must be JSON');
	}
}

/** What every way in (endpoint, page load, form action) has once the guard answered. */
export interface Prepared<C> {
	caller: C;
	db: Db;
	url: URL;
	clientAddress: string;
	scoped: OpenScoped;
	/** runs `fn` as the mode says: in one scoped transaction, one snapshot, or with none held */
	within<R>(mode: TxMode, fn: (access: { trx: Scoped } | { db: Db }) => Promise<R>): Promise<R>;
}

/**
 * The shared prologue: the guard first (401/403 before anything runs), the query string bounded
 * and parsed with the path parameters, then the database and the caller's scope.
 */
export async function prepare<C, P extends Schema | undefined, Q extends Schema | undefined>(
	spec: { guard: Guard<C>; params?: P; query?: Q; lazyDb?: boolean },
	event: RequestEvent
): Promise<Prepared<C> & { params: Out<P>; query: Out<Q> }> {
	const caller = spec.guard.check(event.locals);
	// every input bounded and parsed before any work
	// (a test's event may carry neither)
	const url = event.url ?? new URL(event.request?.url ?? 'http://localhost/');
	if (url.search.length > QUERY_MAX_CHARS) error(414, `query: at most ${QUERY_MAX_CHARS} characters`);
	const params = parse(spec.params as P, event.params ?? {}, 'path');
	const query = parse(spec.query as Q, firstValues(url.searchParams), 'query');
	const db = spec.lazyDb ? (undefined as unknown as Db) : await getDb();
	const scope = scopeOfCaller(caller);
	const scoped: OpenScoped = (fn, options = {}) => {
		if (scope === null) throw new Error('this route has no caller to scope a transaction to');
		return withScope(db, scope, fn, options);
	};
	let clientAddress = '';
	try {
		clientAddress = event.getClientAddress?.() ?? '';
	} catch {
		// no address (a test's event, a socket already gone): the audit row says so
	}
	const within = <R>(mode: TxMode, fn: (access: { trx: Scoped } | { db: Db }) => Promise<R>): Promise<R> =>
		mode === 'none' ? fn({ db }) : scoped((trx) => fn({ trx }), { snapshot: mode === 'snapshot' });
	return { caller, db, url, clientAddress, scoped, within, params, query };
}

export function endpoint<
	C,
	P extends Schema | undefined = undefined,
	Q extends Schema | undefined = undefined,
	B extends Schema | undefined = undefined,
	T extends TxMode = 'request'
>(spec: EndpointSpec<C, P, Q, B, T>, handler: EndpointHandler<C, Out<P>, Out<Q>, Out<B>, T>): (event: RequestEvent) => Promise<Response> {
	const run = async (event: RequestEvent): Promise<Response> => {
		const p = await prepare(spec, event);
		const body = spec.body ? parse(spec.body, await readBody(event.request), 'body') : (undefined as Out<B>);
		const ctx = { caller: p.caller, input: { params: p.params, query: p.query, body }, event, url: p.url, clientAddress: p.clientAddress, scoped: p.scoped };
		return p.within(spec.tx ?? 'request', (access) => handler({ ...ctx, ...access } as never));
	};
	// the database away or out of connections: a quick 503 with Retry-After (db/unavailable.ts)
	return markLayer((event: RequestEvent) => run(event).catch(rethrowUnavailable), spec.guard.name);
}

/** Marks a function as made by the layer (endpoint, pageLoad, action). */
export function markLayer<F extends object>(fn: F, guardName: string): F {
	return Object.assign(fn, { [ENDPOINT]: guardName });
}
