// Households in the residential buildings, and the party members among their residents.
// Every person is fictional: names from common surnames and given names, phones on a prefix
// no carrier issues (see names.ts).
import type { Rng } from './random.ts';
import type { BuildingPlan, BuildingType } from './buildings.ts';
import { fakePhone, personName } from './names.ts';

export interface Households {
	count: number;
	/** per household (id = index + 1) */
	building: number[];
	unit: number[];
	floor: number[];
	room: string[];
	residents: number[];
	/** first household index of each building (by building index), and one past the last */
	start: number[];
	end: number[];
}

// share of homes standing empty: new compounds more, village houses hardly any
const VACANCY: Partial<Record<BuildingType, number>> = { tower: 0.15, walkup: 0.1, urbanHouse: 0.08, mall: 0.1, villageHouse: 0 };
const RESIDENT_WEIGHTS = [0, 20, 32, 26, 13, 6, 3]; // 1–6 people, mean ≈ 2.6 (2020 census)

export function generateHouseholds(buildings: BuildingPlan[], rng: Rng): Households {
	const h: Households = { count: 0, building: [], unit: [], floor: [], room: [], residents: [], start: [], end: [] };
	const push = (b: BuildingPlan, unit: number, floor: number, room: string) => {
		h.building.push(b.id);
		h.unit.push(unit);
		h.floor.push(floor);
		h.room.push(room);
		h.residents.push(rng.weighted(RESIDENT_WEIGHTS));
	};
	for (const b of buildings) {
		h.start.push(h.building.length);
		const vacancy = VACANCY[b.type] ?? 0.1;
		if (b.capacity > 0) {
			if (b.type === 'villageHouse') {
				for (let k = 1; k <= b.capacity; k++) push(b, 1, 1, String(k));
			} else if (b.type === 'tower' || b.type === 'walkup') {
				for (let u = 1; u <= b.units; u++)
					for (let f = 1; f <= b.floors; f++)
						for (let k = 1; k <= b.homesPerFloor; k++) if (!rng.chance(vacancy)) push(b, u, f, `${f}${String(k).padStart(2, '0')}`);
			} else {
				// urban-village houses and shops with flats above: homes from the first floor up
				let made = 0;
				for (let f = 2; f <= b.floors + 1 && made < b.capacity; f++)
					for (let k = 1; k <= Math.max(1, b.homesPerFloor) && made < b.capacity; k++, made++)
						if (!rng.chance(vacancy)) push(b, 1, Math.min(f, b.floors), `${f}${String(k).padStart(2, '0')}`);
			}
		}
		h.end.push(h.building.length);
	}
	h.count = h.building.length;
	return h;
}

export interface Members {
	count: number;
	name: string[];
	gender: ('male' | 'female')[];
	birthYear: number[];
	phone: string[];
	status: ('formal' | 'probationary')[];
	joinedOn: string[];
	org: number[];
	/** household id or 0 */
	household: number[];
	/** building id or 0 */
	workplace: number[];
	reported: boolean[];
	mobile: boolean[];
	/** building id of the residence or workplace, for placing the member in the hierarchy */
	building: number[];
}

export function emptyMembers(): Members {
	return {
		count: 0,
		name: [],
		gender: [],
		birthYear: [],
		phone: [],
		status: [],
		joinedOn: [],
		org: [],
		household: [],
		workplace: [],
		reported: [],
		mobile: [],
		building: []
	};
}

const pad = (n: number) => String(n).padStart(2, '0');

/** adds one fictional member; returns its id */
export function addMember(m: Members, rng: Rng, household: number, building: number, workplace: number): number {
	const gender = rng.chance(0.71) ? 'male' : 'female'; // about 29% of members are women
	// ages 18–95: many retired members in old estates, working-age in the towers
	const age = [rng.int(20, 35), rng.int(36, 60), rng.int(61, 92)][rng.weighted([0.25, 0.45, 0.3])];
	const birthYear = 2025 - age;
	const probationary = age < 50 && rng.chance(0.08) ? true : rng.chance(0.02);
	let joinYear: number;
	if (probationary) joinYear = 2024 + (rng.chance(0.5) ? 1 : 0);
	else joinYear = Math.min(2023, birthYear + 18 + Math.floor(Math.abs(rng.normal()) * 8));
	const month = probationary && joinYear === 2025 ? rng.int(1, 5) : probationary ? rng.int(7, 12) : rng.int(1, 12);
	m.name.push(personName(rng, gender));
	m.gender.push(gender);
	m.birthYear.push(birthYear);
	m.phone.push(fakePhone(rng));
	m.status.push(probationary ? 'probationary' : 'formal');
	m.joinedOn.push(`${joinYear}-${pad(month)}-${pad(rng.int(1, 28))}`);
	m.org.push(0);
	m.household.push(household);
	m.workplace.push(workplace);
	m.reported.push(workplace > 0 && household > 0 && rng.chance(0.8));
	m.mobile.push(false);
	m.building.push(building);
	return ++m.count;
}

const MEMBER_FACTOR: Partial<Record<BuildingType, number>> = { walkup: 1.6, tower: 0.9, urbanHouse: 0.5, villageHouse: 0.8, mall: 0.6 };

/**
 * Members among the residents: about `target` of them, more in old work-unit estates, fewer in
 * urban villages, and varying building to building. A few per cent are mobile members
 * (流动党员); some work in the district's office towers and report to their community.
 */
export function generateResidentMembers(buildings: BuildingPlan[], h: Households, target: number, offices: number[], rng: Rng): Members {
	const m = emptyMembers();
	const factor = buildings.map((b) => (MEMBER_FACTOR[b.type] ?? 0.7) * Math.exp(rng.normal() * 0.45));
	let weighted = 0;
	for (let i = 0; i < buildings.length; i++) for (let k = h.start[i]; k < h.end[i]; k++) weighted += h.residents[k] * factor[i];
	const p = target / Math.max(1, weighted);
	for (let i = 0; i < buildings.length; i++) {
		const q = Math.min(0.9, p * factor[i]);
		for (let k = h.start[i]; k < h.end[i]; k++) {
			for (let r = 0; r < h.residents[k]; r++) {
				if (!rng.chance(q)) continue;
				const workplace = offices.length && rng.chance(0.07) ? rng.pick(offices) : 0;
				const id = addMember(m, rng, k + 1, buildings[i].id, workplace);
				if (rng.chance(0.03)) m.mobile[id - 1] = true;
			}
		}
	}
	return m;
}

export interface Care {
	/** central household → its member */
	central: { household: number; member: number }[];
	links: { central: number; household: number }[];
	leaders: { role: 'building' | 'unit'; building: number; unit: number | null; name: string; phone: string; member: number | null }[];
}

/**
 * 党员中心户: member households that each look after 10–15 neighbouring households (a few more),
 * leaving many households looked after by nobody; and 楼栋长/单元长 for residential buildings.
 */
export function generateCare(buildings: BuildingPlan[], h: Households, m: Members, gridOf: (b: BuildingPlan) => number, rng: Rng): Care {
	const care: Care = { central: [], links: [], leaders: [] };
	// members by household
	const memberOf = new Map<number, number>();
	const membersIn = new Map<number, number[]>(); // building id → member ids living there
	for (let id = 1; id <= m.count; id++) {
		const hh = m.household[id - 1];
		if (!hh) continue;
		if (!memberOf.has(hh)) memberOf.set(hh, id);
		const b = h.building[hh - 1];
		let list = membersIn.get(b);
		if (!list) membersIn.set(b, (list = []));
		list.push(id);
	}
	// households of each grid, in building/unit/floor order (neighbours are close in this order)
	const byGrid = new Map<number, number[]>();
	for (let i = 0; i < buildings.length; i++) {
		const b = buildings[i];
		if (b.type !== 'tower' && b.type !== 'walkup' && b.type !== 'urbanHouse' && b.type !== 'villageHouse') continue;
		const g = gridOf(b);
		let list = byGrid.get(g);
		if (!list) byGrid.set(g, (list = []));
		for (let k = h.start[i]; k < h.end[i]; k++) list.push(k + 1);
	}
	for (const g of [...byGrid.keys()].sort((a, b) => a - b)) {
		const list = byGrid.get(g)!;
		// some grids have no central households at all; the rest cover 30–90% of their homes
		const coverage = rng.chance(0.15) ? 0 : rng.range(0.3, 0.9);
		const candidates = list.map((hh, pos) => ({ hh, pos })).filter((x) => memberOf.has(x.hh));
		rng.shuffle(candidates);
		const k = Math.min(candidates.length, Math.round((coverage * list.length) / 12.5));
		const chosen = candidates.slice(0, k).sort((a, b) => a.pos - b.pos);
		const taken = new Uint8Array(list.length);
		for (const c of chosen) taken[c.pos] = 1;
		for (const c of chosen) {
			care.central.push({ household: c.hh, member: memberOf.get(c.hh)! });
			const want = rng.chance(0.06) ? rng.int(16, 22) : rng.int(10, 15);
			let got = 0;
			for (let d = 1; got < want && (c.pos - d >= 0 || c.pos + d < list.length); d++) {
				for (const pos of [c.pos + d, c.pos - d]) {
					if (got < want && pos >= 0 && pos < list.length && !taken[pos]) {
						taken[pos] = 1;
						care.links.push({ central: c.hh, household: list[pos] });
						got++;
					}
				}
			}
		}
	}
	// building and unit leaders
	const person = (b: BuildingPlan) => {
		const ms = membersIn.get(b.id);
		if (ms && rng.chance(0.5)) {
			const id = rng.pick(ms);
			return { name: m.name[id - 1], phone: m.phone[id - 1], member: id };
		}
		return { name: personName(rng, rng.chance(0.5) ? 'male' : 'female'), phone: fakePhone(rng), member: null };
	};
	for (const b of buildings) {
		if (b.type !== 'tower' && b.type !== 'walkup' && b.type !== 'urbanHouse') continue;
		if (rng.chance(b.type === 'urbanHouse' ? 0.35 : 0.9)) care.leaders.push({ role: 'building', building: b.id, unit: null, ...person(b) });
		if (b.units >= 2) for (let u = 1; u <= b.units; u++) if (rng.chance(0.8)) care.leaders.push({ role: 'unit', building: b.id, unit: u, ...person(b) });
	}
	return care;
}
