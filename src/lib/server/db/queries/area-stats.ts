// Keeps area_stats (sql/005) in step with the data: every figure users see is read from it.
//
// Every writer of area_stats goes through ensureAreaStats — the routes, the tiles and the coverage
// recompute (store.ts) alike — and takes the same transaction lock first, so two refreshes never
// interleave (each deletes every row and inserts them again: two at once made the second fail
// with a duplicate key). The refresh is the system's own work, not a request: it runs under a
// lifted statement limit (sql/010 gives the app role 30 s). A write that touched none of the
// tables the figures are made of (coverage_input, sql/011) only restamps them.
import { sql, type Kysely } from 'kysely';
import type { Db } from '../open.ts';

const LOCK = sql`hashtext('area_stats')`;

interface StatsState {
	current: number;
	computed: number | null;
	/** the data version of the last write to any table the figures are made of */
	inputs: number;
}

async function stateOf(db: Kysely<any>): Promise<StatsState> {
	const { rows: [r] } = await sql<{ current: number; computed: number | null; inputs: number | null }>`
		select (select version from data_version where id = 1) as current,
		       (select data_version from area_stats_state where id = 1) as computed,
		       (select max(version) from coverage_input) as inputs`.execute(db);
	const current = Number(r.current);
	return { current, computed: r.computed === null ? null : Number(r.computed), inputs: r.inputs === null ? current : Number(r.inputs) };
}

/** Recomputes area_stats if any write happened since it was computed. Returns the version it matches. */
export async function ensureAreaStats(db: Db | Kysely<any>): Promise<number> {
	const k: Kysely<any> = 'kysely' in db ? db.kysely : db;
	const s = await stateOf(k);
	if (s.computed === s.current) return s.current;
	return k.transaction().execute(async (trx) => {
		// the figures are the system's own work: they count every row, whoever asked first; the wait
		// for another refresh and the refresh itself are no runaway request; and JIT would compile
		// the refresh (PostGIS functions' high declared costs) for longer than it runs
		await sql`select set_config('jiceng.scope', '*', true), set_config('statement_timeout', '10min', true), set_config('jit', 'off', true)`.execute(trx);
		// one refresh at a time (on a server; the embedded backend is serial anyway)
		await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
		const again = await stateOf(trx);
		if (again.computed === again.current) return again.current;
		if (again.computed !== null && again.inputs <= again.computed) {
			await sql`update area_stats_state set data_version = ${again.current} where id = 1`.execute(trx);
			return again.current;
		}
		const { rows } = await sql<{ v: number }>`select refresh_area_stats() as v`.execute(trx);
		return Number(rows[0].v);
	});
}
