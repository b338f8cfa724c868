// Areas as the browser receives them: the four levels, a reference to an area, a breadcrumb step.

export const AREA_LEVELS = ['district', 'street', 'community', 'grid'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export interface AreaRef {
	code: string;
	name: string;
	level: AreaLevel;
	kind: 'community' | 'village' | null;
}

/** A step of the breadcrumb; steps above the caller's scope are shown but lead nowhere. */
export interface BreadcrumbStep extends AreaRef {
	in_scope: boolean;
}

/** The figures of one area, as area_stats (sql/005) holds them (db/queries/areas.ts checks the two agree). */
export interface AreaFigures {
	area_km2: number;
	streets: number;
	communities: number;
	villages: number;
	grids: number;
	grids_with_branch: number;
	buildings: number;
	households: number;
	residents: number;
	members: number;
	members_working: number;
	member_buildings: number;
	member_buildings_covered: number;
	organisations: number;
	service_centres: number;
}

export type AreaChild = AreaRef & Pick<AreaFigures, 'households' | 'members' | 'grids' | 'grids_with_branch'>;

export interface AreaSummary extends AreaRef {
	breadcrumb: BreadcrumbStep[];
	figures: AreaFigures;
	bbox: [number, number, number, number];
	children: AreaChild[];
}
