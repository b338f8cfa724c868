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
