// zh-CN first, English second. Keys are grouped by screen; a missing English string falls back
// to Chinese rather than to the key.
export type Locale = 'zh-CN' | 'en';

const zh = {
	app_title: '基层一张图',
	app_subtitle: '党建引领 · 网格治理',
	level_district: '区',
	level_street: '街道',
	level_community: '社区',
	level_village: '村',
	level_grid: '网格',
	level_building: '楼栋',
	streets: '街道',
	communities: '社区',
	villages: '村',
	grids: '网格',
	buildings: '楼栋',
	households: '住户',
	residents: '居民',
	members: '党员',
	organisations: '党组织',
	service_centres: '党群服务阵地',
	loading: '正在加载…',
	no_data: '尚未加载数据。运行 npm run seed -- --scale district 生成示范区。',
	load_error: '加载失败',
	children: '下级区域',
	language: 'English',
	organisation: '党组织',
	secretary: '书记',
	seat_empty: '空缺',
	no_organisation: '未建立党组织（覆盖空白）',
	figures: '基本情况',
	floors: '层',
	units: '个单元',
	members_working: '在此工作的党员',
	central_households: '党员中心户',
	layers: '图层',
	legend: '图例',
	indicator: '专题指标',
	colour_by: '楼栋着色',
	colour_kind: '按类型',
	colour_coverage: '按党组织覆盖',
	search_placeholder: '搜索区域、楼栋地址、党组织',
	search_none: '没有匹配的结果',
	type_area: '区域',
	type_building: '楼栋',
	type_organisation: '党组织',
	not_found: '未找到所选对象'
} as const;

export type MessageKey = keyof typeof zh;

const en: Partial<Record<MessageKey, string>> = {
	app_title: 'Jiceng Atlas',
	app_subtitle: 'Party building · grid governance',
	level_district: 'District',
	level_street: 'Subdistrict',
	level_community: 'Community',
	level_village: 'Village',
	level_grid: 'Grid',
	level_building: 'Building',
	streets: 'Subdistricts',
	communities: 'Communities',
	villages: 'Villages',
	grids: 'Grids',
	buildings: 'Buildings',
	households: 'Households',
	residents: 'Residents',
	members: 'Party members',
	organisations: 'Party organisations',
	service_centres: 'Service centres',
	loading: 'Loading…',
	no_data: 'No data loaded yet. Run npm run seed -- --scale district to build the demo district.',
	load_error: 'Failed to load',
	children: 'Sub-areas',
	language: '中文',
	organisation: 'Party organisation',
	secretary: 'Secretary',
	seat_empty: 'vacant',
	no_organisation: 'No party organisation (coverage gap)',
	figures: 'Key figures',
	floors: ' floors',
	units: ' units',
	members_working: 'Members working here',
	central_households: 'Central households',
	layers: 'Layers',
	legend: 'Legend',
	indicator: 'Indicator',
	colour_by: 'Colour buildings',
	colour_kind: 'by kind',
	colour_coverage: 'by organisation coverage',
	search_placeholder: 'Search areas, addresses, organisations',
	search_none: 'No matches',
	type_area: 'Area',
	type_building: 'Building',
	type_organisation: 'Organisation',
	not_found: 'Nothing selected'
};

export function translate(locale: Locale, key: MessageKey): string {
	return (locale === 'en' ? en[key] : undefined) ?? zh[key];
}

export function formatCount(locale: Locale, n: number): string {
	return new Intl.NumberFormat(locale).format(n);
}
