// The party organisations: district committee → street committees (街道大工委) → community /
// village committees → grid branches (most grids, not all) → building groups (many buildings
// with ≥ 3 members, not all), plus office-building branches (楼宇党支部), liaison stations
// (党员联络站) and industrial-park branches. Members are placed in them; secretaries are set on
// most. The gaps are planted here: grids without a branch, office towers and parks without any
// organisation, buildings with members but no group, empty secretary seats.
import type { Rng } from './random.ts';
import type { ScaleSpec } from './scales.ts';
import type { Partition, AreaPlan } from './areas.ts';
import type { BuildingPlan } from './buildings.ts';
import type { Households, Members } from './people.ts';
import { addMember } from './people.ts';

export type OrgKind =
	| 'district_committee'
	| 'street_committee'
	| 'community_committee'
	| 'village_committee'
	| 'grid_branch'
	| 'building_group'
	| 'office_branch'
	| 'liaison_station'
	| 'park_branch';

export interface OrgPlan {
	id: number;
	kind: OrgKind;
	name: string;
	parent: number | null;
	area: string | null;
	building: number | null;
	secretary: number | null;
}

// chance that a grid has its branch, by what the grid mostly is
const BRANCH_CHANCE = { residential: 0.93, village: 0.9, business: 0.7, park: 0.75, campus: 0.85, green: 0.6 };

export function generateOrgs(
	spec: ScaleSpec,
	part: Partition,
	buildings: BuildingPlan[],
	h: Households,
	m: Members,
	parks: { name: string; office: BuildingPlan | null; gridCode: string }[],
	rng: Rng
): OrgPlan[] {
	const orgs: OrgPlan[] = [];
	const byArea = new Map<string, number>();
	const add = (o: Omit<OrgPlan, 'id' | 'secretary'>) => {
		const org: OrgPlan = { ...o, id: orgs.length + 1, secretary: null };
		orgs.push(org);
		if (o.area && o.kind !== 'park_branch') byArea.set(o.area, org.id);
		return org;
	};
	const root = add({
		kind: 'district_committee',
		name: `中共${spec.cityName}${spec.districtName}委员会`,
		parent: null,
		area: spec.districtCode,
		building: null
	});
	for (const s of part.streets) add({ kind: 'street_committee', name: `中共${s.name}大工委`, parent: root.id, area: s.code, building: null });
	for (const c of part.communities)
		add({
			kind: c.kind === 'village' ? 'village_committee' : 'community_committee',
			name: c.kind === 'village' ? `中共${c.name}总支部委员会` : `中共${c.name}委员会`,
			parent: byArea.get(c.parent!)!,
			area: c.code,
			building: null
		});

	// grid branches: most grids, not all (and never all: at least one grid goes without)
	const gridBuildings = new Map<string, BuildingPlan[]>();
	for (const b of buildings) {
		let list = gridBuildings.get(b.gridCode);
		if (!list) gridBuildings.set(b.gridCode, (list = []));
		list.push(b);
	}
	const withBranch = part.grids.map((g) => rng.chance(BRANCH_CHANCE[g.gridKind ?? 'residential']));
	if (withBranch.every(Boolean)) withBranch[rng.int(0, withBranch.length - 1)] = false;
	part.grids.forEach((g: AreaPlan, k) => {
		if (!withBranch[k]) return;
		const seat = (gridBuildings.get(g.code) ?? []).find((b) => b.kind === 'public' || b.type === 'ancillary');
		add({ kind: 'grid_branch', name: `${g.name}党支部`, parent: byArea.get(g.parent!)!, area: g.code, building: seat?.id ?? null });
	});

	// office towers: a branch, a liaison station, or nothing (at least one goes without)
	const streetOf = (b: BuildingPlan) => byArea.get(b.gridCode.slice(0, 9))!;
	const offices = buildings.filter((b) => b.type === 'office');
	const officeOrg = new Map<number, number>(); // building id → branch that members belong to
	const fate = offices.map(() => rng.weighted([0.55, 0.15, 0.3]));
	if (offices.length && !fate.includes(2)) fate[rng.int(0, fate.length - 1)] = 2;
	offices.forEach((b, k) => {
		if (fate[k] === 0) officeOrg.set(b.id, add({ kind: 'office_branch', name: `${b.name}党支部`, parent: streetOf(b), area: null, building: b.id }).id);
		else if (fate[k] === 1) add({ kind: 'liaison_station', name: `${b.name}党员联络站`, parent: streetOf(b), area: null, building: b.id });
	});
	// industrial and creative parks: a park branch in most, nothing in some
	const parkFate = parks.map(() => rng.chance(0.65));
	if (parks.length && parkFate.every(Boolean)) parkFate[rng.int(0, parks.length - 1)] = false;
	parks.forEach((p, k) => {
		if (!parkFate[k]) return;
		const org = add({
			kind: 'park_branch',
			name: `${p.name}党支部`,
			parent: byArea.get(p.gridCode.slice(0, 9))!,
			area: p.gridCode,
			building: p.office?.id ?? null
		});
		if (p.office) officeOrg.set(p.office.id, org.id);
	});

	// members who live elsewhere and belong to a branch where they work
	const branchBuildings = [...officeOrg.keys()].sort((a, b) => a - b);
	const buildingById = (id: number) => buildings[id - 1];
	const workers = Math.round(spec.members * 0.06);
	for (let k = 0; k < workers && branchBuildings.length; k++) {
		const b = rng.pick(branchBuildings);
		const id = addMember(m, rng, 0, b, b);
		m.org[id - 1] = officeOrg.get(b)!;
	}
	// residents who work in a tower with a branch belong to that branch and report to their community
	for (let id = 1; id <= m.count; id++) {
		const w = m.workplace[id - 1];
		if (w && m.household[id - 1] && officeOrg.has(w) && rng.chance(0.6)) m.org[id - 1] = officeOrg.get(w)!;
	}

	// building groups: many residential buildings with ≥ 3 resident members, not all
	const residentMembers = new Map<number, number>();
	for (let id = 1; id <= m.count; id++) {
		if (m.org[id - 1] || !m.household[id - 1]) continue;
		const b = h.building[m.household[id - 1] - 1];
		residentMembers.set(b, (residentMembers.get(b) ?? 0) + 1);
	}
	const eligible = [...residentMembers.entries()]
		.filter(([b, n]) => n >= 3 && buildingById(b).kind === 'residential')
		.map(([b, n]) => ({ b, score: n * rng.range(0.4, 1.6) }))
		.sort((x, y) => y.score - x.score || x.b - y.b);
	const room = Math.max(0, spec.orgs - orgs.length);
	const groups = Math.min(room, Math.floor(eligible.length * 0.85), Math.max(0, eligible.length - 1));
	const groupOf = new Map<number, number>();
	for (const { b } of eligible.slice(0, groups).sort((x, y) => x.b - y.b)) {
		const bp = buildingById(b);
		const parent = byArea.get(bp.gridCode) ?? byArea.get(bp.gridCode.slice(0, 12))!;
		groupOf.set(b, add({ kind: 'building_group', name: `${bp.name ?? bp.address}党小组`, parent, area: null, building: b }).id);
	}

	// everyone else: their building's group, else their grid's branch, else their community's committee
	for (let id = 1; id <= m.count; id++) {
		if (m.org[id - 1]) continue;
		const hh = m.household[id - 1];
		const b = buildingById(hh ? h.building[hh - 1] : m.building[id - 1]);
		m.org[id - 1] = groupOf.get(b.id) ?? byArea.get(b.gridCode) ?? byArea.get(b.gridCode.slice(0, 12))!;
	}

	// secretaries: from the org's own members, committees from members in their area
	const membersOf = new Map<number, number[]>();
	const inArea = new Map<string, number[]>();
	for (let id = 1; id <= m.count; id++) {
		const o = m.org[id - 1];
		let list = membersOf.get(o);
		if (!list) membersOf.set(o, (list = []));
		list.push(id);
		const code = buildingById(m.building[id - 1]).gridCode;
		for (const len of [6, 9, 12]) {
			const key = code.slice(0, len);
			let l2 = inArea.get(key);
			if (!l2) inArea.set(key, (l2 = []));
			l2.push(id);
		}
	}
	const vacancy: Record<OrgKind, number> = {
		district_committee: 0,
		street_committee: 0.02,
		community_committee: 0.04,
		village_committee: 0.08,
		grid_branch: 0.1,
		building_group: 0.12,
		office_branch: 0.1,
		liaison_station: 0.35,
		park_branch: 0.1
	};
	const used = new Set<number>();
	for (const o of orgs) {
		if (rng.chance(vacancy[o.kind])) continue;
		const own = (membersOf.get(o.id) ?? []).filter((id) => m.status[id - 1] === 'formal' && !used.has(id));
		const pool = own.length
			? own
			: (o.area && o.area.length <= 12 ? (inArea.get(o.area) ?? []) : []).filter((id) => m.status[id - 1] === 'formal' && !used.has(id));
		if (!pool.length) continue;
		const id = rng.pick(pool);
		used.add(id);
		o.secretary = id;
	}
	return orgs;
}
