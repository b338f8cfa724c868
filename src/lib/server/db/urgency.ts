// How soon a piece of work needs a database connection when the server pool is busy (deadline-pool.ts).
// Each request runs with the urgency of its kind (hooks.server.ts): a person waiting on a panel, a
// search or a form first, a map tile next, what the phones' outbox sends last — it retries, and
// nobody watches its answer. Work outside a request (the coverage engine's recomputes, the
// autovacuum) is background. A pass that applies queued visit changes is prompt: writers wait on it.
import { AsyncLocalStorage } from 'node:async_hooks';

export type Urgency = 'prompt' | 'read' | 'tile' | 'write' | 'background';

/**
 * The longest each should wait for a connection before it goes ahead of everything queued after
 * it, ms: the queue serves the earliest deadline first (arrival + this), so a write queued 2 s ago
 * goes before a read queued now, and nothing starves. Not a timeout: DB_ACQUIRE_TIMEOUT_MS is.
 */
export const URGENCY_BUDGET_MS: Record<Urgency, number> = {
	prompt: 20,
	read: 150,
	tile: 400,
	write: 2000,
	background: 1000
};

const current = new AsyncLocalStorage<Urgency>();

/** `fn` and everything it starts, at `urgency`. */
export function withUrgency<T>(urgency: Urgency, fn: () => T): T {
	return current.run(urgency, fn);
}

/** the urgency of the work running now (background outside any request) */
export function currentUrgency(): Urgency {
	return current.getStore() ?? 'background';
}

/** what the phones' outbox sends (lib/offline/outbox.ts): new visits and requests, and a request's photo */
const OUTBOX_WRITES = [/^\/api\/visits$/, /^\/api\/requests$/, /^\/api\/requests\/\d+\/photo$/];

/**
 * A request's urgency by what it asks: tiles, other reads, and what the phones' outbox sends (it
 * retries, and nobody watches its answer). Any other write — signing in, a request's transition,
 * revealing a member, an administrator's edit — has a person waiting on it: a read's.
 */
export function requestUrgency(method: string, pathname: string): Urgency {
	if (method === 'GET' || method === 'HEAD') return pathname.startsWith('/tiles/') ? 'tile' : 'read';
	return method === 'POST' && OUTBOX_WRITES.some((p) => p.test(pathname)) ? 'write' : 'read';
}
