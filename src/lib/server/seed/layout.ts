// The ground plan: a jittered, gently warped lattice of blocks in metres around the district
// centre, masked by an irregular outline; land use per block; roads along lattice lines.
//
// Adjacent blocks share the very same vertices, so unions of blocks tile exactly; roads run on
// block edges and buildings are inset inside blocks, so buildings never cross roads or areas.
import type { Rng } from './random.ts';
import type { ScaleSpec } from './scales.ts';
import { PlaceNames } from './names.ts';

export type LandUse =
	| 'cbd' // office towers and podiums
	| 'commercial' // malls, markets
	| 'compound' // gated high-rise residential compound (小区)
	| 'walkup' // older walk-up estate, 5–7 floors
	| 'urbanVillage' // 城中村: dense 3–6 floor houses
	| 'school'
	| 'public' // hospital, community offices, culture centres
	| 'green' // park (公园)
	| 'industrial' // industrial / creative park (园区)
	| 'village' // fringe village (村)
	| 'farmland'; // fields with a few houses

export type RoadClass = 'arterial' | 'secondary' | 'local';

export interface Cell {
	idx: number;
	i: number;
	j: number;
	/** vertex ids, counter-clockwise: (i,j), (i+1,j), (i+1,j+1), (i,j+1) */
	v: [number, number, number, number];
	cx: number;
	cy: number;
	/** 0 at the centre, 1 on the district outline */
	r: number;
	use: LandUse;
	/** the patch (park, campus, CBD, urban village) the block belongs to, or -1 */
	patch: number;
	/** approximate side lengths (metres) along u (i) and v (j) */
	w: number;
	h: number;
	areaHa: number;
	/** the road the block's buildings take their address from */
	road: number;
	/** whether that road runs along the block's edge (otherwise it is the nearest one) */
	roadAdjacent: boolean;
}

export interface Patch {
	id: number;
	use: LandUse;
	cells: number[];
}

export interface RoadLine {
	cls: RoadClass;
	name: string;
	vertices: number[];
}

export interface Layout {
	cols: number;
	rows: number;
	vx: Float64Array;
	vy: Float64Array;
	cells: Cell[];
	/** cell index at lattice position j*cols+i, or -1 outside the district */
	cellAt: Int32Array;
	patches: Patch[];
	roads: RoadLine[];
}

const TAU = Math.PI * 2;

function spacings(n: number, core: number, edge: number, rng: Rng): number[] {
	const out: number[] = [];
	for (let i = 0; i < n; i++) {
		const t = Math.abs(i + 0.5 - n / 2) / (n / 2);
		const s = core + (edge - core) * t * t;
		out.push(s * (1 + 0.12 * rng.normal()));
	}
	return out;
}

function cumulative(sp: number[]): number[] {
	const xs = [0];
	for (const s of sp) xs.push(xs[xs.length - 1] + s);
	const mid = xs[xs.length - 1] / 2;
	return xs.map((x) => x - mid);
}

/** smooth value noise in [0, 1) with feature size `scale` metres */
function valueNoise(rng: Rng, scale: number): (x: number, y: number) => number {
	const N = 64;
	const table = new Float64Array(N * N);
	for (let k = 0; k < table.length; k++) table[k] = rng.next();
	const ox = rng.range(0, N * scale);
	const oy = rng.range(0, N * scale);
	const at = (a: number, b: number) => table[(((b % N) + N) % N) * N + (((a % N) + N) % N)];
	return (x, y) => {
		const fx = (x + ox) / scale;
		const fy = (y + oy) / scale;
		const a = Math.floor(fx);
		const b = Math.floor(fy);
		let tx = fx - a;
		let ty = fy - b;
		tx = tx * tx * (3 - 2 * tx);
		ty = ty * ty * (3 - 2 * ty);
		const top = at(a, b) * (1 - tx) + at(a + 1, b) * tx;
		const bottom = at(a, b + 1) * (1 - tx) + at(a + 1, b + 1) * tx;
		return top * (1 - ty) + bottom * ty;
	};
}

export function buildLayout(spec: ScaleSpec, rng: Rng): Layout {
	const { cols, rows } = spec;
	const spx = spacings(cols, spec.coreSpacing, spec.edgeSpacing, rng);
	const spy = spacings(rows, spec.coreSpacing, spec.edgeSpacing, rng);
	const xs = cumulative(spx);
	const ys = cumulative(spy);
	const width = xs[cols] - xs[0];
	const height = ys[rows] - ys[0];

	// a gentle warp (long, low waves: roads curve) plus per-vertex jitter (nothing is ruler-straight)
	const waves = Array.from({ length: 4 }, () => {
		const L = rng.range(2500, 6000);
		return { L, A: (L / TAU) * rng.range(0.06, 0.12), p: rng.range(0, TAU), q: rng.range(-0.5, 0.5) };
	});
	const nv = (cols + 1) * (rows + 1);
	const vx = new Float64Array(nv);
	const vy = new Float64Array(nv);
	for (let j = 0; j <= rows; j++) {
		for (let i = 0; i <= cols; i++) {
			const x = xs[i];
			const y = ys[j];
			const local = Math.min(spx[Math.min(i, cols - 1)], spx[Math.max(i - 1, 0)], spy[Math.min(j, rows - 1)], spy[Math.max(j - 1, 0)]);
			const jit = 0.1 * local;
			const w0 = waves[0],
				w1 = waves[1],
				w2 = waves[2],
				w3 = waves[3];
			const dx = w0.A * Math.sin((TAU * (y + w0.q * x)) / w0.L + w0.p) + w1.A * Math.sin((TAU * (y - w1.q * x)) / w1.L + w1.p);
			const dy = w2.A * Math.sin((TAU * (x + w2.q * y)) / w2.L + w2.p) + w3.A * Math.sin((TAU * (x - w3.q * y)) / w3.L + w3.p);
			const k = j * (cols + 1) + i;
			vx[k] = x + dx + jit * rng.range(-1, 1);
			vy[k] = y + dy + jit * rng.range(-1, 1);
		}
	}

	// the outline: a wobbly ellipse, clipped by the lattice edge
	const harmonics = [2, 3, 5, 7].map((n, k) => ({ n, a: [0.1, 0.08, 0.05, 0.03][k] * rng.range(0.5, 1.2), p: rng.range(0, TAU) }));
	const ax = width * 0.42;
	const ay = height * 0.42;
	const radius = (x: number, y: number) => {
		const th = Math.atan2(y / ay, x / ax);
		let f = 1;
		for (const h of harmonics) f += h.a * Math.sin(h.n * th + h.p);
		return Math.hypot(x / ax, y / ay) / f;
	};

	const vid = (i: number, j: number) => j * (cols + 1) + i;
	const inside = new Uint8Array(cols * rows);
	for (let j = 0; j < rows; j++) {
		for (let i = 0; i < cols; i++) {
			const vs = [vid(i, j), vid(i + 1, j), vid(i + 1, j + 1), vid(i, j + 1)];
			const cx = vs.reduce((s, v) => s + vx[v], 0) / 4;
			const cy = vs.reduce((s, v) => s + vy[v], 0) / 4;
			if (radius(cx, cy) <= 1) inside[j * cols + i] = 1;
		}
	}
	// keep the largest 4-connected piece
	const comp = new Int32Array(cols * rows).fill(-1);
	let best = -1;
	let bestSize = 0;
	for (let s = 0; s < cols * rows; s++) {
		if (!inside[s] || comp[s] >= 0) continue;
		const stack = [s];
		comp[s] = s;
		let size = 0;
		while (stack.length) {
			const c = stack.pop()!;
			size++;
			const ci = c % cols;
			const cj = (c - ci) / cols;
			for (const [di, dj] of [
				[1, 0],
				[-1, 0],
				[0, 1],
				[0, -1]
			]) {
				const ni = ci + di;
				const nj = cj + dj;
				if (ni < 0 || nj < 0 || ni >= cols || nj >= rows) continue;
				const n = nj * cols + ni;
				if (inside[n] && comp[n] < 0) {
					comp[n] = s;
					stack.push(n);
				}
			}
		}
		if (size > bestSize) {
			bestSize = size;
			best = s;
		}
	}

	const cells: Cell[] = [];
	const cellAt = new Int32Array(cols * rows).fill(-1);
	const dist = (a: number, b: number) => Math.hypot(vx[a] - vx[b], vy[a] - vy[b]);
	for (let j = 0; j < rows; j++) {
		for (let i = 0; i < cols; i++) {
			if (comp[j * cols + i] !== best) continue;
			const v: [number, number, number, number] = [vid(i, j), vid(i + 1, j), vid(i + 1, j + 1), vid(i, j + 1)];
			const cx = (vx[v[0]] + vx[v[1]] + vx[v[2]] + vx[v[3]]) / 4;
			const cy = (vy[v[0]] + vy[v[1]] + vy[v[2]] + vy[v[3]]) / 4;
			// shoelace
			let a2 = 0;
			for (let k = 0; k < 4; k++) {
				const p = v[k];
				const q = v[(k + 1) % 4];
				a2 += vx[p] * vy[q] - vx[q] * vy[p];
			}
			cellAt[j * cols + i] = cells.length;
			cells.push({
				idx: cells.length,
				i,
				j,
				v,
				cx,
				cy,
				r: radius(cx, cy),
				use: 'compound',
				patch: -1,
				w: (dist(v[0], v[1]) + dist(v[3], v[2])) / 2,
				h: (dist(v[0], v[3]) + dist(v[1], v[2])) / 2,
				areaHa: Math.abs(a2) / 2 / 10_000,
				road: -1,
				roadAdjacent: false
			});
		}
	}

	const lineClassX = lineClasses(cols, rng);
	const lineClassY = lineClasses(rows, rng);
	const patches = assignLandUse(cells, cellAt, cols, rows, lineClassX, lineClassY, rng);
	const roads = buildRoads(spec, cells, cellAt, cols, rows, lineClassX, lineClassY, rng);
	return { cols, rows, vx, vy, cells, cellAt, patches, roads };
}

/** arterials every 6–9 lines, secondaries between them every 3–4, local streets elsewhere */
function lineClasses(n: number, rng: Rng): RoadClass[] {
	const out: RoadClass[] = new Array(n + 1).fill('local');
	let a = rng.int(2, 5);
	const arterials: number[] = [];
	while (a <= n) {
		arterials.push(a);
		a += rng.int(6, 9);
	}
	for (const x of arterials) out[x] = 'arterial';
	const stops = [0, ...arterials, n];
	for (let k = 0; k + 1 < stops.length; k++) {
		const gap = stops[k + 1] - stops[k];
		if (gap >= 5) out[stops[k] + Math.round(gap / 2) + rng.int(-1, 0)] = 'secondary';
		else if (gap >= 3 && rng.chance(0.5)) out[stops[k] + Math.floor(gap / 2)] = 'secondary';
	}
	return out;
}

function assignLandUse(cells: Cell[], cellAt: Int32Array, cols: number, rows: number, lineX: RoadClass[], lineY: RoadClass[], rng: Rng): Patch[] {
	const n = cells.length;
	const patches: Patch[] = [];
	const taken = new Uint8Array(n);
	const noise = valueNoise(rng, 700);
	const noise2 = valueNoise(rng, 350);
	const extent = Math.sqrt(cells.reduce((s, c) => s + c.areaHa, 0) * 10_000);

	// grow a patch: the cells nearest a centre cell, up to `size` of them, among allowed ones
	const grow = (use: LandUse, centre: Cell, size: number, allow: (c: Cell) => boolean) => {
		const patch: Patch = { id: patches.length, use, cells: [] };
		const seen = new Set<number>([centre.idx]);
		const frontier = [centre.idx];
		while (frontier.length && patch.cells.length < size) {
			frontier.sort(
				(a, b) => Math.hypot(cells[a].cx - centre.cx, cells[a].cy - centre.cy) - Math.hypot(cells[b].cx - centre.cx, cells[b].cy - centre.cy) || a - b
			);
			const c = frontier.shift()!;
			const cell = cells[c];
			if (taken[c] || !allow(cell)) continue;
			taken[c] = 1;
			cell.use = use;
			cell.patch = patch.id;
			patch.cells.push(c);
			for (const [di, dj] of [
				[1, 0],
				[-1, 0],
				[0, 1],
				[0, -1]
			]) {
				const ni = cell.i + di;
				const nj = cell.j + dj;
				if (ni < 0 || nj < 0 || ni >= cols || nj >= rows) continue;
				const m = cellAt[nj * cols + ni];
				if (m >= 0 && !seen.has(m)) {
					seen.add(m);
					frontier.push(m);
				}
			}
		}
		if (patch.cells.length) patches.push(patch);
		return patch;
	};
	const pickCell = (lo: number, hi: number) => {
		for (let t = 0; t < 200; t++) {
			const c = cells[rng.int(0, n - 1)];
			if (!taken[c.idx] && c.r >= lo && c.r <= hi) return c;
		}
		return null;
	};

	// CBDs: one per ~2,500 blocks, near the centre first
	const cbds = Math.max(1, Math.round(n / 2500));
	for (let k = 0; k < cbds; k++) {
		const c = k === 0 ? pickCell(0.05, 0.25) : pickCell(0.2, 0.6);
		if (!c) continue;
		const p = grow('cbd', c, Math.round(rng.int(14, 26) * (n < 500 ? 0.3 : 1)), (x) => x.r < 0.7);
		for (const idx of p.cells) if (rng.chance(0.25)) cells[idx].use = 'commercial';
	}
	// industrial / creative parks at the edge of the built-up area
	for (let k = Math.max(1, Math.round(n / 220)); k > 0; k--) {
		const c = pickCell(0.55, 0.9);
		if (c) grow('industrial', c, rng.int(4, 12), (x) => x.r < 0.95);
	}
	// green parks
	for (let k = Math.max(1, Math.round(n / 160)); k > 0; k--) {
		const c = pickCell(0.1, 0.8);
		if (c) grow('green', c, rng.int(1, 6), (x) => x.r < 0.85);
	}
	// urban villages (城中村) in the middle ring
	for (let k = Math.max(1, Math.round(n / 90)); k > 0; k--) {
		const c = pickCell(0.3, 0.78);
		if (c) grow('urbanVillage', c, rng.int(2, 8), (x) => x.r < 0.8);
	}
	// campuses: mostly one block, a few universities of several
	for (let k = Math.max(2, Math.round(n / 32)); k > 0; k--) {
		const c = pickCell(0, 0.85);
		if (c) grow('school', c, rng.chance(0.1) ? rng.int(2, 4) : 1, (x) => x.r < 0.9);
	}
	// hospitals, offices of the state, culture centres
	for (let k = Math.max(2, Math.round(n / 55)); k > 0; k--) {
		const c = pickCell(0, 0.8);
		if (c) grow('public', c, 1, () => true);
	}
	// the rest: residential by distance from the centre, fringe villages outside
	for (const c of cells) {
		if (taken[c.idx]) continue;
		const edge = c.r + (noise2(c.cx, c.cy) - 0.5) * 0.16;
		if (edge > 0.8) {
			c.use = noise(c.cx, c.cy) < 0.25 ? 'farmland' : 'village';
			continue;
		}
		const onArterial = lineX[c.i] === 'arterial' || lineX[c.i + 1] === 'arterial' || lineY[c.j] === 'arterial' || lineY[c.j + 1] === 'arterial';
		if (onArterial && c.r < 0.7 && rng.chance(0.2)) {
			c.use = 'commercial';
			continue;
		}
		// a share of the blocks are markets, small parks, clinics, schools, workshops
		if (rng.chance(0.5)) {
			const uses: LandUse[] = ['commercial', 'green', 'public', 'school', 'industrial', 'urbanVillage'];
			c.use = uses[rng.weighted([0.34, 0.18, 0.12, 0.12, c.r > 0.5 ? 0.14 : 0.02, c.r > 0.3 ? 0.05 : 0])];
			continue;
		}
		// older estates cluster towards the old centre; new compounds further out
		const pWalkup = 0.6 - 0.55 * Math.min(1, c.r / 0.8);
		c.use = noise(c.cx, c.cy) < pWalkup + 0.32 ? 'walkup' : 'compound';
	}
	void extent;
	return patches;
}

function buildRoads(
	spec: ScaleSpec,
	cells: Cell[],
	cellAt: Int32Array,
	cols: number,
	rows: number,
	lineX: RoadClass[],
	lineY: RoadClass[],
	rng: Rng
): RoadLine[] {
	const names = new PlaceNames(rng, spec.flavour);
	const at = (i: number, j: number) => (i < 0 || j < 0 || i >= cols || j >= rows ? null : cellAt[j * cols + i] >= 0 ? cells[cellAt[j * cols + i]] : null);
	const gated = new Set<LandUse>(['compound', 'industrial', 'school', 'green', 'cbd']);
	const rural = (c: Cell | null) => !c || c.use === 'village' || c.use === 'farmland';
	const keep = (cls: RoadClass, a: Cell | null, b: Cell | null): boolean => {
		if (!a && !b) return false;
		if (cls === 'arterial') return rural(a) && rural(b) ? rng.chance(0.9) : true;
		if (cls === 'secondary') return rural(a) && rural(b) ? rng.chance(0.55) : rng.chance(0.95);
		if (!a || !b) return rng.chance(0.25);
		if (rural(a) && rural(b)) return rng.chance(0.3);
		if (a.use === b.use && gated.has(a.use)) return rng.chance(a.patch >= 0 && a.patch === b.patch ? 0.05 : 0.3);
		if (a.use === 'urbanVillage' || b.use === 'urbanVillage') return rng.chance(0.5);
		return rng.chance(0.75);
	};
	const vid = (i: number, j: number) => j * (cols + 1) + i;
	const roads: RoadLine[] = [];
	// segment → road index, for addresses
	const segX = new Int32Array((cols + 1) * rows).fill(-1); // vertical line i, segment j
	const segY = new Int32Array((rows + 1) * cols).fill(-1); // horizontal line j, segment i
	const suffix = (cls: RoadClass) => (cls === 'arterial' ? (rng.chance(0.7) ? '大道' : '路') : cls === 'secondary' ? '路' : rng.pick(['街', '路', '巷', '街']));

	// which lattice segments carry a road: decided line by line (the random draws in the order they
	// always were), then the runs of each line become roads once the network is connected
	const keepX = new Uint8Array((cols + 1) * rows); // vertical line i, segment j: [j * (cols + 1) + i]
	const keepY = new Uint8Array((rows + 1) * cols); // horizontal line j, segment i: [j * cols + i]
	const namesX: string[] = [];
	const namesY: string[] = [];
	for (let i = 0; i <= cols; i++) {
		const cls = lineX[i];
		namesX.push(names.next(suffix(cls)));
		for (let j = 0; j < rows; j++) keepX[j * (cols + 1) + i] = keep(cls, at(i - 1, j), at(i, j)) ? 1 : 0;
	}
	for (let j = 0; j <= rows; j++) {
		const cls = lineY[j];
		namesY.push(names.next(suffix(cls)));
		for (let i = 0; i < cols; i++) keepY[j * cols + i] = keep(cls, at(i, j - 1), at(i, j)) ? 1 : 0;
	}
	connectLattice(
		cols,
		rows,
		keepX,
		keepY,
		(i, j) => at(i - 1, j) !== null || at(i, j) !== null,
		(i, j) => at(i, j - 1) !== null || at(i, j) !== null
	);

	const runLine = (
		len: number,
		cls: RoadClass,
		name: string,
		segOk: (s: number) => boolean,
		vertex: (s: number) => number,
		mark: (s: number, road: number) => void
	) => {
		let run: number[] = [];
		const flush = () => {
			if (run.length) {
				const road = roads.length;
				roads.push({ cls, name, vertices: [vertex(run[0]), ...run.map((s) => vertex(s + 1))] });
				for (const s of run) mark(s, road);
			}
			run = [];
		};
		for (let s = 0; s < len; s++) {
			if (segOk(s)) run.push(s);
			else flush();
		}
		flush();
	};
	for (let i = 0; i <= cols; i++) {
		runLine(
			rows,
			lineX[i],
			namesX[i],
			(j) => keepX[j * (cols + 1) + i] === 1,
			(j) => vid(i, j),
			(j, r) => (segX[j * (cols + 1) + i] = r)
		);
	}
	for (let j = 0; j <= rows; j++) {
		runLine(
			cols,
			lineY[j],
			namesY[j],
			(i) => keepY[j * cols + i] === 1,
			(i) => vid(i, j),
			(i, r) => (segY[j * cols + i] = r)
		);
	}

	const rank = (r: number) => (r < 0 ? -1 : roads[r].cls === 'arterial' ? 3 : roads[r].cls === 'secondary' ? 2 : 1);
	for (const c of cells) {
		const around = [segX[c.j * (cols + 1) + c.i], segX[c.j * (cols + 1) + c.i + 1], segY[c.j * cols + c.i], segY[(c.j + 1) * cols + c.i]];
		let best = -1;
		for (const r of around) if (rank(r) > rank(best) || (rank(r) === rank(best) && r >= 0 && r < best)) best = r;
		if (best >= 0) {
			c.road = best;
			c.roadAdjacent = true;
			continue;
		}
		// no road on its edges (gated or rural): the nearest road along its row or column
		for (let d = 1; d < Math.max(cols, rows) && c.road < 0; d++) {
			const cand = [
				c.i - d >= 0 ? segX[c.j * (cols + 1) + c.i - d] : -1,
				c.i + 1 + d <= cols ? segX[c.j * (cols + 1) + c.i + 1 + d] : -1,
				c.j - d >= 0 ? segY[(c.j - d) * cols + c.i] : -1,
				c.j + 1 + d <= rows ? segY[(c.j + 1 + d) * cols + c.i] : -1
			].filter((r) => r >= 0);
			if (cand.length) c.road = Math.min(...cand);
		}
		if (c.road < 0) c.road = 0;
	}
	return roads;
}

/**
 * Joins every piece of the kept lattice segments to the largest piece (issue 13: the village roads
 * were scattered pieces no building could walk out of): from each other piece, in a fixed order,
 * the fewest lattice segments (of those beside a block, `canX`/`canY`) to a vertex already on the
 * main network are kept too — the village paths a survey would find.
 */
export function connectLattice(
	cols: number,
	rows: number,
	keepX: Uint8Array,
	keepY: Uint8Array,
	canX: (i: number, j: number) => boolean,
	canY: (i: number, j: number) => boolean
): number {
	const W = cols + 1;
	const n = W * (rows + 1);
	const parent = Int32Array.from({ length: n }, (_, k) => k);
	const find = (a: number): number => {
		while (parent[a] !== a) a = parent[a] = parent[parent[a]];
		return a;
	};
	const union = (a: number, b: number) => {
		const ra = find(a),
			rb = find(b);
		if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
	};
	const on = new Uint8Array(n);
	/** the segments at a vertex: [neighbour, kind 0 = X / 1 = Y, index, allowed] */
	const around = (v: number): [number, 0 | 1, number, boolean][] => {
		const i = v % W,
			j = (v - i) / W;
		const out: [number, 0 | 1, number, boolean][] = [];
		if (j > 0) out.push([v - W, 0, (j - 1) * W + i, canX(i, j - 1)]);
		if (j < rows) out.push([v + W, 0, j * W + i, canX(i, j)]);
		if (i > 0) out.push([v - 1, 1, j * cols + i - 1, canY(i - 1, j)]);
		if (i < cols) out.push([v + 1, 1, j * cols + i, canY(i, j)]);
		return out;
	};
	const isKept = (kind: 0 | 1, idx: number) => (kind === 0 ? keepX[idx] : keepY[idx]) === 1;
	for (let v = 0; v < n; v++)
		for (const [u, kind, idx] of around(v))
			if (isKept(kind, idx)) {
				on[v] = on[u] = 1;
				union(u, v);
			}
	let added = 0;
	for (;;) {
		const size = new Map<number, number>();
		for (let v = 0; v < n; v++) if (on[v]) size.set(find(v), (size.get(find(v)) ?? 0) + 1);
		if (size.size <= 1) return added;
		let main = -1;
		for (const [root, k] of size) if (main < 0 || k > size.get(main)! || (k === size.get(main)! && root < main)) main = root;
		// the first other piece (by its lowest vertex): a breadth-first search from all its vertices
		let piece = -1;
		for (let v = 0; v < n && piece < 0; v++) if (on[v] && find(v) !== main) piece = find(v);
		const prev = new Int32Array(n).fill(-2);
		const via: [0 | 1, number][] = new Array(n);
		const queue: number[] = [];
		for (let v = 0; v < n; v++)
			if (on[v] && find(v) === piece) {
				prev[v] = -1;
				queue.push(v);
			}
		let hit = -1;
		for (let q = 0; q < queue.length && hit < 0; q++) {
			const v = queue[q];
			for (const [u, kind, idx, ok] of around(v)) {
				if (!ok || prev[u] !== -2) continue;
				prev[u] = v;
				via[u] = [kind, idx];
				if (on[u] && find(u) !== piece) {
					hit = u;
					break;
				}
				queue.push(u);
			}
		}
		if (hit < 0) {
			// no way over blocks: leave this piece as it is (it stays out of the search from now on)
			for (let v = 0; v < n; v++) if (on[v] && find(v) === piece) on[v] = 0;
			continue;
		}
		for (let v = hit; prev[v] >= 0; v = prev[v]) {
			const [kind, idx] = via[v];
			if (kind === 0) keepX[idx] = 1;
			else keepY[idx] = 1;
			added++;
			on[v] = on[prev[v]] = 1;
			union(v, prev[v]);
		}
	}
}
