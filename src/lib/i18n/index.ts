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
	language: 'English'
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
	language: '中文'
};

export function translate(locale: Locale, key: MessageKey): string {
	return (locale === 'en' ? en[key] : undefined) ?? zh[key];
}

export function formatCount(locale: Locale, n: number): string {
	return new Intl.NumberFormat(locale).format(n);
}
