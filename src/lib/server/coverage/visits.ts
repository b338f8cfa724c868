// Visit coverage (走访覆盖) in the served coverage figures (sql/023): households of each area
// visited in the last 30 and 90 days, stored beside the other counts so the index, the ranks and
// every reader take one number. A visit queues its household's change (queueVisitChange, in the
// visit's transaction); a pass adds the changes queued to the areas above them moments later
// (applyQueuedVisitChanges, run by visit-changes.ts); a recompute and each new day count them all
// again (countVisits, recountVisits).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { SYSTEM, withScope } from '../db/scoped.ts';
import { VISIT_WINDOWS_DAYS } from '../../coverage-rules.ts';
import { AREA_CODE_LENGTH } from '../../api/inputs.ts';
import { rankAreaRows, rankOrganisationRows, rescoreOrganisations, scoreAreas } from './ranking.ts';

const column = (days: number) => sql.ref(`hh_visited_${days}d`);

/** the first day of the window of `days` days, today (jiceng_now(), sql/016) included */
const windowStart = (days: number) => sql`jiceng_now()::date - ${sql.lit(Math.trunc(days))}::int`;

/**
 * Households of the area `code` (an SQL expression) with a visit on one of the last `days` calendar
 * days, today included. The range on grid_code is the prefix `code` in byte order (codes are
 * digits; ':' follows '9'), which visit_scope_idx answers. The live count that the stored figures
 * equal: tests check them against it.
 */
export function visitedSql(code: RawBuilder<unknown>, days: number): RawBuilder<number> {
	return sql<number>`(select count(distinct v.household_id)::int4 from visit v
		where v.grid_code ~>=~ ${code} and v.grid_code ~<~ (${code} || ':') and v.visited_on > ${windowStart(days)})`;
}

/**
 * The lengths an area's code can have (sql/001's area_code_shape): each area above a grid is the
 * grid code's prefix of one of them. Read from the rows instead, the distinct lengths of 5,000 area
 * codes cost a scan, and the planner, not knowing there are four, sized the per-area sums for
 * millions of groups: 12 MB of hash table, 50 ms of a pass over five changes (bench:load, Chaoyang).
 */
const CODE_LENGTHS = sql`unnest(${sql.lit(`{${Object.values(AREA_CODE_LENGTH).join(',')}}`)}::int4[])`;

/**
 * Writes the visit counts of every row of area_coverage (the generation the transaction reads or
 * writes): one pass over the visits of the widest window, each household's last visit counted in
 * its grid and added up to every area whose code its grid starts with.
 */
export async function countVisits(trx: Kysely<Database>): Promise<void> {
	const widest = Math.max(...VISIT_WINDOWS_DAYS);
	const sums = VISIT_WINDOWS_DAYS.map((d) => sql`count(*) filter (where last_on > ${windowStart(d)})::int4 as ${sql.ref(`n${d}`)}`);
	const sets = VISIT_WINDOWS_DAYS.map((d) => sql`${column(d)} = coalesce((select r.${sql.ref(`n${d}`)} from rolled r where r.code = c.code), 0)`);
	await sql`
		with last as (
			select grid_code, household_id, max(visited_on) as last_on from visit
			where visited_on > ${windowStart(widest)} group by grid_code, household_id
		),
		per_grid as (select grid_code, ${sql.join(sums)} from last group by grid_code),
		rolled as (
			select left(p.grid_code, lens.l) as code, ${sql.join(VISIT_WINDOWS_DAYS.map((d) => sql`sum(p.${sql.ref(`n${d}`)})::int4 as ${sql.ref(`n${d}`)}`))}
			from per_grid p cross join ${CODE_LENGTHS} lens(l) group by 1
		),
		-- the snapshot these visits are counted in: a queued change it already saw is skipped (sql/030)
		snapped as (
			insert into visit_count_snapshot (gen, snap) select ${GEN_READ}, pg_current_snapshot() where ${GEN_READ} is not null
			on conflict (gen) do update set snap = excluded.snap)
		update area_coverage c set ${sql.join(sets)}, visits_on = jiceng_now()::date`.execute(trx);
}

/**
 * The windows a household is in now (one flag per VISIT_WINDOWS_DAYS): read before and after a
 * visit is written. Two writers of one household's visits would each read "not yet visited" and
 * both count it: the first read takes a transaction lock on the household that the other waits for.
 */
export async function visitWindowsOf(trx: Kysely<Database>, householdId: number, { lock = false } = {}): Promise<boolean[]> {
	if (lock) await sql`select pg_advisory_xact_lock(hashtext('jiceng.visit'), ${householdId % 2 ** 31}::int4)`.execute(trx);
	const { rows } = await sql<{ flags: boolean[] }>`
		select array[${sql.join(VISIT_WINDOWS_DAYS.map((d) => sql`coalesce(max(visited_on) > ${windowStart(d)}, false)`))}] as flags
		from visit where household_id = ${householdId}`.execute(trx);
	return rows[0]?.flags ?? VISIT_WINDOWS_DAYS.map(() => false);
}

/**
 * The passes that apply queued visit changes (visit-changes.ts), the rankings and the recounts take
 * this lock, each alone: a recount sees every change applied, and two passes never write the same
 * area rows at once. Visit writers never take it: they queue their change (queueVisitChange).
 */
export const COUNT_LOCK = sql`hashtext('jiceng.visit_count')`;

/** the generation the area_coverage view reads in this transaction (sql/023): the one being written, else the one served */
const GEN_READ = sql<number>`coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer, (select r.gen from coverage_run r where r.id = 1))`;

/**
 * A visit to a household of `grid` was written: when the household entered or left a window, the
 * change is queued (sql/030), in the writer's transaction — it commits with the visit or not at all.
 * The next pass of visit-changes.ts adds it to the areas above the grid, with their scores and
 * index.
 */
export async function queueVisitChange(trx: Kysely<Database>, grid: string, before: readonly boolean[], after: readonly boolean[]): Promise<void> {
	const deltas = VISIT_WINDOWS_DAYS.map((_, i) => Number(after[i]) - Number(before[i]));
	if (deltas.every((d) => d === 0)) return;
	await sql`insert into visit_window_change (grid_code, deltas) values (${grid}, ${deltas}::int2[])`.execute(trx);
}

/** changes to the visit figures so far (sql/023) */
const VISIT_ROLL = sql<number>`(select case when is_called then last_value else 0 end from visit_roll_seq)`;

/**
 * `fn` in one transaction of the system's holding the count lock (visit writers never wait for it;
 * readers do not either) and the served generation (a recompute's switch waits for it), which `fn`
 * is given. Null, without calling `fn`, when there are no results yet.
 */
function underCountLock<T>(db: Db, fn: (trx: Kysely<Database>, gen: number) => Promise<T>): Promise<T | null> {
	// the system's own work: every household's visits, whatever the caller's scope
	return withScope(db, SYSTEM, async (trx) => {
		await sql`select pg_advisory_xact_lock(${COUNT_LOCK})`.execute(trx);
		const { rows } = await sql<{ gen: number | null }>`select gen from coverage_run where id = 1 for share`.execute(trx);
		if (rows[0]?.gen == null) return null;
		return fn(trx, Number(rows[0].gen));
	});
}

/**
 * The served visit figures rewritten by the system under the count lock: `fn` writes, then the roll
 * moves on (coverage tiles key on it) and the ranks are recorded as following every change so far
 * (sql/027). False when there are no results.
 */
async function rewriteUnderCountLock(db: Db, fn: (trx: Kysely<Database>) => Promise<void>, stillNeeded: RawBuilder<boolean> | null): Promise<boolean> {
	const done = await underCountLock(db, async (trx) => {
		if (stillNeeded) {
			const { rows } = await sql<{ needed: boolean }>`select coalesce(${stillNeeded}, false) as needed from coverage_run r where r.id = 1`.execute(trx);
			if (!rows[0]?.needed) return false;
		}
		await fn(trx);
		await sql`select nextval('visit_roll_seq')`.execute(trx);
		await sql`update visit_rank_state set roll = ${VISIT_ROLL} where id = 1`.execute(trx);
		return true;
	});
	return done ?? false;
}

/**
 * Applies every queued visit change (sql/030) to the served figures, in one transaction under the
 * count lock: each area above a change's grid moves by the changes' sum, then their scores and
 * index and their organisations' follow (the ranks follow in the background: rankVisits). A change
 * whose visit the served generation's count already saw (its writer's transaction is visible in the
 * snapshot that count took) is dropped, not added twice. Each pass that moves a figure logs the
 * generation it went to (visit_delta, sql/023): a generation served later that misses it is counted
 * again. How many changes were taken off the queue (0 when there are no results yet: they wait).
 */
export async function applyQueuedVisitChanges(db: Db): Promise<number> {
	const taken = await underCountLock(db, async (trx, gen) => {
		const { rows } = await visitChangesPassSql(gen).execute(trx);
		const { taken, codes } = rows[0];
		if (codes.length) {
			// the scores and index of the areas moved, and of their organisations, in the generation the counts went to
			await scoreAreas(trx, codes);
			await rescoreOrganisations(trx, codes, { rank: false });
		}
		return taken;
	});
	return taken ?? 0;
}

/**
 * The statement of a pass (applyQueuedVisitChanges): takes every queued change, adds the changes
 * the served generation `gen` has not counted to the areas above their grids, logs the generation
 * they went to and sets the transaction to write it. Its work follows the changes, not the district:
 * the areas moved are found by their key (the sums go to the update as arrays, whose few rows the
 * planner expects, where from a CTE it expected hundreds and read all 5,000 rows instead).
 */
export function visitChangesPassSql(gen: number): RawBuilder<{ taken: number; codes: string[] }> {
	const sums = VISIT_WINDOWS_DAYS.map((_, i) => sql`sum(deltas[${sql.lit(i + 1)}])::int4 as ${sql.ref(`d${i}`)}`);
	const areaSums = VISIT_WINDOWS_DAYS.map((_, i) => sql`sum(t.${sql.ref(`d${i}`)})::int4 as ${sql.ref(`d${i}`)}`);
	const arrays = VISIT_WINDOWS_DAYS.map((_, i) => sql`array_agg(${sql.ref(`d${i}`)}) as ${sql.ref(`d${i}`)}`);
	const unnested = VISIT_WINDOWS_DAYS.map((_, i) => sql`(select ${sql.ref(`d${i}`)} from per_area)`);
	return sql<{ taken: number; codes: string[] }>`
		with taken as (delete from visit_window_change returning xid, grid_code, deltas),
		counted as (select snap from visit_count_snapshot where gen = ${gen}::int4),
		per_grid as (
			select grid_code, ${sql.join(sums)} from taken
			where not coalesce(pg_visible_in_snapshot(taken.xid, (select snap from counted)), false)
			group by grid_code),
		per_area as (
			select array_agg(code) as codes, ${sql.join(arrays)} from (
				select left(t.grid_code, lens.l) as code, ${sql.join(areaSums)}
				from per_grid t cross join ${CODE_LENGTHS} lens(l) group by 1) s),
		moved as (
			update area_coverage_gen c set ${sql.join(VISIT_WINDOWS_DAYS.map((d, i) => sql`${column(d)} = ${column(d)} + p.${sql.ref(`d${i}`)}`))}
			from unnest((select codes from per_area), ${sql.join(unnested)}) p(code, ${sql.join(VISIT_WINDOWS_DAYS.map((_, i) => sql.ref(`d${i}`)))})
			where c.gen = ${gen}::int4 and c.code = p.code and (${sql.join(
				VISIT_WINDOWS_DAYS.map((_, i) => sql`p.${sql.ref(`d${i}`)} <> 0`),
				sql` or `
			)})
			returning c.code),
		logged as (insert into visit_delta (gen) select ${gen}::int4 where exists (select 1 from moved) returning gen),
		spent as (delete from visit_count_snapshot where gen < ${gen}::int4)
		select (select count(*) from taken)::int4 as taken, array(select code from moved) as codes,
		       (select count(*) from logged) as logged, set_config('jiceng.gen_result', ${String(gen)}, true) as setting`;
}

export interface WhenNeeded {
	/**
	 * Skip it (false) when, under the count lock, it is no longer needed: asked for by a read that
	 * saw it needed, and done since by another engine or process that held the lock first. Each
	 * moves the roll, on which every coverage tile cached is keyed: done twice, they are all built
	 * twice. Without it, it is done whatever the figures say (after writes past the visit path).
	 */
	onlyIfNeeded?: boolean;
}

/**
 * Ranks every area and organisation of the served figures again after visits moved their index
 * (a pass of visit-changes.ts leaves the ranks to this), in the background.
 */
export function rankVisits(db: Db, o: WhenNeeded = {}): Promise<boolean> {
	return rewriteUnderCountLock(
		db,
		async (trx) => {
			await rankAreaRows(trx);
			await rankOrganisationRows(trx);
		},
		o.onlyIfNeeded ? visitRanksStaleSql : null
	);
}

/**
 * Counts every area's visits again, with the scores, index and ranks: on a new day (the windows
 * moved) or when a visit's change went to a generation no longer served (sql/023).
 */
export function recountVisits(db: Db, o: WhenNeeded = {}): Promise<boolean> {
	return rewriteUnderCountLock(
		db,
		async (trx) => {
			await countVisits(trx);
			await scoreAreas(trx);
			await rankAreaRows(trx);
			await rescoreOrganisations(trx, null);
			await sql`delete from visit_delta`.execute(trx);
		},
		o.onlyIfNeeded ? visitFiguresStaleSql : null
	);
}

/** the served visit figures are of another day, or miss a change that went to a generation replaced since */
export const visitFiguresStaleSql = sql<boolean>`(r.gen is not null and (
	(select c.visits_on from area_coverage c order by c.code limit 1) is distinct from jiceng_now()::date
	or exists (select 1 from visit_delta d where d.gen <> r.gen)))`;

/** changes to the visit figures so far: tile caches of coverage layers key on it */
export const visitRollSql = VISIT_ROLL;

/** visits changed the served index since the ranks were last ranked (sql/027) */
export const visitRanksStaleSql = sql<boolean>`(r.gen is not null and ${VISIT_ROLL} > (select s.roll from visit_rank_state s where s.id = 1))`;
