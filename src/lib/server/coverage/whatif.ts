// A hypothetical station (假设新增便民服务站): snap it to the network, one search bounded by the
// largest circle, and count — per community — the households that newly fall within each circle,
// against the current per-building distances held in memory. By construction the same figures as
// a full recompute with the station added (tests/coverage/whatif.test.ts checks it), since the
// search, the snapping and the circle rule are the full recompute's own. Its reach polygon (each
// circle) comes from PostGIS.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Snapper } from './graph.ts';
import { reachGeoJson, reachedPieces } from './reach.ts';
import { circleOf, forBuildingsWithin, type CoverageParams } from './service.ts';
import type { Source } from './dijkstra.ts';
import type { CoverageModel } from './engine.ts';
import { drive, runSteps, type Budget, type Steps } from './budget.ts';
import type { WhatIfCommunity, WhatIfResult } from '../../api/coverage.ts';

export type { WhatIfCommunity, WhatIfResult };

/** The snapped source of a point, or null when the network is empty. */
export function siteSource(snapper: Snapper, lon: number, lat: number): Source | null {
	const s = snapper.nearest(lon, lat);
	return s ? { edge: s.edge, offset: s.offset, cost: s.distance } : null;
}

type Figures = Omit<WhatIfResult, 'reach'> & { source: Source | null };

/** The figures, in memory (no database): `scope` limits the communities reported. */
export function whatIfFigures(model: CoverageModel, lon: number, lat: number, scope = ''): Figures {
	return runSteps(whatIfSteps(model, lon, lat, scope));
}

/**
 * whatIfFigures as steps. The snap is bounded by the network's extent (Snapper), the search by
 * the largest circle (≤ 10 km), the loops by the buildings: it yields every few thousand.
 */
function* whatIfSteps(model: CoverageModel, lon: number, lat: number, scope: string): Steps<Figures> {
	const { network: net, service } = model;
	const circles = service.params.circles;
	const source = siteSource(net.snapper, lon, lat);
	const byCode = new Map<string, WhatIfCommunity>();
	const newly: [number, number, number] = [0, 0, 0];
	if (source) {
		forBuildingsWithin(net, model.search, [source], circles[2], (i, metres) => {
			const hh = net.buildings.households[i];
			if (!hh) return;
			const code = net.buildings.gridCode[i].slice(0, 12);
			if (!code.startsWith(scope)) return;
			const was = service.circle[i];
			const now = circleOf(Math.min(metres, service.levels.any.dist[i]), circles);
			for (let k = 0; k < 3; k++) {
				const inNow = now > 0 && now <= k + 1;
				const inWas = was > 0 && was <= k + 1;
				if (inNow && !inWas) {
					let c = byCode.get(code);
					if (!c) byCode.set(code, (c = { code, households: 0, before: [0, 0, 0], newly: [0, 0, 0] }));
					c.newly[k] += hh;
					newly[k] += hh;
				}
			}
		});
	}
	// the communities touched, with their current figures for context
	if (byCode.size) {
		const b = net.buildings;
		for (let i = 0; i < b.count; i++) {
			if ((i & 4095) === 4095) yield;
			const c = byCode.get(b.gridCode[i].slice(0, 12));
			if (!c) continue;
			c.households += b.households[i];
			const was = service.circle[i];
			for (let k = 0; k < 3; k++) if (was > 0 && was <= k + 1) c.before[k] += b.households[i];
		}
	}
	const communities = [...byCode.values()].sort((a, b) => b.newly[2] - a.newly[2] || a.code.localeCompare(b.code));
	return { lon, lat, access_m: source ? source.cost : Infinity, circles: [circles[0], circles[1], circles[2]], newly, communities, source };
}

/**
 * The what-if of a station at lon/lat: figures from memory, reach polygons from PostGIS. Under a
 * budget it pauses between slices and gives up (AnalysisTimeout) when the budget is spent: a
 * what-if has no useful partial answer.
 */
export async function whatIf(
	db: Kysely<Database>,
	model: CoverageModel,
	lon: number,
	lat: number,
	scope = '',
	params?: CoverageParams,
	budget?: Budget
): Promise<WhatIfResult> {
	const { source, ...figures } = await drive(whatIfSteps(model, lon, lat, scope), budget);
	let reach: (string | null)[] = [null, null, null];
	budget?.check();
	if (source) {
		const g = model.network.graph;
		const circles = model.service.params.circles;
		const r = model.search.run([source], circles[2]);
		const pieces = circles.map((c) => reachedPieces(g, r.dist, r.reached, [source], c));
		reach = await reachGeoJson(db, g, pieces, (params ?? model.service.params).reachBuffer);
	}
	return { ...figures, reach };
}
