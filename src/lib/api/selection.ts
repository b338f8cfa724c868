// What the side panel receives for a selection (an area or a building), after small-cell
// suppression for viewers who see no persons: the query that makes it (db/queries/selection.ts)
// and the panels that show it share these shapes.
import type { AreaChild, AreaFigures, AreaSummary, BreadcrumbStep } from './areas.ts';
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
