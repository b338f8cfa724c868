// What a backup must bring back, measured the same way before and after: each table's row count
// and a checksum of its rows (md5 over the sorted md5s of the rows' text, so the order rows come
// back in does not matter), plus the head of the audit log's hash chain.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface TableFingerprint {
	rows: number;
	md5: string;
}

export interface Fingerprint {
	tables: Record<string, TableFingerprint>;
	audit: { rows: number; lastSeq: number | null; lastHash: string | null };
}

/** The application's tables: public ones that no extension owns (spatial_ref_sys is PostGIS's). */
export async function userTables(db: Kysely<Database>): Promise<string[]> {
	const { rows } = await sql<{ name: string }>`
		select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'public' and c.relkind in ('r', 'p')
		  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
		order by 1`.execute(db);
	return rows.map((r) => r.name);
}

/**
 * Run it inside one transaction (or on the one PGlite connection with nothing else queued), so
 * every table is read at the same moment. On the server the owner does not bypass forced
 * row-level security (sql/009): the caller sets jiceng.scope to '*' (everything) first.
 */
export async function fingerprint(db: Kysely<Database>, log: (line: string) => void = () => {}): Promise<Fingerprint> {
	const tables: Record<string, TableFingerprint> = {};
	const names = await userTables(db);
	for (const [i, name] of names.entries()) {
		const t = sql.id(name);
		const { rows } = await sql<{ n: number; sum: string }>`
			select count(*)::int as n, md5(coalesce(string_agg(h, '' order by h), '')) as sum
			from (select md5(x::text) as h from ${t} x) s`.execute(db);
		tables[name] = { rows: Number(rows[0].n), md5: rows[0].sum };
		if (tables[name].rows > 50_000) log(`checksummed ${name} (${tables[name].rows} rows, table ${i + 1}/${names.length})`);
	}
	let audit: Fingerprint['audit'] = { rows: 0, lastSeq: null, lastHash: null };
	if (names.includes('audit_log')) {
		const { rows } = await sql<{ seq: number; hash: string }>`select seq, hash from audit_log order by seq desc limit 1`.execute(db);
		audit = { rows: tables.audit_log.rows, lastSeq: rows[0] ? Number(rows[0].seq) : null, lastHash: rows[0]?.hash ?? null };
	}
	return { tables, audit };
}

/** The differences between what was backed up and what came back, as sentences; [] when equal. */
export function compareFingerprints(expected: Fingerprint, actual: Fingerprint): string[] {
	const out: string[] = [];
	for (const [name, e] of Object.entries(expected.tables)) {
		const a = actual.tables[name];
		if (!a) out.push(`table ${name} is missing`);
		else if (a.rows !== e.rows) out.push(`table ${name}: ${a.rows} rows, the backup had ${e.rows}`);
		else if (a.md5 !== e.md5) out.push(`table ${name}: same ${a.rows} rows but different contents (checksum ${a.md5}, the backup had ${e.md5})`);
	}
	for (const name of Object.keys(actual.tables)) if (!(name in expected.tables)) out.push(`table ${name} is not in the backup`);
	return out;
}
