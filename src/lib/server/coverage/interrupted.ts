// "The next start says so": on a server a recompute writes its generation in one transaction
// (store.ts), so a process killed in the middle of one leaves nothing of it — PostgreSQL rolls the
// transaction back. On the embedded database it writes in short transactions, and the rows of the
// unfinished generation stay behind, never served (the views show the generation coverage_run
// points to) and dropped by the next recompute. Either way the previous generation stays served,
// whole. What remains is the generation number it drew (coverage_gen_seq is not transactional): a
// number above the one served, with no recompute holding the lock now, means the last one did not
// finish. Start-up logs it and then brings the results up to date as usual.
import { sql } from 'kysely';
import type { Db } from '../db/open.ts';

export interface InterruptedRecompute {
	/** the generation the unfinished recompute drew */
	drawn: number;
	/** the generation served (null: none yet) */
	served: number | null;
}

/** The recompute that did not finish, or null (none, or one is running now in another process). */
export async function interruptedRecompute(db: Db): Promise<InterruptedRecompute | null> {
	return db.kysely.connection().execute(async (conn) => {
		const {
			rows: [r]
		} = await sql<{ drawn: number | null; served: number | null }>`
			select (select case when is_called then last_value end from coverage_gen_seq)::int4 as drawn,
			       (select gen from coverage_run where id = 1) as served`.execute(conn);
		if (r.drawn === null || (r.served !== null && r.drawn <= r.served)) return null;
		// a recompute under way elsewhere holds the lock (store.ts): that one is not interrupted
		const {
			rows: [got]
		} = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext('jiceng.coverage')) as ok`.execute(conn);
		if (!got.ok) return null;
		await sql`select pg_advisory_unlock(hashtext('jiceng.coverage'))`.execute(conn);
		return { drawn: Number(r.drawn), served: r.served === null ? null : Number(r.served) };
	});
}
