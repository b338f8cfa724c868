// Cuts the blocks into streets, communities and grids by recursive weighted bisection: each cut
// is a straight line (slightly tilted) through the block centroids, balanced by weight
// (households plus ground), so areas follow block edges and come out compact.
import type { Rng } from './random.ts';
import type { ScaleSpec } from './scales.ts';
import type { Cell, LandUse } from './layout.ts';
import { PlaceNames } from './names.ts';

export type GridKind = 'residential' | 'business' | 'park' | 'campus' | 'green' | 'village';

export interface AreaPlan {
	code: string;
	level: 'district' | 'street' | 'community' | 'grid';
	kind: 'community' | 'village' | null;
	name: string;
	parent: string | null;
	cells: number[];
	gridKind?: GridKind;
	households: number;
}

export interface Partition {
	district: AreaPlan;
	streets: AreaPlan[];
	communities: AreaPlan[];
	grids: AreaPlan[];
	/** grid index of each cell */
	gridOfCell: Int32Array;
}

function split(cells: Cell[], ids: number[], k: number, weight: Float64Array, rng: Rng): number[][] {
	if (k <= 1) return [ids];
	const k1 = Math.floor(k / 2);
	const k2 = k - k1;
	let minx = Infinity,
		maxx = -Infinity,
		miny = Infinity,
		maxy = -Infinity;
	for (const id of ids) {
		const c = cells[id];
		minx = Math.min(minx, c.cx);
		maxx = Math.max(maxx, c.cx);
		miny = Math.min(miny, c.cy);
		maxy = Math.max(maxy, c.cy);
	}
	const angle = (maxx - minx >= maxy - miny ? 0 : Math.PI / 2) + rng.range(-0.35, 0.35);
	const cos = Math.cos(angle);
	const sin = Math.sin(angle);
	const sorted = ids
		.map((id) => ({ id, p: cells[id].cx * cos + cells[id].cy * sin }))
		.sort((a, b) => a.p - b.p || a.id - b.id)
		.map((x) => x.id);
	let total = 0;
	for (const id of sorted) total += weight[id];
	const target = total * (k1 / k) * (1 + rng.range(-0.1, 0.1));
	let m = 0;
	let acc = 0;
	while (m < sorted.length && acc + weight[sorted[m]] / 2 < target) acc += weight[sorted[m++]];
	m = Math.max(k1, Math.min(sorted.length - k2, m));
	return [...split(cells, sorted.slice(0, m), k1, weight, rng), ...split(cells, sorted.slice(m), k2, weight, rng)];
}

/** largest-remainder apportionment of `total` seats by weight, each at least 1 and at most cap[i] */
function apportion(total: number, weights: number[], caps: number[]): number[] {
	const sum = weights.reduce((a, b) => a + b, 0) || 1;
	const seats = weights.map((w, i) => Math.max(1, Math.min(caps[i], Math.floor((total * w) / sum))));
	let left = total - seats.reduce((a, b) => a + b, 0);
	const order = weights.map((w, i) => ({ i, rem: (total * w) / sum - Math.floor((total * w) / sum) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
	for (let guard = 0; left > 0 && guard < 100; guard++) {
		for (const { i } of order) {
			if (left > 0 && seats[i] < caps[i]) {
				seats[i]++;
				left--;
			}
		}
	}
	for (let guard = 0; left < 0 && guard < 100; guard++) {
		for (const { i } of [...order].reverse()) {
			if (left < 0 && seats[i] > 1) {
				seats[i]--;
				left++;
			}
		}
	}
	return seats;
}

const GRID_KIND: Record<LandUse, GridKind> = {
	cbd: 'business',
	commercial: 'business',
	compound: 'residential',
	walkup: 'residential',
	urbanVillage: 'residential',
	school: 'campus',
	public: 'residential',
	green: 'green',
	industrial: 'park',
	village: 'village',
	farmland: 'village'
};

export function partition(spec: ScaleSpec, cells: Cell[], households: Float64Array, rng: Rng): Partition {
	const weight = new Float64Array(cells.length);
	for (const c of cells) weight[c.idx] = households[c.idx] + spec.areaWeight * c.areaHa;
	const sumW = (ids: number[]) => ids.reduce((s, id) => s + weight[id], 0);
	const sumH = (ids: number[]) => ids.reduce((s, id) => s + households[id], 0);
	const names = new PlaceNames(rng, spec.flavour);
	const all = cells.map((c) => c.idx);
	const district: AreaPlan = {
		code: spec.districtCode,
		level: 'district',
		kind: null,
		name: spec.districtName,
		parent: null,
		cells: all,
		households: sumH(all)
	};
	const streetCells = split(cells, all, spec.streets, weight, rng);
	const streets: AreaPlan[] = streetCells.map((ids, s) => ({
		code: spec.districtCode + String(s + 1).padStart(3, '0'),
		level: 'street',
		kind: null,
		name: names.next('街道'),
		parent: spec.districtCode,
		cells: ids,
		households: sumH(ids)
	}));
	const perStreet = apportion(
		spec.communities,
		streetCells.map(sumW),
		streetCells.map((ids) => ids.length)
	);
	const communities: AreaPlan[] = [];
	streets.forEach((st, s) => {
		split(cells, st.cells, perStreet[s], weight, rng).forEach((ids, k) => {
			let rural = 0,
				area = 0;
			for (const id of ids) {
				area += cells[id].areaHa;
				if (cells[id].use === 'village' || cells[id].use === 'farmland') rural += cells[id].areaHa;
			}
			const village = rural > area / 2;
			communities.push({
				code: st.code + String(k + 1).padStart(3, '0'),
				level: 'community',
				kind: village ? 'village' : 'community',
				name: names.next(village ? '村' : '社区'),
				parent: st.code,
				cells: ids,
				households: sumH(ids)
			});
		});
	});
	const perCommunity = apportion(
		spec.grids,
		communities.map((c) => sumW(c.cells)),
		communities.map((c) => c.cells.length)
	);
	const grids: AreaPlan[] = [];
	const gridOfCell = new Int32Array(cells.length).fill(-1);
	communities.forEach((cm, ci) => {
		split(cells, cm.cells, perCommunity[ci], weight, rng).forEach((ids, k) => {
			const byKind = new Map<GridKind, number>();
			for (const id of ids) {
				const kind = GRID_KIND[cells[id].use];
				byKind.set(kind, (byKind.get(kind) ?? 0) + weight[id]);
			}
			let gridKind: GridKind = 'residential';
			let best = -1;
			for (const [kind, w] of byKind) if (w > best) [gridKind, best] = [kind, w];
			for (const id of ids) gridOfCell[id] = grids.length;
			grids.push({
				code: cm.code + String(k + 1).padStart(3, '0'),
				level: 'grid',
				kind: null,
				name: `${cm.name}第${k + 1}网格`,
				parent: cm.code,
				cells: ids,
				gridKind,
				households: sumH(ids)
			});
		});
	});
	return { district, streets, communities, grids, gridOfCell };
}
