// Keeps area_stats (sql/005) in step with the data: every figure users see is read from it.
//
// Every writer of area_stats goes through ensureAreaStats — the routes, the tiles and the coverage
// recompute (store.ts) alike — and takes the same transaction lock first, so two refreshes never
// interleave (each deletes every row and inserts them again: two at once made the second fail
// with a duplicate key). The refresh is the system's own work, not a request: it runs under a
// lifted statement limit (sql/010 gives the app role 30 s). A write that touched none of the
// tables the figures are made of (coverage_input, sql/011) only restamps them.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Db } from '../open.ts';
import { onePerDb } from '../one-per-db.ts';
import { priorityLane } from '../lanes.ts';
import { sharedRead } from '../../shared-read.ts';
import { COVERING_KINDS, MEMBER_BUILDING_THRESHOLD } from '../../../coverage-rules.ts';

const LOCK = sql`hashtext('area_stats')`;

interface StatsState {
	current: number;
	computed: number | null;
	/** the data version of the last write to any table the figures are made of */
	inputs: number;
}

async function stateOf(db: Kysely<Database>): Promise<StatsState> {
	const {
		rows: [r]
	} = await sql<{ current: number; computed: number | null; inputs: number | null }>`
		select (select version from data_version where id = 1) as current,
		       (select data_version from area_stats_state where id = 1) as computed,
		       (select max(version) from coverage_input) as inputs`.execute(db);
	const current = Number(r.current);
	return { current, computed: r.computed === null ? null : Number(r.computed), inputs: r.inputs === null ? current : Number(r.inputs) };
}

/** Recomputes area_stats if any write happened since it was computed. Returns the version it matches. */
export async function ensureAreaStats(db: Db | Kysely<Database>): Promise<number> {
	const k: Kysely<Database> = 'kysely' in db ? db.kysely : db;
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
		if (again.computed !== null && (await refreshLocal(trx, again.computed))) return again.current;
		const { rows } = await sql<{
			v: number;
		}>`select refresh_area_stats(${MEMBER_BUILDING_THRESHOLD}::int, string_to_array(${COVERING_KINDS.join(',')}::text, ',')) as v`.execute(trx);
		return Number(rows[0].v);
	});
}

/**
 * The figures brought up to date from sql/021's log of what was written since `since` (sql/024),
 * when every write since is to party members or service centres and the log holds them all:
 * the member figures of the grids touched, and the centre counts. False: refresh everything.
 */
async function refreshLocal(trx: Kysely<Database>, since: number): Promise<boolean> {
	if (process.env.JICENG_AREA_STATS_LOCAL === '0') return false;
	const {
		rows: [r]
	} = await sql<{ nonlocal: boolean | null; complete_from: string; grids: string[] | null; centres: boolean | null }>`
		select bool_or(not c.local or c.tbl not in ('party_member', 'service_centre')) as nonlocal,
		       (select complete_from from coverage_change_state where id = 1)::text as complete_from,
		       array_agg(distinct b.grid_code) filter (where b.grid_code is not null) as grids,
		       bool_or(c.tbl = 'service_centre') as centres
		from coverage_change c
		left join household h on h.id = c.household_id
		left join building b on b.id = h.building_id or b.id = c.building_id
		where c.version > ${since}`.execute(trx);
	if (r.nonlocal !== false || Number(r.complete_from) > since) return false;
	const { rows } = await sql<{ ok: boolean }>`
		select refresh_area_stats_local(${MEMBER_BUILDING_THRESHOLD}::int, string_to_array(${COVERING_KINDS.join(',')}::text, ','),
		                                ${r.grids ?? []}::text[], ${r.centres === true}) as ok`.execute(trx);
	return rows[0].ok;
}

/** Whether the area figures served reflect the data: every response with area figures carries it. */
export interface AreaStatsStatus {
	/** every write up to this data version is in the figures served; null: none yet */
	computed_version: number | null;
	/** the data version now */
	data_version: number;
	/** newer figures are being computed (the ones served are behind the data) */
	updating: boolean;
}

/** a failed refresh is tried again no sooner than this, ms */
const RETRY_AFTER_FAILURE_MS = 10_000;
const PAUSE_BETWEEN_REFRESHES_MS = 250;

/**
 * Keeps one database's area_stats up to date in the background: readers ask `status()`, are
 * served the figures as they are, and a refresh starts when they are behind (one at a time, again
 * at its end while writes arrived meanwhile). No request waits for it (issue 9: a summary asked
 * during a Chaoyang refresh waited 2.6 s). `ensureAreaStats` stays for start-up, seeding and tests.
 */
export class AreaStatsKeeper {
	readonly #kysely: Kysely<Database>;
	#sharedState = sharedRead(() => stateOf(priorityLane(this.#kysely)));
	#running: Promise<void> | null = null;
	#failedAt = -Infinity;
	#status: { at: number; status: AreaStatsStatus } | null = null;

	constructor(db: Db | Kysely<Database>) {
		this.#kysely = 'kysely' in db ? db.kysely : db;
	}

	/** What the figures served reflect, in one small query (or from memory when read less than `maxAgeMs` ago); never waits for a refresh. */
	async status(maxAgeMs = 0): Promise<AreaStatsStatus> {
		const last = this.#status;
		if (last && maxAgeMs > 0 && performance.now() - last.at < maxAgeMs) {
			if (last.status.updating) this.#start();
			return last.status;
		}
		// on the priority lane (db/lanes.ts): tiles with area figures wait for this read; and readers
		// that take an answer up to maxAgeMs old share one read under way
		const s = maxAgeMs > 0 ? await this.#sharedState() : await stateOf(priorityLane(this.#kysely));
		const updating = s.computed !== s.current;
		if (updating) this.#start();
		const status = { computed_version: s.computed, data_version: s.current, updating };
		this.#status = { at: performance.now(), status };
		return status;
	}

	/** The refresh under way, if any (tests and benchmarks wait for it). */
	get running(): Promise<void> | null {
		return this.#running;
	}

	#start(): void {
		if (this.#running || performance.now() - this.#failedAt < RETRY_AFTER_FAILURE_MS) return;
		this.#running = (async () => {
			try {
				// again while writes arrived during a refresh
				for (;;) {
					const v = await ensureAreaStats(this.#kysely);
					if ((await stateOf(this.#kysely)).current === v) return;
					// a steady stream of writes: one refresh after another, with room for readers between
					await new Promise((ok) => setTimeout(ok, PAUSE_BETWEEN_REFRESHES_MS));
				}
			} catch (e) {
				this.#failedAt = performance.now();
				console.error(`[area_stats] refresh failed: ${(e as Error).message}`);
			}
		})().finally(() => {
			this.#running = null;
			this.#status = null;
		});
	}
}

/** The one AreaStatsKeeper of a database handle. */
export const areaStats = onePerDb((db) => new AreaStatsKeeper(db));
