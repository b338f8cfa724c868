// Rows streamed into a table with COPY … FROM STDIN (server PostGIS only: PGlite has no COPY from
// a client stream). An import stages its features this way: the server parses the rows as they
// arrive, beside this process reading the file, instead of waiting for batches of JSON that it
// then takes apart (json_populate_recordset: 4.8 s of a 150,000-building import, 1.4 s by COPY).
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null;

/** Writes rows into a COPY that is under way; `end` finishes it and gives the rows written. */
export interface RowSink {
	write(row: readonly CopyValue[]): Promise<void>;
	end(): Promise<number>;
	/** Ends the COPY with an error (CopyFail), leaving the connection free for the rollback. */
	abort(reason: Error): Promise<void>;
	/** the COPY holds the connection still (neither ended, nor aborted, nor failed) */
	readonly open: boolean;
}

/** Opens a COPY from a client: the connection must hold the transaction the rows belong to. */
export type OpenCopy = (statement: string) => RowSink;

// a chunk of lines handed to the socket at once (one write per row would cost more than the row)
const CHUNK = 1 << 16;

/** `statement` is a `copy … from stdin` in the text format. */
export function copyRows(client: pg.PoolClient, statement: string): RowSink {
	if (!/^copy\s[\s\S]+\sfrom\s+stdin$/i.test(statement.trim())) throw new Error('copyRows takes a COPY … FROM STDIN statement');
	const stream = client.query(copyFrom(statement));
	let failure: Error | null = null;
	let settled = false;
	const failed = new Promise<never>((_, reject) =>
		stream.once('error', (e: Error) => {
			failure = e;
			reject(e);
		})
	);
	failed.catch(() => undefined);
	let buffered = '';
	const flush = async () => {
		if (!buffered) return;
		const chunk = buffered;
		buffered = '';
		// backpressure: wait while the socket's buffer is full (a slow server slows the reader)
		if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), failed]);
	};
	return {
		async write(row) {
			if (failure) throw failure;
			buffered += row.map(copyText).join('\t') + '\n';
			if (buffered.length >= CHUNK) await flush();
		},
		async end() {
			if (failure) throw failure;
			await flush();
			// the callback comes once the server has answered the end of the data (ReadyForQuery)
			await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
			settled = true;
			return stream.rowCount;
		},
		get open() {
			return !settled && failure === null;
		},
		async abort(reason) {
			if (settled || failure) return;
			settled = true;
			// destroy sends CopyFail; the server answers with an error, and the connection is ready again
			await new Promise<void>((resolve) => {
				stream.once('close', resolve);
				stream.destroy(reason);
			});
		}
	};
}

/** One value in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
export function copyText(v: CopyValue): string {
	if (v === null) return '\\N';
	if (typeof v === 'number') {
		if (!Number.isFinite(v)) throw new Error(`cannot copy the number ${v}`);
		return String(v);
	}
	if (typeof v === 'boolean') return v ? 't' : 'f';
	if (v.includes('\0')) throw new Error('cannot copy a text holding a NUL character');
	return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : v;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
