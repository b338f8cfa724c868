// What the side panel shows for a selection: an area (by code) or a building (`b:<id>`),
// always within the viewer's scope. A viewer who sees no persons gets small counts withheld
// (src/lib/server/privacy/small-cells.ts): every JSON, page and screen reads its panel from here.
import type { Scoped } from '../scoped.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { suppressRows, suppressSmallCells, type CellRule, type Withheld } from '../../privacy/small-cells.ts';
import { areaSummary, scopeRoot, type AreaChild, type AreaFigures, type AreaSummary } from './areas.ts';
import { buildingSummary, type BuildingSummary } from './buildings.ts';
import { areaOrganisation, buildingOrganisations, type LeadingOrganisation } from './organisations.ts';

/** the counts of persons among an area's figures (the others count areas, buildings, organisations) */
export const AREA_CELLS = { counts: ['households', 'residents', 'members', 'members_working'] } as const satisfies CellRule<keyof AreaFigures & string>;
export const AREA_CHILD_CELLS = { counts: ['households', 'members'] } as const satisfies CellRule<keyof AreaChild & string>;
export const BUILDING_CELLS = {
	counts: ['households', 'residents', 'members', 'members_working', 'central_households']
} as const satisfies CellRule<keyof BuildingSummary['figures'] & string>;

export type AreaSelectionFigures = Withheld<AreaFigures, (typeof AREA_CELLS.counts)[number]>;
export type AreaSelectionChild = Withheld<AreaChild, (typeof AREA_CHILD_CELLS.counts)[number]>;
export type BuildingSelectionFigures = Withheld<BuildingSummary['figures'], (typeof BUILDING_CELLS.counts)[number]>;

export type AreaSelection = { type: 'area'; organisation: LeadingOrganisation | null } & Omit<AreaSummary, 'figures' | 'children'> & {
	figures: AreaSelectionFigures;
	children: AreaSelectionChild[];
};
export type BuildingSelection = { type: 'building'; organisations: LeadingOrganisation[] } & Omit<BuildingSummary, 'figures'> & {
	figures: BuildingSelectionFigures;
};
export type Selection = AreaSelection | BuildingSelection;

export const SELECTION_PATTERN = /^(\d{6}(\d{3}){0,3}|b:\d{1,15})$/;

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
		return building && {
			type: 'building', ...building,
			figures: suppressSmallCells(building.figures, BUILDING_CELLS, viewer),
			organisations: await buildingOrganisations(trx, id, viewer)
		};
	}
	const area = await areaSummary(trx, sel);
	return area && {
		type: 'area', ...area,
		figures: suppressSmallCells(area.figures, AREA_CELLS, viewer),
		children: suppressRows(area.children, AREA_CHILD_CELLS, viewer),
		organisation: await areaOrganisation(trx, area.code, area.level, viewer)
	};
}
