// Areas as the browser receives them: the four levels, a reference to an area, a breadcrumb step.
import * as v from 'valibot';
import { agrees } from './contract.ts';

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

// ---- the answers' contract (contract.ts) ----

export const areaRef = agrees<AreaRef>()(
	v.object({ code: v.string(), name: v.string(), level: v.picklist(AREA_LEVELS), kind: v.nullable(v.picklist(['community', 'village'])) })
);
export const breadcrumbStep = agrees<BreadcrumbStep>()(v.object({ ...areaRef.entries, in_scope: v.boolean() }));

/** GET /api/areas/<level>.geojson: the outlines of the caller's areas of a level, each named by its code */
export const areaOutlinesAnswer = v.object({
	type: v.literal('FeatureCollection'),
	features: v.array(v.object({ type: v.literal('Feature'), properties: v.looseObject({ code: v.string() }), geometry: v.looseObject({ type: v.string() }) }))
});
