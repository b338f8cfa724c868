// The embedded database's autovacuum. PGlite runs PostgreSQL in single-user mode: no background
// workers, so no autovacuum. Left alone, a folder served for weeks grows with the dead rows of
// every update (sessions, visits, the figures a visit moves, each recompute's leftovers) and plans
// its queries with the statistics of the day it was seeded: a visit table counted as empty is read
// by nested loops when it holds 100,000 rows.
//
// This does autovacuum's job from the app: every few minutes, the tables past autovacuum's own
// thresholds (PostgreSQL's defaults: VACUUM once 50 rows + 20 % of the table are dead, ANALYZE
// once 50 + 10 % changed), one at a time, through the database's one queue. Only tables that
// churned are touched, so a run costs in proportion to the writes since the last.
import { sql } from 'kysely';
import type { Db } from './open.ts';

/** autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor (PostgreSQL's defaults) */
export const VACUUM_BASE = 50;
export const VACUUM_SCALE = 0.2;
/** autovacuum_analyze_threshold, autovacuum_analyze_scale_factor */
export const ANALYZE_BASE = 50;
export const ANALYZE_SCALE = 0.1;
/** how often the app looks (autovacuum_naptime is 1 min; the embedded database serves a district, not a city) */
export const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

export interface MaintenanceRun {
	/** tables given VACUUM (ANALYZE), with their dead rows before */
	vacuumed: { table: string; dead: number }[];
	/** tables given ANALYZE alone, with their rows changed since the last */
	analyzed: { table: string; changed: number }[];
	ms: number;
}

/** One pass: the application tables past the thresholds, each vacuumed or analysed. */
export async function maintainEmbedded(db: Db, log: (line: string) => void = () => {}): Promise<MaintenanceRun> {
	if (db.backend !== 'embedded') throw new Error('maintainEmbedded: the server runs its own autovacuum');
	const t0 = performance.now();
	// single-user mode keeps the counts of the session's writes pending: flushed when asked, at
	// the end of the next statement
	await sql`select pg_stat_force_next_flush()`.execute(db.kysely);
	await sql`select 1`.execute(db.kysely);
	const { rows } = await sql<{ table: string; dead: number; changed: number; vacuum: boolean }>`
		select s.relname as table, s.n_dead_tup::int8::float8 as dead, s.n_mod_since_analyze::int8::float8 as changed,
		       s.n_dead_tup > ${VACUUM_BASE} + ${VACUUM_SCALE} * greatest(c.reltuples, 0) as vacuum
		from pg_stat_user_tables s join pg_class c on c.oid = s.relid
		where s.schemaname = 'public'
		  and (s.n_dead_tup > ${VACUUM_BASE} + ${VACUUM_SCALE} * greatest(c.reltuples, 0)
		       or s.n_mod_since_analyze > ${ANALYZE_BASE} + ${ANALYZE_SCALE} * greatest(c.reltuples, 0))
		order by s.n_dead_tup desc, s.relname`.execute(db.kysely);
	const run: MaintenanceRun = { vacuumed: [], analyzed: [], ms: 0 };
	for (const r of rows) {
		const t = performance.now();
		if (r.vacuum) {
			await sql`vacuum (analyze) ${sql.table(r.table)}`.execute(db.kysely);
			run.vacuumed.push({ table: r.table, dead: Number(r.dead) });
		} else {
			await sql`analyze ${sql.table(r.table)}`.execute(db.kysely);
			run.analyzed.push({ table: r.table, changed: Number(r.changed) });
		}
		log(
			`${r.vacuum ? `vacuumed ${r.table} (${r.dead} dead rows)` : `analysed ${r.table} (${r.changed} rows changed)`} in ${(performance.now() - t).toFixed(0)} ms`
		);
	}
	run.ms = Math.round(performance.now() - t0);
	return run;
}

/**
 * Runs maintainEmbedded every `everyMs` for as long as the process serves (the timer does not keep
 * it alive); a pass still under way is never doubled. Returns the stop.
 */
export function scheduleEmbeddedMaintenance(db: Db, everyMs = MAINTENANCE_INTERVAL_MS, log = (line: string) => console.log(`[db] ${line}`)): () => void {
	let running = false;
	const timer = setInterval(() => {
		if (running) return;
		running = true;
		maintainEmbedded(db, log)
			.catch((e: Error) => log(`maintenance failed, tried again in ${Math.round(everyMs / 1000)} s: ${e.message}`))
			.finally(() => {
				running = false;
			});
	}, everyMs);
	timer.unref();
	return () => clearInterval(timer);
}
