// What the side panel shows for a selection: an area (by code) or a building (`b:<id>`),
// always within the viewer's scope. A viewer who sees no persons gets small counts withheld
// (src/lib/server/privacy/small-cells.ts): every JSON, page and screen reads its panel from here.
import { AREA_CODE, ROW_ID } from '../../../api/inputs.ts';
import type { Scoped } from '../scoped.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { suppressRows, suppressSmallCells } from '../../privacy/small-cells.ts';
import { areaSummary, scopeRoot } from './areas.ts';
import { buildingSummary } from './buildings.ts';
import { areaOrganisation, buildingOrganisations } from './organisations.ts';
import {
	AREA_CELLS,
	AREA_CHILD_CELLS,
	BUILDING_CELLS,
	type AreaSelection,
	type AreaSelectionChild,
	type AreaSelectionFigures,
	type BuildingSelection,
	type BuildingSelectionFigures,
	type Selection
} from '../../../api/selection.ts';

// the withheld cells and the shapes of a selection are part of the contract (src/lib/api/selection.ts)
export { AREA_CELLS, AREA_CHILD_CELLS, BUILDING_CELLS };
export type { AreaSelection, AreaSelectionChild, AreaSelectionFigures, BuildingSelection, BuildingSelectionFigures, Selection };

export const SELECTION_PATTERN = new RegExp(`^(${AREA_CODE.source.slice(1, -1)}|b:${ROW_ID.source.slice(1, -1)})$`);

/** The selection's panel, the top of the viewer's area when `sel` is empty; undefined when it names nothing they may see. */
export async function selectionSummary(trx: Scoped, sel: string | null, viewer: Viewer): Promise<Selection | undefined> {
	if (!sel) {
		const root = await scopeRoot(trx);
		return root ? selectionSummary(trx, root.code, viewer) : undefined;
	}
	if (!SELECTION_PATTERN.test(sel)) return undefined;
	if (sel.startsWith('b:')) {
		const id = Number(sel.slice(2));
		const building = await buildingSummary(trx, id);
		return (
			building && {
				type: 'building',
				...building,
				figures: suppressSmallCells(building.figures, BUILDING_CELLS, viewer),
				organisations: await buildingOrganisations(trx, id, viewer)
			}
		);
	}
	const area = await areaSummary(trx, sel);
	return (
		area && {
			type: 'area',
			...area,
			figures: suppressSmallCells(area.figures, AREA_CELLS, viewer),
			children: suppressRows(area.children, AREA_CHILD_CELLS, viewer),
			organisation: await areaOrganisation(trx, area.code, area.level, viewer)
		}
	);
}
