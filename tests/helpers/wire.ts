// What reaches PostgreSQL from this process, by message text: pg's Client.query patched for every
// client made after `captureWire()` (the pool's included), until `stop()`. For tests that count the
// messages a piece of work sends (fused BEGIN, a tile in one message, counts shared by callers).
import pg from 'pg';

export interface Wire {
	/** the text of every query sent, in order (the array passed in, emptied by whoever reads it) */
	readonly texts: string[];
	/** puts pg's own query back */
	stop(): void;
}

export function captureWire(texts: string[] = []): Wire {
	const query = pg.Client.prototype.query;
	pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
		if (typeof args[0] === 'string') texts.push(args[0]);
		// a named prepared statement (db/named-statements.ts) goes as a config object
		else if (typeof (args[0] as { text?: unknown } | null)?.text === 'string') texts.push((args[0] as { text: string }).text);
		return (query as (...a: unknown[]) => unknown).apply(this, args);
	} as typeof query;
	return {
		texts,
		stop: () => {
			pg.Client.prototype.query = query;
		}
	};
}
