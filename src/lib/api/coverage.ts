// The coverage answers as the browser receives them: rows of the coverage results, what a viewer
// who sees no persons gets of them, what-if and suggestion results. The server's query functions
// and the panel both take these types from here, so the two cannot drift apart.
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
	counts: ['households', 'hh_5min', 'hh_10min', 'hh_15min', 'hh_cared', 'hh_visited_30d', 'hh_visited_90d', 'hh_in_blind_spots'],
	// a share or score and the households it is a share of give away the count
	derived: {
		share_5min: ['households', 'hh_5min'],
		share_10min: ['households', 'hh_10min'],
		share_15min: ['households', 'hh_15min'],
		service_score: ['households', 'hh_15min'],
		work_score: ['households', 'hh_cared'],
		share_visited_30d: ['households', 'hh_visited_30d'],
		share_visited_90d: ['households', 'hh_visited_90d']
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
	circles: readonly [number, number, number];
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
