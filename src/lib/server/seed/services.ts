// Party-mass service centres (党群服务中心): one for the district, one per street, one per
// community — often in the community office — and convenience stations (便民服务站) in large
// compounds. A share of villages at the fringe have none of their own: they are far from any.
import type { Rng } from './random.ts';
import type { ScaleSpec } from './scales.ts';
import type { Partition, AreaPlan } from './areas.ts';
import type { BuildingPlan } from './buildings.ts';
import type { Cell } from './layout.ts';

export interface ServicePlan {
	level: 'district' | 'street' | 'community' | 'station';
	name: string;
	area: string;
	building: number | null;
	services: string[];
	hours: string;
	x: number;
	y: number;
}

const SERVICES = ['党员教育', '政务服务', '社保医保', '就业指导', '法律咨询', '养老服务', '托育服务', '文体活动', '志愿服务', '矛盾调解', '卫生健康'];
const HOURS = ['周一至周五 8:30-17:30', '周一至周日 9:00-17:00', '周一至周六 8:30-18:00', '全年无休 8:00-20:00'];

export function generateServices(spec: ScaleSpec, part: Partition, cells: Cell[], buildings: BuildingPlan[], rng: Rng): ServicePlan[] {
	const out: ServicePlan[] = [];
	const byArea = new Map<string, BuildingPlan[]>();
	for (const b of buildings)
		for (const len of [6, 9, 12]) {
			const key = b.gridCode.slice(0, len);
			let l = byArea.get(key);
			if (!l) byArea.set(key, (l = []));
			l.push(b);
		}
	const pickServices = (n: number) => rng.shuffle([...SERVICES]).slice(0, n);
	const centroid = (a: AreaPlan) => {
		let x = 0,
			y = 0;
		for (const id of a.cells) {
			x += cells[id].cx;
			y += cells[id].cy;
		}
		return [x / a.cells.length, y / a.cells.length];
	};
	const site = (a: AreaPlan, prefer: (b: BuildingPlan) => boolean) => {
		const [x, y] = centroid(a);
		const list = (byArea.get(a.code) ?? []).filter(prefer);
		let best: BuildingPlan | null = null;
		let bd = Infinity;
		for (const b of list) {
			const d = Math.hypot(b.cx - x, b.cy - y);
			if (d < bd) [best, bd] = [b, d];
		}
		if (best) return { building: best.id, x: best.cx, y: best.cy };
		// no building fits: the middle of the block nearest the area's centre
		let cell = cells[a.cells[0]];
		for (const id of a.cells) if (Math.hypot(cells[id].cx - x, cells[id].cy - y) < Math.hypot(cell.cx - x, cell.cy - y)) cell = cells[id];
		return { building: null, x: cell.cx, y: cell.cy };
	};
	const civic = (b: BuildingPlan) => b.kind === 'public' || b.kind === 'office';
	out.push({
		level: 'district',
		name: `${spec.districtName}党群服务中心`,
		area: spec.districtCode,
		...site(part.district, civic),
		services: pickServices(9),
		hours: HOURS[0]
	});
	for (const s of part.streets)
		out.push({
			level: 'street',
			name: `${s.name}党群服务中心`,
			area: s.code,
			...site(s, civic),
			services: pickServices(rng.int(6, 9)),
			hours: rng.pick(HOURS)
		});
	for (const c of part.communities) {
		if (c.kind === 'village' && rng.chance(0.35)) continue; // fringe villages without a centre of their own
		out.push({
			level: 'community',
			name: `${c.name}党群服务中心`,
			area: c.code,
			...site(c, (b) => b.kind === 'public' || b.type === 'ancillary' || b.type === 'walkup' || b.type === 'villageHouse'),
			services: pickServices(rng.int(4, 8)),
			hours: rng.pick(HOURS)
		});
	}
	// convenience stations in large compounds (blocks with four or more towers)
	const towers = new Map<number, BuildingPlan[]>();
	for (const b of buildings)
		if (b.type === 'tower') {
			let l = towers.get(b.cell);
			if (!l) towers.set(b.cell, (l = []));
			l.push(b);
		}
	for (const [, list] of [...towers.entries()].sort((a, b) => a[0] - b[0])) {
		if (list.length < 4 || !rng.chance(0.5)) continue;
		const b = list[0];
		out.push({
			level: 'station',
			name: `${b.group}便民服务站`,
			area: b.gridCode.slice(0, 12),
			building: b.id,
			x: b.cx,
			y: b.cy,
			services: pickServices(rng.int(2, 4)),
			hours: rng.pick(HOURS)
		});
	}
	return out;
}
