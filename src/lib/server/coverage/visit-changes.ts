// When queued visit changes reach the served figures (sql/030). A visit writer queues its change in
// its own transaction and, after its commit, asks for a pass (settle); one pass at a time applies
// everything queued so far (applyQueuedVisitChanges, under the count lock), so under a morning's
// visits each pass takes many at once and no writer holds a connection waiting for a lock.
//
// A writer waits for the first pass that starts after its commit, at most SETTLE_MS: its answer
// then comes with the figures that count it (a grid leader sees their visit counted), yet a slow
// pass never holds a request for long — the change stays queued and the pass finishes anyway.
// Changes a stopped process left queued are applied when the coverage status sees them (engine.ts).
import { sql } from 'kysely';
import type { Db } from '../db/open.ts';
import { priorityLane } from '../db/lanes.ts';
import { onePerDb } from '../db/one-per-db.ts';
import { withUrgency } from '../db/urgency.ts';
import { applyQueuedVisitChanges } from './visits.ts';

/** the longest a writer waits for the pass that applies its change, ms */
export const SETTLE_MS = 2000;
/** after a failed pass, changes left queued are not swept again for this long, ms (writers still ask) */
const RETRY_AFTER_FAILURE_MS = 10_000;

export class VisitChanges {
	readonly db: Db;
	log: (line: string) => void;
	/** the pass running or last run (never rejects) */
	#tail: Promise<void> = Promise.resolve();
	/** the pass that will start when the running one ends: callers until then join it */
	#waiting: Promise<number> | null = null;
	#failedAt = -Infinity;

	constructor(db: Db, log: (line: string) => void = (line) => console.log(`[coverage] ${line}`)) {
		this.db = db;
		this.log = log;
	}

	/**
	 * A pass that starts after this call (it takes every change committed before it), joined when
	 * one is already waiting to start. Resolves to how many changes it took; rejects when it failed
	 * (the changes stay queued for the next).
	 */
	pass(): Promise<number> {
		if (this.#waiting) return this.#waiting;
		const next = this.#tail.then(() => {
			this.#waiting = null;
			// writers wait on it: first in the pool's queue (db/urgency.ts)
			return withUrgency('prompt', () => applyQueuedVisitChanges(this.db));
		});
		this.#waiting = next;
		this.#tail = next.then(
			() => {},
			(error: Error) => {
				this.#failedAt = performance.now();
				this.log(`queued visit changes not applied (tried again at the next): ${error.message}`);
			}
		);
		return next;
	}

	/** whether any change is queued (committed and not yet taken by a committed pass) */
	async #pending(): Promise<boolean> {
		const { rows } = await sql<{ pending: boolean }>`select visit_changes_pending() as pending`.execute(priorityLane(this.db.kysely));
		return rows[0]?.pending === true;
	}

	/** A pass for changes left queued (the coverage status saw some), unless one failed in the last RETRY_AFTER_FAILURE_MS. */
	sweep(): void {
		if (performance.now() - this.#failedAt < RETRY_AFTER_FAILURE_MS) return;
		this.pass().catch(() => {});
	}

	/** Asks for a pass when changes are queued and waits for it, at most `maxWaitMs`; never throws (the visit is saved either way). */
	async settle(maxWaitMs = SETTLE_MS): Promise<void> {
		// nothing queued (the visit moved no household in or out of a window, or a pass took it
		// already): no pass to wait for — one short read instead of the count lock
		if (!(await this.#pending().catch(() => true))) return;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const bound = new Promise<void>((ok) => {
			timer = setTimeout(ok, maxWaitMs);
		});
		try {
			await Promise.race([
				this.pass().then(
					() => {},
					() => {}
				),
				bound
			]);
		} finally {
			clearTimeout(timer);
		}
	}
}

/** The one VisitChanges of a database handle: every writer of the process shares its passes. */
export const visitChanges = onePerDb((db) => new VisitChanges(db));
