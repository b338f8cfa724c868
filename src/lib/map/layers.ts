// The data layers a user can switch on, what they draw and how their legend reads.
// Colours live here once, so the map and its legend cannot disagree.
import type { Locale } from '$lib/i18n';

export const DATA_LAYERS = ['choropleth', 'buildings', 'members', 'service_centres', 'blind_spots', 'roads'] as const;
export type DataLayer = (typeof DATA_LAYERS)[number];

export const DEFAULT_LAYERS: DataLayer[] = ['choropleth', 'buildings', 'service_centres', 'roads'];

export const INDICATORS = ['member_density', 'households', 'org_coverage', 'share_15min', 'coverage_index'] as const;
/** indicators read from the coverage results' tiles (coverage_<level>) rather than the area tiles */
export const COVERAGE_INDICATORS: readonly Indicator[] = ['share_15min', 'coverage_index'];
export type Indicator = (typeof INDICATORS)[number];

export const BUILDING_COLOURINGS = ['kind', 'coverage'] as const;
export type BuildingColouring = (typeof BUILDING_COLOURINGS)[number];

type RGB = [number, number, number];
type Label = Record<Locale, string>;

export const LAYER_LABELS: Record<DataLayer, Label> = {
	choropleth: { 'zh-CN': '网格/社区专题图', en: 'Grid / community choropleth' },
	buildings: { 'zh-CN': '楼栋（三维）', en: 'Buildings (3D)' },
	members: { 'zh-CN': '党员户分布', en: 'Member households' },
	service_centres: { 'zh-CN': '党群服务阵地', en: 'Service centres' },
	blind_spots: { 'zh-CN': '覆盖盲区', en: 'Blind spots' },
	roads: { 'zh-CN': '道路', en: 'Roads' }
};

export const INDICATOR_LABELS: Record<Indicator, Label> = {
	member_density: { 'zh-CN': '党员密度（人/平方公里）', en: 'Member density (per km²)' },
	households: { 'zh-CN': '住户数', en: 'Households' },
	org_coverage: { 'zh-CN': '网格党支部覆盖率', en: 'Grid branch coverage' },
	share_15min: { 'zh-CN': '15分钟生活圈服务覆盖率', en: 'Households within the 15-minute circle' },
	coverage_index: { 'zh-CN': '覆盖指数', en: 'Coverage index' }
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

export function formatBreak(indicator: Indicator, value: number): string {
	return indicator === 'org_coverage' || indicator === 'share_15min' ? `${Math.round(value * 100)}%` : value.toLocaleString('zh-CN');
}

export const BUILDING_KIND_COLOURS: Record<string, { colour: RGB; label: Label }> = {
	residential: { colour: [222, 184, 135], label: { 'zh-CN': '住宅', en: 'Residential' } },
	office: { colour: [96, 125, 170], label: { 'zh-CN': '商务楼宇', en: 'Office' } },
	commercial: { colour: [214, 120, 150], label: { 'zh-CN': '商业', en: 'Commercial' } },
	school: { colour: [120, 170, 110], label: { 'zh-CN': '学校', en: 'School' } },
	public: { colour: [150, 120, 190], label: { 'zh-CN': '公共建筑', en: 'Public' } },
	industrial: { colour: [140, 140, 140], label: { 'zh-CN': '工业/园区', en: 'Industrial / park' } },
	mixed: { colour: [200, 160, 90], label: { 'zh-CN': '综合', en: 'Mixed use' } }
};

export const COVERAGE_COLOURS: Record<'covered' | 'gap' | 'none', { colour: RGB; label: Label }> = {
	covered: { colour: [46, 125, 50], label: { 'zh-CN': '有党组织覆盖', en: 'Covered by an organisation' } },
	gap: { colour: [211, 47, 47], label: { 'zh-CN': '≥3名党员但未建组织', en: '≥3 members, no organisation' } },
	none: { colour: [200, 196, 188], label: { 'zh-CN': '党员少于3名', en: 'Fewer than 3 members' } }
};

export const CENTRE_LEVELS: Record<string, { colour: RGB; size: number; label: Label }> = {
	district: { colour: [183, 28, 28], size: 40, label: { 'zh-CN': '区级党群服务中心', en: 'District centre' } },
	street: { colour: [216, 67, 21], size: 34, label: { 'zh-CN': '街道党群服务中心', en: 'Subdistrict centre' } },
	community: { colour: [239, 108, 0], size: 28, label: { 'zh-CN': '社区党群服务中心', en: 'Community centre' } },
	station: { colour: [249, 168, 37], size: 22, label: { 'zh-CN': '便民服务站', en: 'Convenience station' } }
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
export const WHATIF_COLOURS: RGB[] = [
	[22, 163, 74],
	[37, 99, 235],
	[147, 51, 234]
];
