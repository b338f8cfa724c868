// The roles, each bound to one node of the hierarchy, and what each may do.
// 三员分立: system_admin (accounts), security_admin (roles, grants, locks, screens) and auditor
// (the audit log) are separate, and none of them sees personal data.

export const ROLES = [
	'district_admin',
	'street_secretary',
	'community_secretary',
	'grid_leader',
	'planner',
	'auditor',
	'system_admin',
	'security_admin'
] as const;
export type Role = (typeof ROLES)[number];
/** the big screen is not an account: a kiosk token with this role */
export type Principal = Role | 'display';

export function isRole(value: string): value is Role {
	return (ROLES as readonly string[]).includes(value);
}

type Level = 'district' | 'street' | 'community' | 'grid';

export interface RoleRules {
	label: { 'zh-CN': string; en: string };
	/** the level of the area the account is bound to; null: any level */
	level: Level | null;
	/** sees the map, panels and tiles of their area */
	map: boolean;
	/** sees persons (masked unless `unmasked`) at all */
	persons: boolean;
	/** sees persons of their own area unmasked (the member's own grid leader and secretaries above) */
	unmasked: boolean;
	audit: boolean;
	manageAccounts: boolean;
	managePermissions: boolean;
	analyses: boolean;
}

export const ROLE_RULES: Record<Principal, RoleRules> = {
	district_admin: {
		label: { 'zh-CN': '区级管理员', en: 'District administrator' },
		level: 'district',
		map: true,
		persons: true,
		unmasked: true,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: true
	},
	street_secretary: {
		label: { 'zh-CN': '街道书记', en: 'Subdistrict secretary' },
		level: 'street',
		map: true,
		persons: true,
		unmasked: true,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: true
	},
	community_secretary: {
		label: { 'zh-CN': '社区书记', en: 'Community secretary' },
		level: 'community',
		map: true,
		persons: true,
		unmasked: true,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: true
	},
	grid_leader: {
		label: { 'zh-CN': '网格长', en: 'Grid leader' },
		level: 'grid',
		map: true,
		persons: true,
		unmasked: true,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: false
	},
	planner: {
		label: { 'zh-CN': '规划分析员', en: 'Planner' },
		level: null,
		map: true,
		persons: false,
		unmasked: false,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: true
	},
	auditor: {
		label: { 'zh-CN': '安全审计员', en: 'Auditor' },
		level: 'district',
		map: false,
		persons: false,
		unmasked: false,
		audit: true,
		manageAccounts: false,
		managePermissions: false,
		analyses: false
	},
	system_admin: {
		label: { 'zh-CN': '系统管理员', en: 'System administrator' },
		level: 'district',
		map: false,
		persons: false,
		unmasked: false,
		audit: false,
		manageAccounts: true,
		managePermissions: false,
		analyses: false
	},
	security_admin: {
		label: { 'zh-CN': '安全管理员', en: 'Security administrator' },
		level: 'district',
		map: false,
		persons: false,
		unmasked: false,
		audit: false,
		manageAccounts: false,
		managePermissions: true,
		analyses: false
	},
	display: {
		label: { 'zh-CN': '大屏展示', en: 'Display' },
		level: null,
		map: true,
		persons: false,
		unmasked: false,
		audit: false,
		manageAccounts: false,
		managePermissions: false,
		analyses: false
	}
};
