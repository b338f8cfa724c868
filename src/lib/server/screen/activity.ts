// The big screen's counters and ticker of the grid leaders' work: visits this week, open and
// overdue residents' requests, and the latest of both. They belong to the visits (sql/015,
// /api/visits) and requests (sql/016, /api/requests) capabilities, built beside this one.
//
// SWITCH-OVER POINT: until their query functions land in src/lib/server/db/queries/, this answers
// `available: false` with null counters and an empty ticker, and the screen shows "—". When they
// land, read them here (and only here): the screen, the snapshot and the tour all go through
// screenActivity().
import type { Scoped } from '../db/scoped.ts';
import type { TickerItem } from '../../api/screen.ts';

export type { TickerItem };

/** one line of the ticker: what happened, where (no finer than the grid), when — never who */

export interface ScreenActivity {
	/** false until the visits and requests capabilities are there to read */
	available: boolean;
	visits_week: number | null;
	requests_open: number | null;
	requests_overdue: number | null;
	/** overdue requests' places for the tour's last leg (grid centre, no finer) */
	overdue_places: { grid_code: string; grid_name: string; lon: number; lat: number; n: number }[];
	ticker: TickerItem[];
}

/** Visits and requests of `code`'s subtree as the screen shows them (see the switch-over note above). */
export async function screenActivity(_trx: Scoped, _code: string): Promise<ScreenActivity> {
	return { available: false, visits_week: null, requests_open: null, requests_overdue: null, overdue_places: [], ticker: [] };
}
