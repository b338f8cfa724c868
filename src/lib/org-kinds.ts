// Names of the kinds of party organisation (sql/003), for panels and legends.
import type { Locale } from '$lib/i18n';

export const ORG_KIND_LABELS: Record<string, Record<Locale, string>> = {
	district_committee: { 'zh-CN': '区委', en: 'District committee' },
	street_committee: { 'zh-CN': '街道大工委', en: 'Subdistrict working committee' },
	community_committee: { 'zh-CN': '社区大党委', en: 'Community party committee' },
	village_committee: { 'zh-CN': '村党组织', en: 'Village party organisation' },
	grid_branch: { 'zh-CN': '网格党支部', en: 'Grid party branch' },
	building_group: { 'zh-CN': '楼栋党小组', en: 'Building party group' },
	office_branch: { 'zh-CN': '楼宇党支部', en: 'Office-building branch' },
	liaison_station: { 'zh-CN': '党员联络站', en: 'Liaison station' },
	park_branch: { 'zh-CN': '园区党支部', en: 'Park branch' }
};
