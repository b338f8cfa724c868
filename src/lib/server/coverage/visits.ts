// Visit coverage (走访覆盖) in the served coverage figures (sql/023): households of each area
// visited in the last 30 and 90 days, stored beside the other counts so the index, the ranks and
// every reader take one number. A visit adds its household's change to the areas above it at once
// (applyVisitChange, in the visit's transaction); a recompute and each new day count them all
// again (countVisits, recountVisits).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { SYSTEM, withScope } from '../db/scoped.ts';
import { VISIT_WINDOWS_DAYS } from '../../coverage-rules.ts';
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
		lens as (select distinct length(code) as l from area_coverage),
		rolled as (
			select left(p.grid_code, lens.l) as code, ${sql.join(VISIT_WINDOWS_DAYS.map((d) => sql`sum(p.${sql.ref(`n${d}`)})::int4 as ${sql.ref(`n${d}`)}`))}
			from per_grid p cross join lens group by 1
		)
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
 * Visit changes and recounts take this lock, each alone: a recount sees every change committed, and
 * two changes never write the same area rows at once (each moves its grid's ancestors, the district
 * among them, and ranks every area and organisation again: taken in their own orders, those rows
 * deadlocked). Held until the writer commits, after its household's lock and before the audit
 * chain's (db/queries/visits.ts), the one order every writer takes them in.
 */
const COUNT_LOCK = sql`hashtext('jiceng.visit_count')`;

/**
 * A visit to a household of `grid` was written: when the household entered or left a window, the
 * areas above the grid count it, and their scores, index and ranks follow (a handful of rows, in
 * the writer's transaction: the figures are current when it commits). The change is logged with
 * the generation it went to (sql/023): if that generation is replaced before the change is in the
 * one served, a recount follows.
 */
export async function applyVisitChange(trx: Kysely<Database>, grid: string, before: readonly boolean[], after: readonly boolean[]): Promise<void> {
	const deltas = VISIT_WINDOWS_DAYS.map((_, i) => Number(after[i]) - Number(before[i]));
	if (deltas.every((d) => d === 0)) return;
	// From the lock to the commit every visit of the district waits for this one, and under load each
	// round trip is a wait on a busy server: so the lock, the generation, the counts, the log and the
	// generation the scores read (the views read jiceng.gen_result) go in one statement. The lock is
	// taken before the rows are read (`run` needs it, the update needs `run`); a count another visit
	// committed since this statement began is re-read by the update (READ COMMITTED).
	const { rows } = await sql<{ gen: number | null; codes: string[] }>`
		with locked as (select pg_advisory_xact_lock(${COUNT_LOCK}) as l),
		run as (select r.gen from coverage_run r cross join locked where r.id = 1),
		moved as (
			update area_coverage_gen set ${sql.join(VISIT_WINDOWS_DAYS.map((d, i) => sql`${column(d)} = ${column(d)} + ${deltas[i]}::int`))}
			where gen = (select gen from run) and starts_with(${grid}::text, code) returning code),
		logged as (insert into visit_delta (gen) select gen from run where gen is not null returning gen)
		select (select gen from run) as gen, array(select code from moved) as codes,
		       set_config('jiceng.gen_result', coalesce((select gen from run)::text, ''), true) as setting`.execute(trx);
	// no results served yet: the first recompute counts the visits
	if (rows[0]?.gen == null) return;
	// the scores and index of the generation the counts went to; the ranks of every area and
	// organisation follow in the background (rankVisits, sql/027): ranking them all here held the
	// lock for 100 ms a visit at Chaoyang, and visits queued for it. The writer's transaction reads
	// no coverage figure after this (the generation it names is the one served, or a recount follows)
	await scoreAreas(trx, rows[0].codes);
	await rescoreOrganisations(trx, rows[0].codes, { rank: false });
}

/** changes to the visit figures so far (sql/023) */
const VISIT_ROLL = sql<number>`(select case when is_called then last_value else 0 end from visit_roll_seq)`;

/**
 * The served visit figures rewritten by the system, in one transaction holding the count lock
 * (visit writes wait for it; readers do not) and the served generation (a recompute's switch waits
 * for it): `fn` writes, then the roll moves on (coverage tiles key on it) and the ranks are
 * recorded as following every change so far (sql/027). False when there are no results.
 */
function underCountLock(db: Db, fn: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
	// the system's own work: every household's visits, whatever the caller's scope
	return withScope(db, SYSTEM, async (trx) => {
		await sql`select pg_advisory_xact_lock(${COUNT_LOCK})`.execute(trx);
		const { rows } = await sql<{ gen: number | null }>`select gen from coverage_run where id = 1 for share`.execute(trx);
		if (rows[0]?.gen == null) return false;
		await fn(trx);
		await sql`select nextval('visit_roll_seq')`.execute(trx);
		await sql`update visit_rank_state set roll = ${VISIT_ROLL} where id = 1`.execute(trx);
		return true;
	});
}

/**
 * Ranks every area and organisation of the served figures again after visits moved their index
 * (applyVisitChange leaves the ranks to this), in the background.
 */
export function rankVisits(db: Db): Promise<boolean> {
	return underCountLock(db, async (trx) => {
		await rankAreaRows(trx);
		await rankOrganisationRows(trx);
	});
}

/**
 * Counts every area's visits again, with the scores, index and ranks: on a new day (the windows
 * moved) or when a visit's change went to a generation no longer served (sql/023).
 */
export function recountVisits(db: Db): Promise<boolean> {
	return underCountLock(db, async (trx) => {
		await countVisits(trx);
		await scoreAreas(trx);
		await rankAreaRows(trx);
		await rescoreOrganisations(trx, null);
		await sql`delete from visit_delta`.execute(trx);
	});
}

/** the served visit figures are of another day, or miss a change that went to a generation replaced since */
export const visitFiguresStaleSql = sql<boolean>`(r.gen is not null and (
	(select c.visits_on from area_coverage c order by c.code limit 1) is distinct from jiceng_now()::date
	or exists (select 1 from visit_delta d where d.gen <> r.gen)))`;

/** changes to the visit figures so far: tile caches of coverage layers key on it */
export const visitRollSql = VISIT_ROLL;

/** visits changed the served index since the ranks were last ranked (sql/027) */
export const visitRanksStaleSql = sql<boolean>`(r.gen is not null and ${VISIT_ROLL} > (select s.roll from visit_rank_state s where s.id = 1))`;
