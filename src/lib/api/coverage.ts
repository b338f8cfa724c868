// The coverage answers as the browser receives them: rows of the coverage results, what a viewer
// who sees no persons gets of them, what-if and suggestion results. The server's query functions
// and the panel both take these types from here, so the two cannot drift apart.
import * as v from 'valibot';
import { AREA_LEVELS } from './areas.ts';
import { agrees, count, jsonTime, localized, nullableNumber, shownCount, suppressed } from './contract.ts';
import type { CellRule, Withheld } from './withheld.ts';

export interface AreaCoverageRow {
	code: string;
	name: string;
	level: 'district' | 'street' | 'community' | 'grid';
	households: number;
	hh_5min: number;
	hh_10min: number;
	hh_15min: number;
	share_5min: number | null;
	share_10min: number | null;
	share_15min: number | null;
	hh_cared: number;
	/** households with a visit on one of the last 30 / 90 days (coverage-rules.ts: VISIT_WINDOWS_DAYS), read live */
	hh_visited_30d: number;
	share_visited_30d: number | null;
	hh_visited_90d: number;
	share_visited_90d: number | null;
	grids: number;
	grids_with_branch: number;
	member_buildings: number;
	member_buildings_covered: number;
	key_buildings: number;
	key_buildings_covered: number;
	orgs: number;
	orgs_with_secretary: number;
	blind_spots: number;
	hh_in_blind_spots: number;
	service_score: number | null;
	organisation_score: number | null;
	work_score: number | null;
	coverage_index: number | null;
	rank: number | null;
	rank_of: number | null;
	rectify: boolean;
	/**
	 * residents' requests of the area (issue 11 part 3), read live beside the index, not in it
	 * (db/queries/requests.ts areaRequestJoin): all, open (not confirmed), overdue (amber or red)
	 */
	requests: number;
	requests_open: number;
	requests_overdue: number;
	/** mean hours from submission to acceptance (accepted requests) and to resolution (resolved ones) */
	response_hours: number | null;
	resolution_hours: number | null;
}

export interface BlindSpotRow {
	id: number;
	grid_code: string;
	grid_name: string;
	community_code: string;
	households: number;
	buildings: number;
	gap_kinds: string[];
	gap_rules: string[];
	building_ids: number[];
	/** GeoJSON text of the hull, when asked for */
	geojson?: string;
	lon: number;
	lat: number;
}

type AreaKey = keyof AreaCoverageRow & string;

export const AREA_COVERAGE_CELLS = {
	counts: [
		'households',
		'hh_5min',
		'hh_10min',
		'hh_15min',
		'hh_cared',
		'hh_visited_30d',
		'hh_visited_90d',
		'hh_in_blind_spots',
		'requests',
		'requests_open',
		'requests_overdue'
	],
	// a share or score and the households it is a share of give away the count
	derived: {
		share_5min: ['households', 'hh_5min'],
		share_10min: ['households', 'hh_10min'],
		share_15min: ['households', 'hh_15min'],
		service_score: ['households', 'hh_15min'],
		work_score: ['households', 'hh_cared'],
		share_visited_30d: ['households', 'hh_visited_30d'],
		share_visited_90d: ['households', 'hh_visited_90d'],
		// a mean over one or two requests is their own time
		response_hours: ['requests'],
		resolution_hours: ['requests']
	}
} as const satisfies CellRule<AreaKey, AreaKey>;

type AreaWithheld = (typeof AREA_COVERAGE_CELLS.counts)[number] | keyof typeof AREA_COVERAGE_CELLS.derived;
export type ShownAreaCoverageRow = Withheld<AreaCoverageRow, AreaWithheld>;

export const BLIND_SPOT_CELLS = { counts: ['households'] } as const satisfies CellRule<keyof BlindSpotRow & string>;
export type ShownBlindSpotRow = Withheld<BlindSpotRow, 'households'>;

export interface WhatIfCommunity {
	code: string;
	households: number;
	/** households within each circle now */
	before: [number, number, number];
	/** households newly within each circle with the station */
	newly: [number, number, number];
}

export interface WhatIfResult {
	lon: number;
	lat: number;
	/** straight metres from the point to the road it joins */
	access_m: number;
	circles: [number, number, number];
	newly: [number, number, number];
	communities: WhatIfCommunity[];
	/** GeoJSON text of the reach of each circle (null when the station is off the network) */
	reach: (string | null)[];
}

export interface Suggestion {
	key: string;
	kind: 'node' | 'building' | 'point';
	lon: number;
	lat: number;
	label?: string;
	pinned: boolean;
	/** households newly within the circle thanks to this site, after the ones before it */
	gain: number;
	cumulative: number;
}

// ---- the answers' contract (contract.ts): what the coverage routes send, checked on both sides ----

/** what every coverage answer says of its figures (src/lib/server/coverage/respond.ts) */
export const coverageMetaSchema = v.object({
	/** every write up to this data version is in the figures */
	computed_version: v.nullable(count),
	/** when they were computed, ISO 8601 */
	computed_at: v.nullable(v.string()),
	/** newer figures are being computed */
	updating: v.boolean()
});
export type CoverageMeta = v.InferOutput<typeof coverageMetaSchema>;

const share = v.nullable(v.number());
export const shownAreaCoverageRow = agrees<ShownAreaCoverageRow>()(
	v.object({
		code: v.string(),
		name: v.string(),
		level: v.picklist(AREA_LEVELS),
		households: shownCount,
		hh_5min: shownCount,
		hh_10min: shownCount,
		hh_15min: shownCount,
		share_5min: share,
		share_10min: share,
		share_15min: share,
		hh_cared: shownCount,
		// visit coverage (issue 11 part 2, sql/015; added by the visits work)
		hh_visited_30d: shownCount,
		share_visited_30d: share,
		hh_visited_90d: shownCount,
		share_visited_90d: share,
		grids: count,
		grids_with_branch: count,
		member_buildings: count,
		member_buildings_covered: count,
		key_buildings: count,
		key_buildings_covered: count,
		orgs: count,
		orgs_with_secretary: count,
		blind_spots: count,
		hh_in_blind_spots: shownCount,
		service_score: nullableNumber,
		organisation_score: nullableNumber,
		work_score: nullableNumber,
		coverage_index: nullableNumber,
		rank: v.nullable(count),
		rank_of: v.nullable(count),
		rectify: v.boolean(),
		requests: shownCount,
		requests_open: shownCount,
		requests_overdue: shownCount,
		response_hours: nullableNumber,
		resolution_hours: nullableNumber,
		suppressed
	})
);

export const shownBlindSpotRow = agrees<ShownBlindSpotRow>()(
	v.object({
		id: count,
		grid_code: v.string(),
		grid_name: v.string(),
		community_code: v.string(),
		households: shownCount,
		buildings: count,
		gap_kinds: v.array(v.string()),
		gap_rules: v.array(v.string()),
		building_ids: v.array(count),
		geojson: v.optional(v.string()),
		lon: v.number(),
		lat: v.number(),
		suppressed
	})
);

/** a rule's count in an area: the objects it flags and the households they touch */
export const gapCount = v.object({
	rule: v.string(),
	objects: shownCount,
	households: shownCount,
	suppressed,
	kind: v.string(),
	label: localized
});
export type GapCount = v.InferOutput<typeof gapCount>;

/** GET /api/coverage/area/<code> */
export const areaCoverageAnswer = v.object({
	...coverageMetaSchema.entries,
	run: v.nullable(v.object({ data_version: count, computed_at: jsonTime })),
	area: shownAreaCoverageRow,
	gaps: v.array(gapCount),
	formula: localized
});
export type AreaCoverageAnswer = v.InferOutput<typeof areaCoverageAnswer>;

/** GET /api/coverage/rankings (JSON) */
export const rankingsAnswer = v.object({
	...coverageMetaSchema.entries,
	level: v.picklist(AREA_LEVELS),
	within: v.string(),
	/** one page, by rank */
	rows: v.array(shownAreaCoverageRow),
	/** how many areas of the level there are in all, and where the page starts */
	total: count,
	limit: count,
	offset: count
});

/** GET /api/coverage/blind-spots (JSON) */
export const blindSpotsAnswer = v.object({ ...coverageMetaSchema.entries, within: v.string(), rows: v.array(shownBlindSpotRow) });

/** one object a rule flags; `detail` says what it is (a name or an address, ids only for viewers who see persons) */
export const gapRow = v.object({
	rule: v.string(),
	object_id: v.string(),
	area_code: v.string(),
	households: shownCount,
	detail: v.record(v.string(), v.unknown()),
	suppressed
});
export type GapRow = v.InferOutput<typeof gapRow>;

/** GET /api/coverage/gaps (JSON): one page of a rule's objects */
export const gapsAnswer = v.object({
	...coverageMetaSchema.entries,
	rule: v.string(),
	within: v.string(),
	label: localized,
	rows: v.array(gapRow),
	total: count,
	limit: count,
	offset: count
});
export type GapsAnswer = v.InferOutput<typeof gapsAnswer>;

/** GET /api/coverage/organisations (JSON) */
export const orgRankingsAnswer = v.object({
	...coverageMetaSchema.entries,
	within: v.string(),
	rows: v.array(
		v.object({
			org_id: count,
			kind: v.string(),
			name: v.string(),
			area_code: v.string(),
			secretary: v.boolean(),
			service_score: nullableNumber,
			organisation_score: nullableNumber,
			work_score: nullableNumber,
			coverage_index: nullableNumber,
			rank: v.nullable(count),
			rank_of: v.nullable(count),
			rectify: v.boolean()
		})
	)
});
export type OrgRankingRow = v.InferOutput<typeof orgRankingsAnswer>['rows'][number];

/** households per circle (5, 10, 15 minutes) */
const threeCounts = v.pipe(v.array(shownCount), v.length(3));
/** POST /api/coverage/whatif: a hypothetical station (counts withheld as small cells where the viewer sees no persons) */
export const whatIfAnswer = v.object({
	...coverageMetaSchema.entries,
	lon: v.number(),
	lat: v.number(),
	/** straight metres from the point to the road it joins; null when it joins none */
	access_m: nullableNumber,
	circles: v.tuple([v.number(), v.number(), v.number()]),
	newly: threeCounts,
	communities: v.array(v.object({ code: v.string(), households: shownCount, before: threeCounts, newly: threeCounts, suppressed })),
	reach: v.array(v.nullable(v.string())),
	suppressed
});
export type WhatIfAnswer = v.InferOutput<typeof whatIfAnswer>;

export const suggestionSchema = v.object({
	key: v.string(),
	kind: v.picklist(['node', 'building', 'point']),
	lon: v.number(),
	lat: v.number(),
	label: v.optional(v.string()),
	pinned: v.boolean(),
	gain: shownCount,
	cumulative: shownCount,
	suppressed
});
export type ShownSuggestion = v.InferOutput<typeof suggestionSchema>;

/** GET /api/coverage/suggest (JSON) */
export const suggestAnswer = v.object({
	...coverageMetaSchema.entries,
	within: v.string(),
	k: count,
	circle: v.picklist([1, 2, 3]),
	suggestions: v.array(suggestionSchema),
	candidates: count,
	demand_households: shownCount,
	partial: v.boolean(),
	optimal: v.boolean()
});
export type SuggestAnswer = v.InferOutput<typeof suggestAnswer>;

/** GET /api/coverage/reach/<centre>: each circle's reach as a GeoJSON feature */
export const reachAnswer = v.object({
	...coverageMetaSchema.entries,
	type: v.literal('FeatureCollection'),
	features: v.array(
		v.object({
			type: v.literal('Feature'),
			properties: v.object({ centre_id: count, circle: count, threshold_m: v.number() }),
			geometry: v.looseObject({ type: v.string() })
		})
	)
});
