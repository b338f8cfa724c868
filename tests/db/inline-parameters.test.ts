// A query with its parameters written in as literals (db/inline-parameters.ts) reads the same values
// PostgreSQL would have received as parameters — checked on both backends by running each query
// both ways — and text the writer cannot be sure of is refused, not guessed at.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { inlineParameters, sqlLiteral } from '../../src/lib/server/db/inline-parameters.ts';

describe.each(backends)('parameters written in as literals (%s)', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend, { migrated: false });
	}, 120_000);
	afterAll(async () => {
		await db?.drop();
	});

	/** the query run with its parameters, and with them written in: both rows */
	async function bothWays(query: ReturnType<typeof sql>) {
		const compiled = query.compile(db.kysely);
		const bound = await db.kysely.executeQuery(compiled);
		const inlined = await sql.raw(inlineParameters(compiled)).execute(db.kysely);
		return { bound: bound.rows, inlined: inlined.rows, text: inlineParameters(compiled) };
	}

	it.each([
		['plain', 'grid 110105032003004'],
		['quotes', "O'Brien's ''house''"],
		['backslashes', 'C:\\tmp\\n \\x41 \\\\'],
		['a placeholder in the value', '$1 and $2'],
		['Chinese and emoji', '朝阳区 🏠 "quoted"'],
		['empty', '']
	])('a string (%s) arrives unchanged', async (_, value) => {
		const { bound, inlined } = await bothWays(sql`select ${value}::text as v, length(${value}::text) as n`);
		expect(inlined).toEqual(bound);
		expect((inlined[0] as { v: string }).v).toBe(value);
	});

	it('numbers keep their value and sign, also after a minus', async () => {
		for (const n of [0, -1, 2.5, -116.4073999999, 1e-7, -3.4e21, 2 ** 53]) {
			const { bound, inlined, text } = await bothWays(sql`select 10 - ${n}::float8 as d, ${n}::float8 as v, ${n}::numeric::text as t`);
			expect(inlined, String(n)).toEqual(bound);
			expect(text).not.toMatch(/--/);
		}
	});

	it('types come from the context, as for a parameter', async () => {
		const { bound, inlined } = await bothWays(sql`select x from generate_series(1, 10) x where x > ${3} order by x limit ${2}`);
		expect(inlined).toEqual(bound);
		expect(inlined).toEqual([{ x: 4 }, { x: 5 }]);
		const flags = await bothWays(
			sql`select ${true}::boolean and not ${false}::boolean as b, ${null}::text is null as n, ${12345678901234567890n}::numeric::text as big`
		);
		expect(flags.inlined).toEqual(flags.bound);
	});

	it('leaves quoted text and comments alone', async () => {
		const text = inlineParameters({ sql: `select '$1' as a, "x$1" , $1 -- $2 isn't one\n/* nor $2 */, $2`, parameters: ['p', 'q'] });
		expect(text).toBe(`select '$1' as a, "x$1" , ('p') -- $2 isn't one\n/* nor $2 */, ('q')`);
		const { rows } = await sql.raw(`select 'it''s $1' as a, ${inlineParameters({ sql: `'b''$1'`, parameters: [] })} as b`).execute(db.kysely);
		expect(rows).toEqual([{ a: "it's $1", b: "b'$1" }]);
	});

	it('leaves a $ inside an identifier alone', () => {
		expect(inlineParameters({ sql: 'select a$1, b$ from t where x = $1', parameters: [7] })).toBe("select a$1, b$ from t where x = ('7')");
	});

	it('refuses what it cannot be sure of', () => {
		expect(() => inlineParameters({ sql: 'select $$ $1 $$', parameters: [1] })).toThrow(/dollar quoting/);
		expect(() => inlineParameters({ sql: "select E'\\'' || $1", parameters: [1] })).toThrow(/E'' strings/);
		expect(() => inlineParameters({ sql: 'select $2', parameters: [1, 2] })).toThrow(/uses 1 of its 2/);
		expect(() => inlineParameters({ sql: 'select $3', parameters: [1, 2] })).toThrow(/names \$3/);
		expect(() => inlineParameters({ sql: "select 'open", parameters: [] })).toThrow(/unterminated/);
		expect(() => sqlLiteral(Number.NaN)).toThrow(/NaN/);
		expect(() => sqlLiteral(new Date())).toThrow(/Date/);
		expect(() => sqlLiteral({ a: 1 })).toThrow(/Object/);
		expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
	});
});
