// Small-cell suppression for the coverage results (store.ts rows) — panels, JSON and exports alike:
// which of their fields count households, and which are computed from those counts.
import type { AreaCoverageRow, BlindSpotRow } from '../db/queries/coverage.ts';
import { suppressRows, suppressSmallCells, type CellRule, type CountAudience, type Withheld } from './small-cells.ts';

type AreaKey = keyof AreaCoverageRow & string;

export const AREA_COVERAGE_CELLS = {
	counts: ['households', 'hh_5min', 'hh_10min', 'hh_15min', 'hh_cared', 'hh_in_blind_spots'],
	// a share or score and the households it is a share of give away the count
	derived: {
		share_5min: ['households', 'hh_5min'],
		share_10min: ['households', 'hh_10min'],
		share_15min: ['households', 'hh_15min'],
		service_score: ['households', 'hh_15min'],
		work_score: ['households', 'hh_cared']
	}
} as const satisfies CellRule<AreaKey, AreaKey>;

type AreaWithheld = (typeof AREA_COVERAGE_CELLS.counts)[number] | keyof typeof AREA_COVERAGE_CELLS.derived;
export type ShownAreaCoverageRow = Withheld<AreaCoverageRow, AreaWithheld>;

export const BLIND_SPOT_CELLS = { counts: ['households'] } as const satisfies CellRule<keyof BlindSpotRow & string>;
export type ShownBlindSpotRow = Withheld<BlindSpotRow, 'households'>;

export function areaCoverageFor(row: AreaCoverageRow, audience: CountAudience): ShownAreaCoverageRow {
	return suppressSmallCells(row, AREA_COVERAGE_CELLS, audience);
}

export function areaCoverageRowsFor(rows: readonly AreaCoverageRow[], audience: CountAudience): ShownAreaCoverageRow[] {
	return suppressRows(rows, AREA_COVERAGE_CELLS, audience);
}

export function blindSpotsFor(rows: readonly BlindSpotRow[], audience: CountAudience): ShownBlindSpotRow[] {
	return suppressRows(rows, BLIND_SPOT_CELLS, audience);
}
