// Bulk inserts that work the same on both backends: rows go as one JSON text parameter per chunk
// and `json_populate_recordset` turns them into rows of the table's own type (geometries as EWKT).
// Ids are given explicitly (OVERRIDING SYSTEM VALUE), so the same seed gives the same ids.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function insertRows(
	db: Kysely<Database>,
	table: string,
	count: number,
	rowAt: (i: number) => Record<string, unknown>,
	opts: { identity?: boolean; chunk?: number; log?: (line: string) => void } = {}
): Promise<void> {
	if (count === 0) return;
	const chunk = opts.chunk ?? 20_000;
	const columns = Object.keys(rowAt(0));
	const cols = sql.raw(columns.map((c) => `"${c}"`).join(', '));
	const overriding = sql.raw(opts.identity ? 'overriding system value' : '');
	for (let start = 0; start < count; start += chunk) {
		const end = Math.min(count, start + chunk);
		const rows: Record<string, unknown>[] = [];
		for (let i = start; i < end; i++) rows.push(rowAt(i));
		await sql`insert into ${sql.raw(table)} (${cols}) ${overriding}
			select ${cols} from json_populate_recordset(null::${sql.raw(table)}, ${JSON.stringify(rows)}::json)`.execute(db);
		if (count > chunk) opts.log?.(`[seed] ${table} ${end}/${count}`);
	}
	if (count <= chunk) opts.log?.(`[seed] ${table} ${count}`);
}

/** after explicit ids: the identity continues after the largest one */
export async function resetIdentity(db: Kysely<Database>, table: string): Promise<void> {
	await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select coalesce(max(id), 0) + 1 from ${sql.raw(table)}), false)`.execute(db);
}
