// Read replicas (DATABASE_REPLICA_URL): read-only map, tile and summary traffic goes to a hot
// standby streaming from the primary; writes, sessions, audit and every read-write transaction
// stay on the primary.
//
// The replica is a help, never a condition: a connection to it that cannot be made (the standby
// stopped, restarting, unreachable) marks it down for `retryMs` and the read goes to the primary;
// a read that fails because its replica connection ended (57P01 admin shutdown, a reset socket) is
// run again on the primary — read-only work is safe to repeat. After `retryMs` the next read tries
// the replica again, so reads return to it by themselves once it is back.
//
// Staleness: a hot standby replays the primary's WAL a little behind it (milliseconds on one
// machine, see docs/scale-out.md). No read may show a state older than the one the app already
// told the reader about (a tile's data version and coverage generation, read on the primary, are
// in its cache key and headers). So every routed read first takes the primary's WAL position
// (pg_current_wal_lsn, a tiny query) and runs on the replica only when the replica has replayed at
// least that far (pg_last_wal_replay_lsn); otherwise it runs on the primary. The replica then
// carries the heavy work (tile SQL, summary snapshots) while never being older than the primary
// was when the read began. Under a steady stream of writes more reads fall back to the primary;
// the `reads` counters say how many.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.ts';

/** how long a replica that failed is left alone before reads try it again, ms (DB_REPLICA_RETRY_MS) */
export const DEFAULT_REPLICA_RETRY_MS = 5000;

export type ReadTarget = 'replica' | 'primary';

/** What a Db needs to send reads to a replica: the replica's own Kysely and its health. */
export interface ReadRouter {
	/** Runs read-only `fn` on the replica when it is up (and not behind `atLeast`), else on the primary. */
	read<T>(fn: (kysely: Kysely<Database>, target: ReadTarget) => Promise<T>): Promise<T>;
	/** how many reads went where since the start (behind: the replica had not caught up) */
	readonly counts: { replica: number; primary: number; behind: number; failed: number };
	/** where the next read would go (tests, health pages) */
	target(): ReadTarget;
	/** the replica's own handle, null without one (its connections are warmed at start: tiles/warm-connections.ts) */
	readonly replica: Kysely<Database> | null;
	close(): Promise<void>;
}

/** Errors that mean the connection (not the query) failed: the read may be repeated elsewhere. */
export function isConnectionFailure(e: unknown): boolean {
	const err = e as { code?: string; message?: string } | null;
	const code = err?.code ?? '';
	// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx connection exceptions
	if (/^(57P0[123]|08)/.test(code)) return true;
	if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH)$/.test(code)) return true;
	return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(err?.message ?? '');
}

/** No replica: every read on the primary. */
export function primaryOnly(primary: Kysely<Database>): ReadRouter {
	return {
		read: (fn) => fn(primary, 'primary'),
		counts: { replica: 0, primary: 0, behind: 0, failed: 0 },
		target: () => 'primary',
		replica: null,
		close: async () => {}
	};
}

export function replicaRouter(
	primary: Kysely<Database>,
	replica: Kysely<Database>,
	options: { retryMs?: number; log?: (line: string) => void } = {}
): ReadRouter {
	const retryMs = options.retryMs ?? DEFAULT_REPLICA_RETRY_MS;
	const log = options.log ?? ((line: string) => console.error(line));
	let downUntil = 0;
	const markDown = (why: string) => {
		if (downUntil <= performance.now()) log(`[db] replica unavailable (${why}): reads go to the primary, retrying in ${retryMs} ms`);
		downUntil = performance.now() + retryMs;
		// idle connections the replica ended are dropped by the pool as it hears of it ('error')
	};
	const up = () => performance.now() >= downUntil;
	const counts = { replica: 0, primary: 0, behind: 0, failed: 0 };
	// a connection failure before the replica read began: was it the replica's? (the primary's is the caller's)
	const replicaDown = () =>
		sql`select 1`.execute(replica).then(
			() => false,
			() => true
		);
	return {
		async read(fn) {
			if (!up()) {
				counts.primary++;
				return fn(primary, 'primary');
			}
			let onReplica = false;
			try {
				const {
					rows: [at]
				} = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(primary);
				const {
					rows: [seen]
				} = await sql<{ ok: boolean }>`select coalesce(pg_last_wal_replay_lsn() >= ${at.lsn}::pg_lsn, false) as ok`.execute(replica);
				if (!seen.ok) {
					// behind the primary as the read began: this one goes to the primary
					counts.behind++;
					counts.primary++;
					return await fn(primary, 'primary');
				}
				onReplica = true;
				counts.replica++;
				return await fn(replica, 'replica');
			} catch (e) {
				// a failure of the primary, or of the query itself, is the caller's
				if (!isConnectionFailure(e) || (!onReplica && !(await replicaDown()))) throw e;
				markDown((e as Error).message);
				counts.failed++;
				counts.primary++;
				return fn(primary, 'primary');
			}
		},
		counts,
		target: () => (up() ? 'replica' : 'primary'),
		replica,
		close: () => replica.destroy()
	};
}
