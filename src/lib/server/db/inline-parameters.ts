// A compiled query with its parameters written in as literals, so it can travel in one
// simple-protocol message together with the statements before it (tiles/service.ts: a tile's
// settings and its SQL in one round trip instead of three). Each value is written the way pg would
// have sent it as a parameter — its text, untyped, so PostgreSQL infers the type from the context
// exactly as it does for a parameter — and only the kinds of value our queries bind are accepted.
// Placeholders are replaced outside quotes and comments only; dollar quoting and E'' strings in the
// query text are refused rather than guessed at.

export interface CompiledText {
	sql: string;
	parameters: readonly unknown[];
}

/** `value` as an untyped SQL literal holding the text pg would send for it as a parameter. */
export function sqlLiteral(value: unknown): string {
	if (value === null || value === undefined) return 'NULL';
	let text: string;
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new Error(`cannot inline the number ${value}`);
		text = String(value);
	} else if (typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
	else if (typeof value === 'string') text = value;
	else throw new Error(`cannot inline a parameter of type ${Object.prototype.toString.call(value)}`);
	if (text.includes('\0')) throw new Error('cannot inline a string holding a NUL character');
	const quoted = `'${text.replaceAll("'", "''")}'`;
	// E'' reads backslashes as escapes whatever standard_conforming_strings says: double them
	return text.includes('\\') ? `E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/** The query's text with $1, $2 … replaced by their values as literals. */
export function inlineParameters(query: CompiledText): string {
	const { sql, parameters } = query;
	let out = '';
	let i = 0;
	const used = new Set<number>();
	while (i < sql.length) {
		const c = sql[i];
		const two = sql.slice(i, i + 2);
		let end = i + 1;
		if (c === "'" || c === '"') {
			// a quoted literal or identifier; a doubled quote stays inside it
			const before = sql[i - 1] ?? '';
			if (c === "'" && (before === 'e' || before === 'E') && !/\w/.test(sql[i - 2] ?? '')) throw new Error("E'' strings in the query text are not inlined");
			end = i + 1;
			for (;;) {
				const close = sql.indexOf(c, end);
				if (close < 0) throw new Error(`unterminated ${c} in the query text`);
				if (sql[close + 1] === c) end = close + 2;
				else {
					end = close + 1;
					break;
				}
			}
		} else if (two === '--') {
			const nl = sql.indexOf('\n', i);
			end = nl < 0 ? sql.length : nl;
		} else if (two === '/*') {
			const close = sql.indexOf('*/', i + 2);
			if (close < 0) throw new Error('unterminated comment in the query text');
			end = close + 2;
		} else if (c === '$' && /\w/.test(sql[i - 1] ?? '')) {
			// part of an identifier (PostgreSQL allows $ after its first character): neither placeholder nor quote
		} else if (c === '$') {
			const m = /^\$(\d+)/.exec(sql.slice(i));
			if (!m) throw new Error('dollar quoting in the query text is not inlined');
			const n = Number(m[1]);
			if (n < 1 || n > parameters.length) throw new Error(`the query text names $${n} but has ${parameters.length} parameter(s)`);
			used.add(n);
			// parenthesised, so a negative number never meets a minus before it ("x - -1" is fine, "x--1" a comment)
			out += `(${sqlLiteral(parameters[n - 1])})`;
			i += m[0].length;
			continue;
		}
		out += sql.slice(i, end);
		i = end;
	}
	if (used.size !== parameters.length) throw new Error(`the query text uses ${used.size} of its ${parameters.length} parameters`);
	return out;
}
