// search_pieces (sql/034): each two-character piece of a text in order, none across a line break —
// the same array, element for element, as the definition the search indexes were built with (sql/033),
// on both backends, so that replacing the function left every index holding what it held.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';

/** sql/033's definition, as it was */
const SQL_033 = `create function pg_temp.pieces_033(t text) returns text[] language sql immutable as $$
  select array(select substr(t, i, 2) from generate_series(1, length(t) - 1) i where position(chr(10) in substr(t, i, 2)) = 0)
$$`;

/** the pieces as TypeScript makes them (code points, like PostgreSQL's substr on UTF-8) */
function pieces(t: string): string[] {
	return t.split('\n').flatMap((line) => {
		const chars = [...line];
		return chars.slice(0, -1).map((c, i) => c + chars[i + 1]);
	});
}

const TEXTS = [
	'',
	'a',
	'ab',
	'朝阳',
	'朝阳区建国路88号',
	'建国路88号\n朝阳大厦',
	'a\nb',
	'\n',
	'\n\n',
	'ab\n\ncd',
	'号楼\n',
	'\n楼号',
	'aaa',
	'𠀋𠀌𠀍 emoji 🏠楼'
];

describe.each(backends)('search_pieces on the %s backend', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
	}, 120_000);
	afterAll(async () => {
		await db?.drop();
	});

	it('gives each two-character piece in order, none across a line break, as sql/033 did', async () => {
		await db.kysely.connection().execute(async (c) => {
			await sql.raw(SQL_033).execute(c);
			for (const t of TEXTS) {
				const { rows } = await sql<{ now: string[]; before: string[] }>`select search_pieces(${t}) as now, pg_temp.pieces_033(${t}) as before`.execute(c);
				expect(rows[0].now, JSON.stringify(t)).toEqual(pieces(t));
				expect(rows[0].now, JSON.stringify(t)).toEqual(rows[0].before);
			}
			const { rows } = await sql<{ now: string[]; before: string[] }>`select search_pieces(null) as now, pg_temp.pieces_033(null) as before`.execute(c);
			expect(rows[0]).toEqual({ now: [], before: [] });
		});
	});

	it('is the plpgsql loop of sql/034, not the subquery it replaced', async () => {
		const { rows } = await sql<{
			lang: string;
		}>`select l.lanname as lang from pg_proc p join pg_language l on l.oid = p.prolang where p.proname = 'search_pieces'`.execute(db.kysely);
		expect(rows.map((r) => r.lang)).toEqual(['plpgsql']);
	});
});
