// "My grid" (我的网格, issue 11 part 1): the grid leader's home. The filters a view is linked by
// (URL search params, parsed by the same schema on the server) and the shapes the page receives,
// masked on the server as the viewer's role requires (src/lib/server/db/queries/my-grid.ts).
import * as v from 'valibot';
import { wholeNumber } from './inputs.ts';
import type { VisitKind } from './visits.ts';

/** a request past its time limit is amber, past twice the limit red (src/lib/server/requests/machine.ts) */
export type Overdue = 'none' | 'amber' | 'red';

/** every input bounded: a page of households, "not visited in N days", the search text */
export const MY_GRID_BOUNDS = {
	pageSize: { min: 10, max: 200, fallback: 50 },
	days: { min: 1, max: 365 },
	/** the most rows a grid's list is built from (a grid holds 300–500 households; more is a data error) */
	households: 5000,
	offset: 100_000,
	query: 40
} as const;

/** the choices the filter chips offer for "not visited in N days" */
export const VISIT_DAY_CHOICES = [30, 60, 90] as const;

const days = v.optional(
	v.pipe(
		v.string(),
		v.transform((s) => (s === '' ? null : Number(s))),
		v.nullable(
			v.pipe(
				v.number(`must be an integer from ${MY_GRID_BOUNDS.days.min} to ${MY_GRID_BOUNDS.days.max}`),
				v.integer(`must be an integer from ${MY_GRID_BOUNDS.days.min} to ${MY_GRID_BOUNDS.days.max}`),
				v.minValue(MY_GRID_BOUNDS.days.min, `must be an integer from ${MY_GRID_BOUNDS.days.min} to ${MY_GRID_BOUNDS.days.max}`),
				v.maxValue(MY_GRID_BOUNDS.days.max, `must be an integer from ${MY_GRID_BOUNDS.days.min} to ${MY_GRID_BOUNDS.days.max}`)
			)
		)
	),
	''
);

/** The filters of the grid's list, as the URL spells them (`?care=none&req=overdue&flag=mobile&visit=30&follow=due&q=3单元&b=12`). */
export const gridFilterQuery = v.object({
	/** care=none: households no central household, building or unit leader looks after */
	care: v.optional(v.picklist(['', 'none'], 'must be none'), ''),
	/** req=open: with an open request; req=overdue: with one past its time limit */
	req: v.optional(v.picklist(['', 'open', 'overdue'], 'must be open or overdue'), ''),
	/** flag=mobile: 流动党员; flag=reported: 在职党员到社区报到; flag=any: either */
	flag: v.optional(v.picklist(['', 'mobile', 'reported', 'any'], 'must be mobile, reported or any'), ''),
	/** visit=N: not visited in the last N days (when visits are recorded) */
	visit: days,
	/** follow=due: a visit's follow-up is due (today or earlier) */
	follow: v.optional(v.picklist(['', 'due'], 'must be due'), ''),
	/** a building's address or name, a room (`3-502`), or a member's name (for viewers who see names) */
	q: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(MY_GRID_BOUNDS.query, `at most ${MY_GRID_BOUNDS.query} characters`)), ''),
	/** one building only */
	b: v.optional(
		v.pipe(
			v.string(),
			v.regex(/^(\d{1,15})?$/, 'must be a building id'),
			v.transform((s) => (s === '' ? null : Number(s)))
		),
		''
	),
	offset: wholeNumber(0, MY_GRID_BOUNDS.offset, 0),
	limit: wholeNumber(MY_GRID_BOUNDS.pageSize.min, MY_GRID_BOUNDS.pageSize.max, MY_GRID_BOUNDS.pageSize.fallback)
});
export type GridFilter = v.InferOutput<typeof gridFilterQuery>;

/** the filter with nothing chosen */
export const NO_FILTER: GridFilter = v.parse(gridFilterQuery, {});

/** whether any filter narrows the list (paging aside) */
export function isFiltered(f: GridFilter): boolean {
	return !!(f.care || f.req || f.flag || f.visit || f.follow || f.q || f.b !== null);
}

/** The URL search string of a filter (only what differs from no filter), for links. */
export function filterSearch(f: Partial<GridFilter>): string {
	const p = new URLSearchParams();
	const full = { ...NO_FILTER, ...f };
	if (full.care) p.set('care', full.care);
	if (full.req) p.set('req', full.req);
	if (full.flag) p.set('flag', full.flag);
	if (full.visit) p.set('visit', String(full.visit));
	if (full.follow) p.set('follow', full.follow);
	if (full.q) p.set('q', full.q);
	if (full.b !== null) p.set('b', String(full.b));
	if (full.offset) p.set('offset', String(full.offset));
	if (full.limit !== NO_FILTER.limit) p.set('limit', String(full.limit));
	const s = p.toString();
	return s ? `?${s}` : '';
}

export interface GridRef {
	code: string;
	name: string;
	community: { code: string; name: string };
	/** [west, south, east, north] */
	bbox: [number, number, number, number];
}

/** who looks after a household (a central household looks after itself) */
export interface Carer {
	kind: 'self' | 'central' | 'building_leader' | 'unit_leader';
	/** masked as the viewer's role requires; null when the person is outside the viewer's area */
	name: string | null;
	/** the central household's id (its own page), for kind `central` and `self` */
	central_household_id?: number;
}

export interface GridMember {
	id: number;
	name: string;
	gender: 'male' | 'female';
	/** 流动党员 */
	mobile: boolean;
	/** 在职党员到社区报到 */
	reported: boolean;
}

export interface GridHousehold {
	id: number;
	building_id: number;
	/** unit/floor/room for viewers who see homes; null when homes are shown at building level */
	home: { unit: number; floor: number; room: string } | null;
	/** the unit, for grouping (a unit is not a person's detail) */
	unit: number;
	residents: number;
	central: boolean;
	carers: Carer[];
	members: GridMember[];
	requests: { open: number; overdue: number; worst: Overdue };
	/** the last visit's day (YYYY-MM-DD); null: never visited */
	last_visit: string | null;
	last_visit_kind: VisitKind | null;
	/** a follow-up's due day (YYYY-MM-DD) from the last visit, when one is asked for */
	follow_up: string | null;
}

export interface GridBuilding {
	id: number;
	name: string | null;
	address: string;
	kind: string;
	units: number;
	floors: number;
	households: number;
	/** households of this building that the filter keeps */
	matching: number;
	/** a point inside the footprint: [lon, lat] */
	at: [number, number];
}

export interface GridFigures {
	buildings: number;
	households: number;
	uncared: number;
	open_requests: number;
	overdue_requests: number;
	/** households with a 流动党员 or 在职报到 member */
	flagged: number;
	/** households not visited in 30 days (null until visits are recorded) */
	not_visited_30: number | null;
	follow_up_due: number | null;
}

export interface MyGridView {
	grid: GridRef;
	figures: GridFigures;
	/** every building of the grid (the map and the list's headings) */
	buildings: GridBuilding[];
	/** one page of the households the filter keeps, in building/unit/floor/room order */
	households: GridHousehold[];
	/** how many households the filter keeps (all pages) */
	total: number;
	filter: GridFilter;
	/** visits are recorded (the visit table exists): the last-visit slot and its filters work */
	visits: boolean;
	/** names and homes masked for this viewer */
	masked: boolean;
	/** the database's day (YYYY-MM-DD): "today" for follow-ups */
	today: string;
}

/** a grid the viewer may open (a community secretary's choice) */
export interface GridChoice {
	code: string;
	name: string;
	buildings: number;
	households: number;
	uncared: number;
}

export interface CentralHouseholdView {
	grid: GridRef;
	central: {
		household_id: number;
		building_id: number;
		address: string;
		home: { unit: number; floor: number; room: string } | null;
		/** the member who keeps it, masked as the viewer's role requires */
		member: string;
		at: [number, number];
	};
	/** the households it looks after, each with its building's point */
	households: (GridHousehold & { at: [number, number]; address: string })[];
	visits: boolean;
	masked: boolean;
	today: string;
}
