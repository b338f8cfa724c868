// Named (prepared) statements for the query shapes that ask for them: the tiles' (tile-sql.ts).
//
// kysely sends every query unnamed, so PostgreSQL parses, rewrites and plans it at every
// execution. For a small tile that is most of its cost (a grid leader's tile at Chaoyang: 0.8 ms
// unnamed, 0.3 ms prepared), and a district admin's buildings tile at z13 ran 115 ms with the plan
// kept for the prepared statement where the one planned for each tile ran 185 ms.
// A query whose text starts with PREPARED is sent named after its text's hash, so each
// connection parses it once; which plan runs (one kept, or one per execution) the transaction says
// with plan_cache_mode (tiles/service.ts: kept for district-wide tiles, per tile for scoped ones).
//
// Prepared statements live as long as their connection and take memory in each backend, so only
// texts that are few by construction are marked (the tiles: 37 over every layer, zoom and
// audience), and the process names at most MAX_PREPARED of them: past that, marked texts go
// unnamed, said once in the log. Server pools only (db/open.ts): PGlite has no protocol to name.
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** The mark a query's text starts with to be sent as a prepared statement. */
export const PREPARED = '/* prepared */';
/** the most distinct texts the process prepares (each connection prepares those it runs) */
export const MAX_PREPARED = 200;

const names = new Map<string, string>();
let warned = false;

/** The statement name of a marked text (null when the process has prepared MAX_PREPARED others). */
export function preparedName(text: string): string | null {
	let name = names.get(text);
	if (name) return name;
	if (names.size >= MAX_PREPARED) {
		if (!warned) console.warn(`[db] ${MAX_PREPARED} distinct prepared statements: further marked queries go unnamed`);
		warned = true;
		return null;
	}
	// statement names are at most 63 bytes
	name = `jiceng_${createHash('sha1').update(text).digest('hex')}`;
	names.set(text, name);
	return name;
}

/** Makes `client` send marked queries with parameters as named statements (the rest as they come). */
export function prepareMarked(client: pg.ClientBase): void {
	const query = client.query.bind(client) as (...args: unknown[]) => unknown;
	client.query = ((...args: unknown[]) => {
		const [text, values] = args;
		// only a text with parameters: it goes by the extended protocol anyway (one statement)
		if (typeof text === 'string' && text.startsWith(PREPARED) && Array.isArray(values) && values.length > 0 && args.length === 2) {
			const name = preparedName(text);
			if (name) return query({ name, text, values });
		}
		return query(...args);
	}) as typeof client.query;
}
