// How soon a piece of work needs a database connection when the server pool is busy (deadline-pool.ts).
// Each request runs with the urgency of its kind (hooks.server.ts): a person waiting on a panel, a
// search, a form or a map tile first, what the phones' outbox sends last — it retries, and nobody
// watches its answer. Work outside a request (the coverage engine's recomputes, the
// autovacuum) is background. A pass that applies queued visit changes is prompt: writers wait on it.
import { AsyncLocalStorage } from 'node:async_hooks';

export type Urgency = 'prompt' | 'read' | 'tile' | 'write' | 'background';

/** a person is waiting on the answer: a panel, a search, a form or a map tile */
const PERSON_WAITING_MS = 150;

/**
 * The longest each should wait for a connection before it goes ahead of everything queued after
 * it, ms: the queue serves the earliest deadline first (arrival + this), so a write queued 2 s ago
 * goes before a read queued now, and nothing starves. Not a timeout: DB_ACQUIRE_TIMEOUT_MS is.
 *
 * A map tile has a person waiting as much as a panel does: the same budget, so the two are served
 * in the order they came. At 400 ms every read queued in the 250 ms after a tile went before it,
 * and the tiles, whose builds also take longer, carried the tail (bench:load at Chaoyang, 100
 * connections: uncached tiles' p99 782–1,117 ms at 400, 657–856 at 200, 570–678 at 150; JSON's p99
 * 86–243, 219–364 and 205–314 ms, its goal 500).
 */
export const URGENCY_BUDGET_MS: Record<Urgency, number> = {
	prompt: 20,
	read: PERSON_WAITING_MS,
	tile: PERSON_WAITING_MS,
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
