// Buildings per block, by land use: towers in gated compounds, walk-up slabs, dense urban-village
// houses, scattered village houses, office towers, malls, campuses, parks and industrial sheds.
// Footprints are packed into slots of the block's own (u, v) square and mapped onto the block
// bilinearly, with a margin: they never overlap, never leave their block, never touch a road.
import type { Rng } from './random.ts';
import type { Cell, Layout, LandUse } from './layout.ts';
import { bilinear } from './geo.ts';
import {
	COMPOUND_SUFFIXES,
	GREEN_SUFFIXES,
	MARKET_SUFFIXES,
	OFFICE_SUFFIXES,
	OLD_ESTATE_SUFFIXES,
	PARK_SUFFIXES,
	PUBLIC_NAMES,
	SCHOOL_SUFFIXES,
	PlaceNames
} from './names.ts';
import type { ScaleSpec } from './scales.ts';

export type BuildingKind = 'residential' | 'office' | 'commercial' | 'school' | 'public' | 'industrial' | 'mixed';
export type BuildingType =
	| 'tower'
	| 'walkup'
	| 'urbanHouse'
	| 'villageHouse'
	| 'office'
	| 'podium'
	| 'mall'
	| 'teaching'
	| 'gym'
	| 'public'
	| 'communityOffice'
	| 'industrial'
	| 'parkOffice'
	| 'pavilion'
	| 'ancillary';

export interface BuildingPlan {
	id: number;
	cell: number;
	type: BuildingType;
	kind: BuildingKind;
	floors: number;
	height: number;
	units: number;
	homesPerFloor: number;
	/** homes (households when all occupied) */
	capacity: number;
	/** footprint ring in metres, flat [x0, y0, x1, y1, …] */
	xy: number[];
	cx: number;
	cy: number;
	/** the compound, estate, park, campus or village the building belongs to */
	group: string;
	/** its number in the group (栋), 0 when it has none */
	no: number;
	name: string | null;
	/** filled in once areas are cut */
	address: string;
	gridCode: string;
}

export interface BuildingSet {
	buildings: BuildingPlan[];
	/** homes per block, for weighing the area cuts */
	cellCapacity: Float64Array;
	/** name of each industrial park by patch id */
	parkNames: Map<number, string>;
}

type Slot = [number, number, number, number];

/** slots of size ~L×D (metres) in a w×h block, with margin and gaps; rectangles inside each */
function pack(w: number, h: number, L: number, D: number, margin: number, gx: number, gy: number): Slot[] {
	const nx = Math.floor((w - 2 * margin + gx) / (L + gx));
	const ny = Math.floor((h - 2 * margin + gy) / (D + gy));
	const slots: Slot[] = [];
	if (nx < 1 || ny < 1) return slots;
	const sw = (w - 2 * margin) / nx;
	const sh = (h - 2 * margin) / ny;
	for (let b = 0; b < ny; b++) for (let a = 0; a < nx; a++) slots.push([margin + a * sw, margin + b * sh, margin + (a + 1) * sw, margin + (b + 1) * sh]);
	return slots;
}

export function generateBuildings(spec: ScaleSpec, layout: Layout, rng: Rng): BuildingSet {
	const { cells, vx, vy } = layout;
	const names = new PlaceNames(rng, spec.flavour);
	const buildings: BuildingPlan[] = [];
	const cellCapacity = new Float64Array(cells.length);
	const patchName = new Map<number, string>();
	const parkNames = new Map<number, string>();
	const groupName = (c: Cell, make: () => string) => {
		if (c.patch < 0) return make();
		if (!patchName.has(c.patch)) patchName.set(c.patch, make());
		return patchName.get(c.patch)!;
	};
	const patchFirst = new Set(layout.patches.map((p) => p.cells[0]));

	for (const c of cells) {
		const qx = c.v.map((v) => vx[v]);
		const qy = c.v.map((v) => vy[v]);
		let no = 0;
		const add = (
			slot: Slot,
			L: number,
			D: number,
			type: BuildingType,
			kind: BuildingKind,
			floors: number,
			opts: {
				units?: number;
				hpf?: number;
				capacity?: number;
				storey?: number;
				group?: string;
				name?: string | null;
				lShape?: boolean;
				numbered?: boolean;
			} = {}
		) => {
			const [sx0, sy0, sx1, sy1] = slot;
			const Lc = Math.min(L, sx1 - sx0);
			const Dc = Math.min(D, sy1 - sy0);
			// centred in the slot, with some play
			const px = (sx1 - sx0 - Lc) * rng.range(0.2, 0.8);
			const py = (sy1 - sy0 - Dc) * rng.range(0.2, 0.8);
			const x0 = (sx0 + px) / c.w,
				x1 = (sx0 + px + Lc) / c.w;
			const y0 = (sy0 + py) / c.h,
				y1 = (sy0 + py + Dc) / c.h;
			const uv = opts.lShape
				? (() => {
						const xm = x0 + (x1 - x0) * rng.range(0.45, 0.65);
						const ym = y0 + (y1 - y0) * rng.range(0.45, 0.65);
						return [x0, y0, x1, y0, x1, ym, xm, ym, xm, y1, x0, y1];
					})()
				: [x0, y0, x1, y0, x1, y1, x0, y1];
			const xy: number[] = [];
			let sx = 0,
				sy = 0;
			for (let k = 0; k < uv.length; k += 2) {
				const [x, y] = bilinear(qx, qy, uv[k], uv[k + 1]);
				xy.push(x, y);
				sx += x;
				sy += y;
			}
			const units = opts.units ?? 1;
			const hpf = opts.hpf ?? 0;
			const capacity = opts.capacity ?? units * hpf * floors;
			const storey = opts.storey ?? 3.2;
			if (opts.numbered !== false) no++;
			const b: BuildingPlan = {
				id: buildings.length + 1,
				cell: c.idx,
				type,
				kind,
				floors,
				height: Math.round((floors * storey + rng.range(1, 4)) * 10) / 10,
				units,
				homesPerFloor: hpf,
				capacity,
				xy,
				cx: sx / (uv.length / 2),
				cy: sy / (uv.length / 2),
				group: opts.group ?? '',
				no: opts.numbered === false ? 0 : no,
				name: opts.name ?? null,
				address: '',
				gridCode: ''
			};
			buildings.push(b);
			cellCapacity[c.idx] += capacity;
			return b;
		};
		const fill = (use: LandUse) => {
			switch (use) {
				case 'compound': {
					const group = groupName(c, () => names.next(rng.pick(COMPOUND_SUFFIXES)));
					const point = rng.chance(0.25);
					const midRise = rng.chance(0.35);
					const units = point ? 1 : rng.int(2, 3);
					const L = point ? 24 : units * 15 + rng.range(0, 4);
					const D = point ? 24 : rng.range(14, 18);
					const slots = pack(c.w, c.h, L, D, 9, 16, rng.range(24, 34));
					const ancillary = slots.length > 3 ? rng.int(0, slots.length - 1) : -1;
					slots.forEach((s, k) => {
						if (k === ancillary) {
							add(s, rng.range(18, 30), rng.range(10, 16), 'ancillary', rng.chance(0.5) ? 'commercial' : 'public', rng.int(1, 3), {
								group,
								name: `${group}${rng.pick(['会所', '幼儿园', '物业楼', '商业楼'])}`,
								numbered: false
							});
						} else if (rng.chance(0.93)) {
							// 小高层 (11–17 floors) beside high-rise towers (18–33)
							const floors = midRise ? rng.int(11, 17) : rng.int(18, 33);
							const name = `${group}${no + 1}栋`;
							add(s, L, D, 'tower', 'residential', floors, { units, hpf: point ? 4 : rng.chance(0.2) ? 3 : 2, storey: 2.95, group, name });
						}
					});
					break;
				}
				case 'walkup': {
					const group = names.next(rng.pick(OLD_ESTATE_SUFFIXES));
					const units = rng.int(2, 4);
					const L = units * 12.5;
					const slots = pack(c.w, c.h, L, 11.5, 7, 8, rng.range(11, 15));
					for (const s of slots) {
						// now and then a bike shed, boiler room or corner shop where a slab could stand
						if (rng.chance(0.1))
							add(s, rng.range(8, 14), rng.range(5, 8), 'ancillary', rng.chance(0.5) ? 'commercial' : 'public', 1, { group, numbered: false });
						else add(s, L, 11.5, 'walkup', 'residential', rng.int(5, 7), { units, hpf: 2, storey: 2.9, group, name: `${group}${no + 1}栋` });
					}
					break;
				}
				case 'urbanVillage': {
					const group = groupName(c, () => names.next('村'));
					for (const s of pack(c.w, c.h, 11, 11, 5, 2.5, 2.5)) {
						if (rng.chance(0.12)) continue;
						const floors = rng.int(3, 6);
						const hpf = rng.chance(0.35) ? 2 : 1;
						add(s, rng.range(8.5, 11), rng.range(8.5, 11), 'urbanHouse', rng.chance(0.15) ? 'mixed' : 'residential', floors, {
							hpf,
							capacity: Math.max(1, (floors - 1) * hpf),
							group,
							numbered: false
						});
					}
					break;
				}
				case 'village':
				case 'farmland': {
					const p = use === 'village' ? rng.range(0.45, 0.75) : 0.06;
					for (const s of pack(c.w, c.h, 12, 11, 8, 14, 14)) {
						if (!rng.chance(p)) continue;
						const capacity = rng.chance(0.65) ? 1 : rng.chance(0.85) ? 2 : 3;
						add(s, rng.range(9, 13), rng.range(8, 11), 'villageHouse', 'residential', rng.int(1, 3), { capacity, hpf: 1, numbered: false });
					}
					break;
				}
				case 'cbd': {
					const group = '';
					for (const s of pack(c.w, c.h, 42, 32, 10, 20, 20)) {
						if (rng.chance(0.8)) {
							const name = names.next(rng.pick(OFFICE_SUFFIXES));
							add(s, rng.range(34, 50), rng.range(26, 36), 'office', 'office', rng.int(20, 50), { storey: 4.1, group, name });
						} else if (rng.chance(0.7)) {
							add(s, rng.range(40, 60), rng.range(26, 40), 'podium', 'commercial', rng.int(3, 6), {
								storey: 5,
								name: names.next('广场'),
								lShape: rng.chance(0.3)
							});
						}
					}
					break;
				}
				case 'commercial': {
					if (rng.chance(0.5)) {
						// a shopping street: rows of two- to four-storey shops, flats above some
						const group = names.next(rng.pick(['商业街', '步行街', '市场']));
						for (const s of pack(c.w, c.h, 16, 12, 7, 3, 10)) {
							if (rng.chance(0.1)) continue;
							const floors = rng.int(2, 4);
							const mixed = rng.chance(0.3);
							add(s, rng.range(10, 16), rng.range(9, 12), 'mall', mixed ? 'mixed' : 'commercial', floors, {
								capacity: mixed ? floors - 1 : 0,
								hpf: mixed ? 1 : 0,
								storey: 3.5,
								group,
								numbered: false
							});
						}
						break;
					}
					const slots = pack(c.w, c.h, 50, 34, 9, 14, 14);
					slots.forEach((s, k) => {
						if (k > 0 && rng.chance(0.4)) return;
						if (rng.chance(0.35))
							add(s, rng.range(30, 44), rng.range(24, 30), 'office', 'office', rng.int(20, 36), { storey: 4, name: names.next(rng.pick(OFFICE_SUFFIXES)) });
						else
							add(s, rng.range(36, 60), rng.range(24, 40), 'mall', rng.chance(0.2) ? 'mixed' : 'commercial', rng.int(2, 6), {
								storey: 5,
								name: names.next(rng.pick(MARKET_SUFFIXES)),
								lShape: rng.chance(0.25)
							});
					});
					break;
				}
				case 'school': {
					const group = groupName(c, () => `${spec.districtName}${names.next(rng.pick(SCHOOL_SUFFIXES))}`);
					const slots = pack(c.w, c.h, 52, 15, 10, 12, 18);
					slots.forEach((s, k) => {
						if (k === slots.length - 1 && slots.length > 2) add(s, 34, 22, 'gym', 'school', 2, { storey: 5, group, name: `${group}体育馆`, numbered: false });
						else if (rng.chance(0.85))
							add(s, rng.range(40, 56), 15, 'teaching', 'school', rng.int(4, 6), {
								storey: 3.6,
								group,
								name: `${group}${no + 1}号楼`,
								lShape: rng.chance(0.2)
							});
					});
					break;
				}
				case 'public': {
					const slots = pack(c.w, c.h, 36, 26, 9, 14, 14);
					slots.forEach((s, k) => {
						if (k > 0 && rng.chance(0.45)) return;
						const name = `${names.next('')}${rng.pick(PUBLIC_NAMES)}`;
						add(s, rng.range(24, 40), rng.range(18, 30), 'public', 'public', rng.int(3, 14), { storey: 3.8, name, lShape: rng.chance(0.3) });
					});
					break;
				}
				case 'green': {
					const group = groupName(c, () => names.next(rng.pick(GREEN_SUFFIXES)));
					for (const s of pack(c.w, c.h, 16, 12, 15, 40, 40).slice(0, rng.int(0, 2)))
						add(s, rng.range(8, 16), rng.range(6, 12), 'pavilion', 'public', rng.int(1, 2), {
							storey: 4,
							group,
							name: `${group}${rng.pick(['管理处', '茶室', '展馆'])}`,
							numbered: false
						});
					break;
				}
				case 'industrial': {
					const group = groupName(c, () => names.next(rng.pick(PARK_SUFFIXES)));
					if (c.patch >= 0) parkNames.set(c.patch, group);
					const slots = pack(c.w, c.h, 60, 30, 9, 12, 12);
					slots.forEach((s, k) => {
						if (k === 0 && patchFirst.has(c.idx)) add(s, 40, 24, 'parkOffice', 'office', rng.int(6, 12), { storey: 4, group, name: `${group}综合服务楼` });
						else if (rng.chance(0.85))
							add(s, rng.range(36, 60), rng.range(20, 30), 'industrial', 'industrial', rng.int(1, 5), { storey: 5, group, name: `${group}${no + 1}号厂房` });
					});
					break;
				}
			}
		};
		fill(c.use);
	}
	return { buildings, cellCapacity, parkNames };
}
