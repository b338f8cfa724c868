// The server takes the day's snapshot itself (sql/018): a timer in the server process looks every
// JICENG_SNAPSHOT_CHECK_S seconds (default 600) whether today has one and, once coverage results
// exist, takes it. On demand: POST /api/snapshots (a district administrator), or takeDailySnapshot().
import type { Db } from '../db/open.ts';
import { withScope, SYSTEM } from '../db/scoped.ts';
import { hasSnapshot, takeSnapshot } from '../db/queries/snapshots.ts';
import { ensureAreaStats } from '../db/queries/area-stats.ts';
import { coverageEngine } from '../coverage/engine.ts';

let running: Promise<unknown> | null = null;

/** Takes today's snapshot (again, when `force`), from the figures as they are now; one at a time. */
export async function takeDailySnapshot(db: Db, force = false): Promise<{ day: string; areas: number; blind_spots: number } | null> {
	while (running) await running.catch(() => {});
	const p = (async () => {
		if (!force && (await withScope(db, SYSTEM, (trx) => hasSnapshot(trx)))) return null;
		const status = await coverageEngine(db).status();
		if (status.computed_version === null) return null; // no coverage yet: try again at the next check
		await ensureAreaStats(db);
		return withScope(db, SYSTEM, (trx) => takeSnapshot(trx));
	})();
	running = p;
	try {
		return await p;
	} finally {
		running = null;
	}
}

const KEY = Symbol.for('jiceng.snapshot-timer');
type Holder = { [KEY]?: ReturnType<typeof setTimeout> };

/** Starts the daily check in this process (once; it does not keep the process alive). */
export function startSnapshotTimer(db: Db): void {
	const holder = globalThis as Holder;
	if (holder[KEY] || process.env.JICENG_SNAPSHOTS === 'off') return;
	const every = Math.max(5, Number(process.env.JICENG_SNAPSHOT_CHECK_S ?? 600)) * 1000;
	const tick = async () => {
		try {
			const r = await takeDailySnapshot(db);
			if (r) console.log(`[snapshot] ${r.day}: ${r.areas} areas, ${r.blind_spots} blind spots`);
		} catch (e) {
			console.error(`[snapshot] failed: ${(e as Error).message}`);
		}
		holder[KEY] = setTimeout(tick, every);
		holder[KEY].unref?.();
	};
	holder[KEY] = setTimeout(tick, Math.min(every, 15_000));
	holder[KEY].unref?.();
}
