// The big screen's counters and ticker of the grid leaders' work: visits this week, open and
// overdue residents' requests, and the latest of both. Read here and only here: the screen, the
// snapshot and the tour all go through screenActivity(), which reads the visits (sql/015) and
// requests (sql/016) query functions — the same ones their own pages use.
import type { Scoped } from '../db/scoped.ts';
import type { TickerItem } from '../../api/screen.ts';
import { visitActivity } from '../db/queries/visits.ts';
import { requestActivity } from '../db/queries/requests.ts';

export type { TickerItem };

export interface ScreenActivity {
	available: boolean;
	visits_week: number | null;
	requests_open: number | null;
	requests_overdue: number | null;
	/** overdue requests' places for the tour's last leg (grid centre, no finer) */
	overdue_places: { grid_code: string; grid_name: string; lon: number; lat: number; n: number }[];
	/** one line per visit or request: what happened, where (no finer than the grid), when — never who */
	ticker: TickerItem[];
}

/** the most lines the ticker holds */
const TICKER_LINES = 12;

/** Visits and requests of `code`'s subtree as the screen shows them. */
export async function screenActivity(trx: Scoped, code: string): Promise<ScreenActivity> {
	const visits = await visitActivity(trx, code, TICKER_LINES);
	const requests = await requestActivity(trx, code, TICKER_LINES);
	const ticker = [...visits.latest, ...requests.latest].sort((a, b) => b.at.localeCompare(a.at)).slice(0, TICKER_LINES);
	return {
		available: true,
		visits_week: visits.visits_week,
		requests_open: requests.open,
		requests_overdue: requests.overdue,
		overdue_places: requests.overdue_places,
		ticker
	};
}
