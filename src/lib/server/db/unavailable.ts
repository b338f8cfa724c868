// The database is away (restarting, failing over, refusing connections) or has no connection to
// spare: one place that says so from the error a query threw, and one answer for it — 503 with
// Retry-After, quickly, instead of a hang or a 500 with a stack trace. The endpoint layer
// (api/endpoint.ts, api/page.ts) turns such an error into that 503; hooks.server.ts does the same
// for the gate's session check and puts Retry-After on every 503. Nothing is retried here: the
// pool opens new connections for the next request, so service comes back by itself when the
// database does.
import { error } from '@sveltejs/kit';

/** seconds a client is asked to wait before trying again */
export const DB_RETRY_AFTER_S = 5;

/** socket errors of a connection that could not be made or was cut */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a database that is away or full: class 08 (connection exception), 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down,
 * recovering), 53300 too_many_connections, 57014 query_canceled (statement_timeout: the database
 * is too busy to answer in time), 53100 disk_full (a write that found no room: its transaction is
 * rolled back whole, reads go on).
 */
function isUnavailableState(code: string): boolean {
	return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014', '53100'].includes(code);
}

/** what node-postgres says when a connection ends under a query, or none is free in time */
const MESSAGES = [
	/^Connection terminated/i, // "… unexpectedly", "… due to connection timeout"
	/timeout exceeded when trying to connect/i, // pg-pool: no connection free within connectionTimeoutMillis
	/Client has encountered a connection error and is not queryable/i,
	/Client was closed and is not queryable/i,
	/terminating connection due to administrator command/i,
	/the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i
];

/** Whether `e` (or what caused it) says the database is away or has no connection free. */
export function isDbUnavailable(e: unknown, depth = 0): boolean {
	if (!e || typeof e !== 'object' || depth > 4) return false;
	const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
	if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableState(code)))) return true;
	if (typeof message === 'string' && MESSAGES.some((re) => re.test(message))) return true;
	// a connection to "localhost" tries each address: an AggregateError of refusals
	if (Array.isArray(errors) && errors.some((x) => isDbUnavailable(x, depth + 1))) return true;
	return isDbUnavailable(cause, depth + 1);
}

/** the message a 503 carries (the details go to the log, not to the caller) */
export const UNAVAILABLE_MESSAGE = 'the database is unavailable or busy: try again shortly';

let lastLogged = 0;
/** One log line per few seconds, however many requests meet the outage. */
function note(e: unknown): void {
	const now = Date.now();
	if (now - lastLogged < 5000) return;
	lastLogged = now;
	const { code, message } = e as { code?: unknown; message?: unknown };
	console.error(`[db] unavailable (answering 503, Retry-After ${DB_RETRY_AFTER_S} s): ${typeof code === 'string' ? `${code} ` : ''}${String(message)}`);
}

/** Rethrows `e` as SvelteKit's 503 when the database is away (hooks add Retry-After); otherwise as it was. */
export function rethrowUnavailable(e: unknown): never {
	if (isDbUnavailable(e)) {
		note(e);
		error(503, UNAVAILABLE_MESSAGE);
	}
	throw e;
}

/** The 503 answer made without SvelteKit's error(): JSON with Retry-After and no caching. */
export function unavailableResponse(e: unknown): Response {
	note(e);
	return new Response(JSON.stringify({ message: UNAVAILABLE_MESSAGE }), {
		status: 503,
		headers: { 'content-type': 'application/json', 'retry-after': String(DB_RETRY_AFTER_S), 'cache-control': 'no-store' }
	});
}
