// What the big screen receives (GET /api/screen): aggregates only, no person. The server builds it
// (src/lib/server/screen/figures.ts) and the screen's components read it, with these shapes.
import * as v from 'valibot';
import { agrees, bbox, count, nullableNumber, shownCount } from './contract.ts';
import { areaSelectionFiguresSchema, type AreaSelectionFigures } from './selection.ts';

/** the levels of the organisation system the screen counts, in the order it shows them */
export const ORG_LEVELS = {
	district: ['district_committee'],
	street: ['street_committee'],
	community: ['community_committee', 'village_committee'],
	grid: ['grid_branch'],
	building: ['building_group'],
	new_fields: ['office_branch', 'liaison_station', 'park_branch']
} as const;
export type OrgLevel = keyof typeof ORG_LEVELS;

export interface TickerItem {
	kind: 'visit' | 'request';
	/** e.g. 'done', 'open', 'overdue', 'closed' */
	status: string;
	grid_code: string;
	grid_name: string;
	/** a category word from a fixed list (never free text a person typed) */
	category: string | null;
	at: string;
}

export interface RankedArea {
	code: string;
	name: string;
	coverage_index: number | null;
	rank: number | null;
	rank_of: number | null;
	rectify: boolean;
	/** among the bottom five of this list */
	bottom: boolean;
}

export interface ScreenFigures {
	area: { code: string; name: string; level: string; bbox: [number, number, number, number] };
	/** what the figures reflect: tiles are keyed by it too */
	version: { data: number; stats: number | null; coverage: number | null; visits: number; updating: boolean };
	as_of: string;
	counters: {
		organisations: number;
		organisations_by_level: Record<OrgLevel, number>;
		members: number | null;
		central_households: number | null;
		service_centres: number;
		share_5min: number | null;
		share_10min: number | null;
		share_15min: number | null;
		coverage_index: number | null;
		blind_spots: number | null;
		visits_week: number | null;
		requests_open: number | null;
		requests_overdue: number | null;
	};
	/** false until the visits and requests capabilities land (activity.ts) */
	activity_available: boolean;
	/** the panel's figures as it reads them (the comparison test reads these) */
	panel: AreaSelectionFigures;
	ranked: { level: 'street' | 'community' | 'grid'; rows: RankedArea[] }[];
	blind_spots: { grid_code: string; grid_name: string; households: number | null; buildings: number; lon: number; lat: number }[];
	ticker: TickerItem[];
	trend: { day: string; share_15min: number | null; coverage_index: number | null; members: number | null; blind_spots: number | null }[];
	tour: {
		interval_s: number;
		children: { code: string; name: string; bbox: [number, number, number, number] }[];
		overdue: { grid_code: string; grid_name: string; lon: number; lat: number; n: number }[];
	};
}

// ---- the answer's contract (contract.ts) ----

const byLevel = agrees<Record<OrgLevel, number>>()(
	v.object({ district: count, street: count, community: count, grid: count, building: count, new_fields: count })
);
const place = { grid_code: v.string(), grid_name: v.string(), lon: v.number(), lat: v.number() };
const rankedArea = agrees<RankedArea>()(
	v.object({
		code: v.string(),
		name: v.string(),
		coverage_index: nullableNumber,
		rank: v.nullable(count),
		rank_of: v.nullable(count),
		rectify: v.boolean(),
		bottom: v.boolean()
	})
);

/** GET /api/screen */
export const screenAnswer = agrees<ScreenFigures>()(
	v.object({
		area: v.object({ code: v.string(), name: v.string(), level: v.string(), bbox }),
		version: v.object({ data: count, stats: v.nullable(count), coverage: v.nullable(count), visits: count, updating: v.boolean() }),
		as_of: v.string(),
		counters: v.object({
			organisations: count,
			organisations_by_level: byLevel,
			members: shownCount,
			central_households: shownCount,
			service_centres: count,
			share_5min: nullableNumber,
			share_10min: nullableNumber,
			share_15min: nullableNumber,
			coverage_index: nullableNumber,
			blind_spots: v.nullable(count),
			visits_week: v.nullable(count),
			requests_open: v.nullable(count),
			requests_overdue: v.nullable(count)
		}),
		activity_available: v.boolean(),
		panel: areaSelectionFiguresSchema,
		ranked: v.array(v.object({ level: v.picklist(['street', 'community', 'grid']), rows: v.array(rankedArea) })),
		blind_spots: v.array(v.object({ ...place, households: shownCount, buildings: count })),
		ticker: v.array(
			v.object({
				kind: v.picklist(['visit', 'request']),
				status: v.string(),
				grid_code: v.string(),
				grid_name: v.string(),
				category: v.nullable(v.string()),
				at: v.string()
			})
		),
		trend: v.array(
			v.object({ day: v.string(), share_15min: nullableNumber, coverage_index: nullableNumber, members: shownCount, blind_spots: v.nullable(count) })
		),
		tour: v.object({
			interval_s: count,
			children: v.array(v.object({ code: v.string(), name: v.string(), bbox })),
			overdue: v.array(v.object({ ...place, n: count }))
		})
	})
);
