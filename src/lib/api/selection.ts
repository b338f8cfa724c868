// What the side panel receives for a selection (an area or a building), after small-cell
// suppression for viewers who see no persons: the query that makes it (db/queries/selection.ts)
// and the panels that show it share these shapes.
import * as v from 'valibot';
import { areaRef, breadcrumbStep, type AreaChild, type AreaFigures, type AreaSummary, type BreadcrumbStep } from './areas.ts';
import { agrees, bbox, count, shownCount, suppressed } from './contract.ts';
import type { CellRule, Withheld } from './withheld.ts';

export interface BuildingSummary {
	id: number;
	name: string | null;
	address: string;
	kind: string;
	floors: number;
	height: number;
	units: number;
	grid_code: string;
	breadcrumb: BreadcrumbStep[];
	bbox: [number, number, number, number];
	figures: { households: number; residents: number; members: number; members_working: number; central_households: number };
}

export interface LeadingOrganisation {
	id: number;
	kind: string;
	name: string;
	secretary_seat: 'filled' | 'empty';
	/** the secretary's name, masked (张*明) unless the viewer sees names; null for viewers who see no persons */
	secretary: string | null;
	/** its members; null (`<3`) when 1 or 2 and the viewer sees no persons, with `suppressed` saying so */
	members: number | null;
	suppressed?: string[];
}

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

// ---- the answers' contract (contract.ts) ----

const leadingOrganisation = agrees<LeadingOrganisation>()(
	v.object({
		id: count,
		kind: v.string(),
		name: v.string(),
		secretary_seat: v.picklist(['filled', 'empty']),
		secretary: v.nullable(v.string()),
		members: shownCount,
		suppressed
	})
);

const areaSelectionFigures = agrees<AreaSelectionFigures>()(
	v.object({
		area_km2: v.number(),
		streets: count,
		communities: count,
		villages: count,
		grids: count,
		grids_with_branch: count,
		buildings: count,
		households: shownCount,
		residents: shownCount,
		members: shownCount,
		members_working: shownCount,
		member_buildings: count,
		member_buildings_covered: count,
		organisations: count,
		service_centres: count,
		suppressed
	})
);
export { areaSelectionFigures as areaSelectionFiguresSchema };

const areaSelectionChild = agrees<AreaSelectionChild>()(
	v.object({ ...areaRef.entries, households: shownCount, members: shownCount, grids: count, grids_with_branch: count, suppressed })
);

const areaSelection = agrees<AreaSelection>()(
	v.object({
		type: v.literal('area'),
		organisation: v.nullable(leadingOrganisation),
		...areaRef.entries,
		breadcrumb: v.array(breadcrumbStep),
		bbox,
		figures: areaSelectionFigures,
		children: v.array(areaSelectionChild)
	})
);

const buildingSelection = agrees<BuildingSelection>()(
	v.object({
		type: v.literal('building'),
		organisations: v.array(leadingOrganisation),
		id: count,
		name: v.nullable(v.string()),
		address: v.string(),
		kind: v.string(),
		floors: count,
		height: v.number(),
		units: count,
		grid_code: v.string(),
		breadcrumb: v.array(breadcrumbStep),
		bbox,
		figures: v.object({
			households: shownCount,
			residents: shownCount,
			members: shownCount,
			members_working: shownCount,
			central_households: shownCount,
			suppressed
		})
	})
);

/** GET /api/buildings/<id>/summary (and what the page's load hands the panel) */
export const selectionAnswer = agrees<Selection>()(v.variant('type', [areaSelection, buildingSelection]));
/** GET /api/areas/<code>/summary: the same, and whether newer figures are being computed */
const updating = { figures_updating: v.boolean() };
export const areaSummaryAnswer = v.variant('type', [
	v.object({ ...areaSelection.entries, ...updating }),
	v.object({ ...buildingSelection.entries, ...updating })
]);
