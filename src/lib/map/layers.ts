// The data layers a user can switch on, what they draw and how their legend reads (message keys
// of the i18n catalogue).
// Colours live here once, so the map and its legend cannot disagree.
import type { PlainKey } from '../i18n/index.ts';

export const DATA_LAYERS = ['choropleth', 'buildings', 'members', 'requests', 'service_centres', 'blind_spots', 'roads'] as const;
export type DataLayer = (typeof DATA_LAYERS)[number];

export const DEFAULT_LAYERS: DataLayer[] = ['choropleth', 'buildings', 'service_centres', 'roads'];

export const INDICATORS = ['member_density', 'households', 'org_coverage', 'share_15min', 'coverage_index'] as const;
/** indicators read from the coverage results' tiles (coverage_<level>) rather than the area tiles */
export const COVERAGE_INDICATORS: readonly Indicator[] = ['share_15min', 'coverage_index'];
export type Indicator = (typeof INDICATORS)[number];

export const BUILDING_COLOURINGS = ['kind', 'coverage'] as const;
export type BuildingColouring = (typeof BUILDING_COLOURINGS)[number];

type RGB = [number, number, number];

export const LAYER_LABELS: Record<DataLayer, PlainKey> = {
	choropleth: 'layer.choropleth',
	buildings: 'layer.buildings',
	members: 'layer.members',
	requests: 'layer.requests',
	service_centres: 'layer.service_centres',
	blind_spots: 'layer.blind_spots',
	roads: 'layer.roads'
};

export const INDICATOR_LABELS: Record<Indicator, PlainKey> = {
	member_density: 'indicator.member_density',
	households: 'indicator.households',
	org_coverage: 'indicator.org_coverage',
	share_15min: 'indicator.share_15min',
	coverage_index: 'indicator.coverage_index'
};

/** Class breaks per indicator (lower bounds) and a sequential red ramp. */
export const INDICATOR_BREAKS: Record<Indicator, number[]> = {
	member_density: [0, 500, 1000, 2000, 4000, 8000],
	households: [0, 100, 200, 300, 400, 500],
	org_coverage: [0, 0.2, 0.4, 0.6, 0.8, 1],
	share_15min: [0, 0.5, 0.7, 0.8, 0.9, 1],
	coverage_index: [0, 50, 60, 70, 80, 90]
};
export const RAMP: RGB[] = [
	[255, 245, 235],
	[254, 217, 184],
	[253, 174, 107],
	[241, 105, 19],
	[196, 55, 10],
	[127, 29, 29]
];

export function classify(indicator: Indicator, value: number): RGB {
	const breaks = INDICATOR_BREAKS[indicator];
	let i = 0;
	while (i + 1 < breaks.length && value >= breaks[i + 1]) i++;
	return RAMP[i];
}

/** a class break for the legend; `n` formats a count for the locale */
export function formatBreak(indicator: Indicator, value: number, n: (value: number) => string): string {
	return indicator === 'org_coverage' || indicator === 'share_15min' ? `${Math.round(value * 100)}%` : n(value);
}

export const BUILDING_KIND_COLOURS: Record<string, { colour: RGB; label: PlainKey }> = {
	residential: { colour: [222, 184, 135], label: 'building_kind.residential' },
	office: { colour: [96, 125, 170], label: 'building_kind.office' },
	commercial: { colour: [214, 120, 150], label: 'building_kind.commercial' },
	school: { colour: [120, 170, 110], label: 'building_kind.school' },
	public: { colour: [150, 120, 190], label: 'building_kind.public' },
	industrial: { colour: [140, 140, 140], label: 'building_kind.industrial' },
	mixed: { colour: [200, 160, 90], label: 'building_kind.mixed' }
};

export const COVERAGE_COLOURS: Record<'covered' | 'gap' | 'none', { colour: RGB; label: PlainKey }> = {
	covered: { colour: [46, 125, 50], label: 'building_coverage.covered' },
	gap: { colour: [211, 47, 47], label: 'building_coverage.gap' },
	none: { colour: [200, 196, 188], label: 'building_coverage.none' }
};

export const CENTRE_LEVELS: Record<string, { colour: RGB; size: number; label: PlainKey }> = {
	district: { colour: [183, 28, 28], size: 40, label: 'centre.district' },
	street: { colour: [216, 67, 21], size: 34, label: 'centre.street' },
	community: { colour: [239, 108, 0], size: 28, label: 'centre.community' },
	station: { colour: [249, 168, 37], size: 22, label: 'centre.station' }
};

/** A map pin as an SVG data URL: drawn here, so no icon is ever fetched from outside. */
export function pinIcon([r, g, b]: RGB): string {
	const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="64" viewBox="0 0 48 64"><path d="M24 62C24 62 4 38 4 24a20 20 0 0 1 40 0c0 14-20 38-20 38z" fill="rgb(${r},${g},${b})" stroke="#fff" stroke-width="3"/><path d="M24 12l3.5 7.2 7.9 1.1-5.7 5.6 1.3 7.9-7-3.7-7 3.7 1.3-7.9-5.7-5.6 7.9-1.1z" fill="#ffd54f"/></svg>`;
	return `data:image/svg+xml;base64,${btoa(svg)}`;
}

/** Coverage indicators read better the higher they are: draw them low = red, high = pale. */
export function isCoverageIndicator(indicator: Indicator): boolean {
	return COVERAGE_INDICATORS.includes(indicator);
}

export const BLIND_SPOT_COLOUR: RGB = [220, 38, 38];

/** residents' requests (群众诉求): open and on time, past the limit (amber), past twice it (red) */
export const REQUEST_COLOURS: Record<'open' | 'amber' | 'red', { colour: RGB; label: PlainKey }> = {
	open: { colour: [37, 99, 235], label: 'layers.legend.request_open' },
	amber: { colour: [245, 158, 11], label: 'requests.overdue.amber' },
	red: { colour: [220, 38, 38], label: 'requests.overdue.red' }
};

/**
 * How a feature of the requests tiles is drawn: a grid's count (kind grid) by its worst request,
 * a request by its own state. A grid's count left out of the tile (withheld from a viewer who sees
 * no persons: 1 or 2) is there, so it counts as some.
 */
export function requestWorst(p: Record<string, unknown>): 'open' | 'amber' | 'red' {
	if (p.kind === 'grid') {
		const some = (k: string) => p[k] === undefined || p[k] === null || Number(p[k]) > 0;
		return some('red') ? 'red' : some('amber') ? 'amber' : 'open';
	}
	return p.overdue === 'red' ? 'red' : p.overdue === 'amber' ? 'amber' : 'open';
}

/** the words for a request point's codes (tooltips), by `field.code`; a code not listed shows as sent */
export const REQUEST_WORDS: Record<string, PlainKey> = {
	'category.environment': 'screen.request_category.environment',
	'category.facilities': 'screen.request_category.facilities',
	'category.safety': 'screen.request_category.safety',
	'category.neighbours': 'screen.request_category.neighbours',
	'category.welfare': 'screen.request_category.welfare',
	'category.other': 'screen.request_category.other',
	'state.submitted': 'screen.request_status.submitted',
	'state.accepted': 'screen.request_status.accepted',
	'state.in_progress': 'screen.request_status.in_progress',
	'state.resolved': 'screen.request_status.resolved',
	'state.reopened': 'screen.request_status.reopened',
	'urgency.normal': 'requests.urgency.normal',
	'urgency.urgent': 'requests.urgency.urgent',
	'urgency.critical': 'requests.urgency.critical',
	'level.grid': 'requests.level.grid',
	'level.community': 'requests.level.community',
	'level.street': 'requests.level.street'
};

/** a grid's circle grows with its open requests (a withheld count drawn as 2), a request's point is fixed */
export function requestRadius(p: Record<string, unknown>): number {
	if (p.kind !== 'grid') return 6;
	const open = p.open === undefined || p.open === null ? 2 : Number(p.open);
	return Math.min(30, 8 + 4 * Math.sqrt(open));
}
export const WHATIF_COLOURS: RGB[] = [
	[22, 163, 74],
	[37, 99, 235],
	[147, 51, 234]
];
