// Small-cell suppression for the coverage results (store.ts rows) — panels, JSON and exports alike:
// which of their fields count households, and which are computed from those counts.
import {
	AREA_COVERAGE_CELLS,
	BLIND_SPOT_CELLS,
	type AreaCoverageRow,
	type BlindSpotRow,
	type ShownAreaCoverageRow,
	type ShownBlindSpotRow
} from '../../api/coverage.ts';
import { suppressRows, suppressSmallCells, type CountAudience } from './small-cells.ts';

// which fields are withheld is part of the contract (src/lib/api/coverage.ts): the panel knows them too
export { AREA_COVERAGE_CELLS, BLIND_SPOT_CELLS, type ShownAreaCoverageRow, type ShownBlindSpotRow };

export function areaCoverageFor(row: AreaCoverageRow, audience: CountAudience): ShownAreaCoverageRow {
	return suppressSmallCells(row, AREA_COVERAGE_CELLS, audience);
}

export function areaCoverageRowsFor(rows: readonly AreaCoverageRow[], audience: CountAudience): ShownAreaCoverageRow[] {
	return suppressRows(rows, AREA_COVERAGE_CELLS, audience);
}

export function blindSpotsFor(rows: readonly BlindSpotRow[], audience: CountAudience): ShownBlindSpotRow[] {
	return suppressRows(rows, BLIND_SPOT_CELLS, audience);
}
