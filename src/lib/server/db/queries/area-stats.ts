// Keeps area_stats (sql/005) in step with the data: every figure users see is read from it.
import { sql } from 'kysely';
import type { Db } from '../open.ts';

/** Recomputes area_stats if any write happened since it was computed. Returns the version it matches. */
export async function ensureAreaStats(db: Db): Promise<number> {
	const state = await sql<{ current: number; computed: number | null }>`
		select (select version from data_version where id = 1) as current,
		       (select data_version from area_stats_state where id = 1) as computed`.execute(db.kysely);
	const { current, computed } = state.rows[0];
	if (computed === current) return current;
	return db.kysely.transaction().execute(async (trx) => {
		// one refresh at a time on a server; the embedded backend is serial anyway
		await sql`select pg_advisory_xact_lock(hashtext('area_stats'))`.execute(trx);
		// the figures are the system's own work: they count every row, whoever asked first
		await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
		const again = await sql<{ current: number; computed: number | null }>`
			select (select version from data_version where id = 1) as current,
			       (select data_version from area_stats_state where id = 1) as computed`.execute(trx);
		if (again.rows[0].computed === again.rows[0].current) return again.rows[0].current;
		const { rows } = await sql<{ v: number }>`select refresh_area_stats() as v`.execute(trx);
		return rows[0].v;
	});
}
