// A transaction's BEGIN travels with its first statement. Kysely sends BEGIN, waits for it, then
// the statement that sets the transaction's scope, then the work: each a round trip, and under load
// each waits for the event loop to read the answer (bench:load at Chaoyang, 100 connections:
// sampled, the pool's connections sat idle in a transaction just after BEGIN a third as often as
// they ran a query). Here a lent client holds BEGIN back and sends it in one message with the next
// statement when that has no parameters (withScope's and the tiles' set_config are written with
// literals for this); before one with parameters, or anything else, it goes first, as before.
// A transaction that ends before any statement sends nothing at all.
//
// A message of several statements (BEGIN's, or a tile's settings and its SQL: tiles/service.ts)
// answers with the last one's result: pg gives one per statement, Kysely reads one.
import type pg from 'pg';

const BEGIN = /^(?:begin|start transaction(?: [a-z ]+)?)$/i;
const END = /^(?:commit|rollback)$/i;
const installed = Symbol('fused-begin');

type Query = (...args: unknown[]) => unknown;

/** Makes `client` hold each BEGIN back for its next statement (once per client; idempotent). */
export function fuseBegin(client: pg.PoolClient): void {
	const target = client as unknown as { [installed]?: true; query: Query };
	if (target[installed]) return;
	target[installed] = true;
	const send = client.query.bind(client) as Query;
	let pending: string | null = null;
	target.query = (...args: unknown[]): unknown => {
		const [text, values] = args;
		const plain = typeof text === 'string' && args.length <= 2 && (values === undefined || (Array.isArray(values) && values.length === 0));
		if (plain && BEGIN.test(text.trim())) {
			pending = text.trim();
			return Promise.resolve(result('BEGIN'));
		}
		if (pending === null) return plain ? (send(text) as Promise<pg.QueryResult | pg.QueryResult[]>).then(last) : send(...args);
		const begin = pending;
		pending = null;
		if (plain && END.test(text.trim())) return Promise.resolve(result(text.trim().toUpperCase()));
		if (plain) {
			// one simple-protocol message: pg answers with a result per statement, ours is the last
			return (send(`${begin};\n${text}`) as Promise<pg.QueryResult | pg.QueryResult[]>).then(last);
		}
		// pg runs a client's queries in order: BEGIN is sent first, its answer read before this one's
		(send(begin) as Promise<unknown>).catch(() => {
			// the statement queued behind it fails too, and says why
		});
		return send(...args);
	};
	const release = client.release;
	client.release = (destroy?: boolean | Error) => {
		pending = null;
		return release.call(client, destroy);
	};
}

/** the last statement's result of a message that held several */
function last(r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
	return Array.isArray(r) ? r[r.length - 1] : r;
}

function result(command: string): pg.QueryResult {
	return { command, rowCount: null, oid: 0, rows: [], fields: [] };
}
