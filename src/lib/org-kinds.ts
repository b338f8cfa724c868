// Names of the kinds of party organisation (sql/003), for panels and legends: message keys.
import type { PlainKey } from '$lib/i18n';

export const ORG_KIND_LABELS: Record<string, PlainKey> = {
	district_committee: 'org_kind.district_committee',
	street_committee: 'org_kind.street_committee',
	community_committee: 'org_kind.community_committee',
	village_committee: 'org_kind.village_committee',
	grid_branch: 'org_kind.grid_branch',
	building_group: 'org_kind.building_group',
	office_branch: 'org_kind.office_branch',
	liaison_station: 'org_kind.liaison_station',
	park_branch: 'org_kind.park_branch'
};
