// Pages go through the same layer as +server.ts routes: a page's `load` is pageLoad({ guard,
// params, query, tx }, handler) and each form action is action({ guard, form, tx }, handler).
// The prologue is endpoint.ts's prepare(): the guard first, inputs bounded and parsed by their
// schemas, then a transaction in the caller's scope (or `db` with tx: 'none', for the account
// and audit tables, which are nobody's area). A malformed form field is a 400 failure that names
// it, returned to the page like any other form failure.
import { error, fail, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import * as v from 'valibot';
import type { Db } from '../db/open.ts';
import type { Scoped } from '../db/scoped.ts';
import { rethrowUnavailable } from '../db/unavailable.ts';
import type { Guard } from './guards.ts';
import { markLayer, prepare, type OpenScoped, type Out, type Schema, type TxMode } from './endpoint.ts';
import { readCapped } from './body.ts';

/** the most bytes of a submitted form read */
export const FORM_MAX_BYTES = 64 * 1024;

type Access<T extends TxMode> = T extends 'none' ? { db: Db } : { trx: Scoped };

export interface PageContext<C, P, Q> {
	caller: C;
	input: { params: P; query: Q };
	event: RequestEvent;
	url: URL;
	clientAddress: string;
	scoped: OpenScoped;
}

export function pageLoad<C, R, P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, T extends TxMode = 'request'>(
	spec: { guard: Guard<C>; params?: P; query?: Q; tx?: T },
	handler: (ctx: PageContext<C, Out<P>, Out<Q>> & Access<T>) => Promise<R>
): (event: RequestEvent) => Promise<R> {
	const load = async (event: RequestEvent): Promise<R> => {
		const p = await prepare(spec, event);
		const ctx = { caller: p.caller, input: { params: p.params, query: p.query }, event, url: p.url, clientAddress: p.clientAddress, scoped: p.scoped };
		return p.within(spec.tx ?? 'request', (access) => handler({ ...ctx, ...access } as never));
	};
	// the database away or out of connections: a 503 page with Retry-After (db/unavailable.ts)
	return markLayer((event: RequestEvent) => load(event).catch(rethrowUnavailable), spec.guard.name);
}

export interface ActionContext<C, F> {
	caller: C;
	form: F;
	event: RequestEvent;
	url: URL;
	clientAddress: string;
	scoped: OpenScoped;
}

/** A submitted form as strings (each field's first value; files are not taken by these forms). */
async function readForm(request: Request): Promise<Record<string, string>> {
	const bytes = await readCapped(request, FORM_MAX_BYTES, 'form');
	let data: FormData;
	try {
		data = await new Response(bytes as BodyInit, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
	} catch {
		error(400, 'form: must be a submitted form');
	}
	const out: Record<string, string> = {};
	for (const [key, value] of data) if (typeof value === 'string' && !(key in out)) out[key] = value;
	return out;
}

export function action<C, R, F extends Schema, T extends TxMode = 'none'>(
	spec: { guard: Guard<C>; form: F; tx?: T },
	handler: (ctx: ActionContext<C, Out<F>> & Access<T>) => Promise<R>
): (event: RequestEvent) => Promise<R | ActionFailure<{ field: string; message: string }>> {
	const run = async (event: RequestEvent) => {
		const p = await prepare({ guard: spec.guard }, event);
		const parsed = v.safeParse(spec.form, await readForm(event.request));
		if (!parsed.success) {
			const issue = parsed.issues[0];
			const field = (issue.path ?? []).map((s) => String(s.key)).join('.') || 'form';
			return fail(400, { field, message: `${field}: ${issue.message}` });
		}
		const ctx = { caller: p.caller, form: parsed.output as Out<F>, event, url: p.url, clientAddress: p.clientAddress, scoped: p.scoped };
		// forms write accounts, sessions and the audit log by default: no area scope to carry
		return p.within(spec.tx ?? 'none', (access) => handler({ ...ctx, ...access } as never));
	};
	return markLayer((event: RequestEvent) => run(event).catch(rethrowUnavailable), spec.guard.name);
}
