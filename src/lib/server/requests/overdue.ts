// When a request is overdue, written once: the request queries (db/queries/requests.ts), the
// requests tile layer (tiles/sources.ts) and the rankings' request figures all use this fragment.
import { sql } from 'kysely';
import type { Overdue } from './machine.ts';

/**
 * SQL: 'none' | 'amber' | 'red' for the request aliased `r` joined to its time limit aliased `l`
 * (`request r join request_time_limit l using (category, urgency)`). Past the time limit amber,
 * past twice the limit red; the limit is the response limit while the request waits for a first
 * answer (submitted, reopened), else the resolution limit; resolved and confirmed requests are
 * never overdue. The clock is jiceng_now() (sql/016).
 */
export const OVERDUE = sql<Overdue>`case
	when r.state in ('resolved', 'confirmed') then 'none'
	when jiceng_now() - r.created_at >= make_interval(hours => 2 * (case when r.state in ('submitted', 'reopened') then l.respond_hours else l.resolve_hours end)) then 'red'
	when jiceng_now() - r.created_at >= make_interval(hours => (case when r.state in ('submitted', 'reopened') then l.respond_hours else l.resolve_hours end)) then 'amber'
	else 'none' end`;
