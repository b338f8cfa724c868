// Unmet needs next to the resources that could meet them (issue 11 part 4): for each open need,
// the nearest active resources of its category by walking distance on the road network — the
// coverage engine's own network, snapping and search (src/lib/server/coverage), so "a 600 m walk"
// here is the same walk as in the living circles.
//
// One bounded search from each need (NEAREST_WALK_MAX_M), then each candidate resource read off it
// at its snapped road point, plus the walks from the door to the road at both ends. The loops yield
// between needs, so the matching runs under an analysis budget like the planner's what-ifs.
import { distanceAt, sourcesByEdge, type Source } from '../coverage/dijkstra.ts';
import type { CoverageModel } from '../coverage/engine.ts';
import type { Snap } from '../coverage/graph.ts';
import type { Steps } from '../coverage/budget.ts';
import { NEAREST_RESOURCES, type NeedMatch, type NeedRow, type ResourceRow } from '../../api/needs.ts';

/** metres, to the decimetre: as the list shows them */
const round = (m: number) => Math.round(m * 10) / 10;

/**
 * The matches of `needs` against `resources`, as steps (one per need). A need or resource off the
 * network (none yet, or farther from a road than the whole walk) matches nothing; ties in walking
 * distance go to the lower resource id.
 */
export function* nearestResourceSteps(model: CoverageModel, needs: readonly NeedRow[], resources: readonly ResourceRow[], walkMax: number): Steps<NeedMatch[]> {
	const { graph, snapper } = model.network;
	const snaps = new Map<number, Snap | null>();
	const snapOf = (r: ResourceRow) => {
		if (!snaps.has(r.id)) snaps.set(r.id, snapper.nearest(r.lon, r.lat, walkMax));
		return snaps.get(r.id)!;
	};
	const byCategory = new Map<string, ResourceRow[]>();
	for (const r of resources) {
		const list = byCategory.get(r.category);
		if (list) list.push(r);
		else byCategory.set(r.category, [r]);
	}
	const out: NeedMatch[] = [];
	for (const need of needs) {
		yield;
		const match: NeedMatch = { need_id: need.id, title: need.title, category: need.category, lon: need.lon, lat: need.lat, nearest: [] };
		out.push(match);
		const candidates = byCategory.get(need.category);
		const at = candidates?.length ? snapper.nearest(need.lon, need.lat, walkMax) : null;
		if (!candidates || !at) continue;
		const source: Source = { edge: at.edge, offset: at.offset, cost: at.distance };
		const result = model.search.run([source], walkMax);
		const onEdge = sourcesByEdge([source]);
		const found: { r: ResourceRow; walk: number }[] = [];
		for (const r of candidates) {
			const s = snapOf(r);
			if (!s) continue;
			const walk = distanceAt(graph, result, [source], onEdge, s).d + s.distance;
			if (walk <= walkMax) found.push({ r, walk });
		}
		found.sort((a, b) => a.walk - b.walk || a.r.id - b.r.id);
		match.nearest = found
			.slice(0, NEAREST_RESOURCES)
			.map(({ r, walk }) => ({ resource_id: r.id, title: r.title, lon: r.lon, lat: r.lat, walk_m: round(walk) }));
	}
	return out;
}
