// npm run bench:coverage — the coverage engine on server PostGIS with the `district` and
// `chaoyang` demos (the cluster and datasets of bench/lib/bench-postgis.ts).
//
// Per dataset:
// - full recompute of service coverage, in memory: five multi-source searches (district, street,
//   community centres, stations, any) over the whole network, unbounded, and every building's
//   nearest centre and distance per level (the network already loaded, like pgRouting's tables;
//   the load and the stored recompute — gaps, blind spots, ranks, reach polygons — are printed too);
// - pgRouting: pgr_drivingDistance on the same network in the same server, the same edges and
//   lengths, split at the centres with a door edge of each centre's access length, multi-source
//   start vids, directed := false, equicost := true, distance 1000 m, once per level; its node
//   distances are checked against ours;
// - what-if stations at seeded sites: p50 and p95 (goal: < 200 ms at chaoyang), reach polygons included;
// - site suggestion — what the planner gets: suggestFromCandidates under the route's Budget —
//   against HiGHS's exact optimum on community instances it solves, and its time (the instance,
//   greedy and the local search; p50 and max), also for the whole district at k = 20.
// - freshness, on the built app as deployed (server PostGIS, the app role, a district admin's real
//   session over HTTP; bench/lib/coverage-freshness.ts): after a typical write as the owner (a
//   convenience station; a party member), the time until the panel's JSON reflects it
//   (fresh_after_write_ms, fresh_after_member_write_ms: medians of 3), and the longest any read
//   waits meanwhile — summaries, coverage JSON, tiles, what-if from 4 clients — (max_blocked_ms,
//   goal < 1000 ms; read_errors: answers not 2xx/3xx), beside the same reads with no recompute
//   (idle_read_max_ms).
// Ends with one JSON line: {"district": {…}, "chaoyang": {…}, "greedy_vs_optimum": households covered by
// the suggestions over those the exact optimum covers, all instances together, "greedy_vs_optimum_worst"}.
// BENCH_SCALES=district to run one. BENCH_ONLY=suggest for the site suggestion alone (district),
// BENCH_SUGGEST_COMMUNITIES=n for its first n communities (default 8); BENCH_ONLY=freshness for the
// freshness part alone (BENCH_FRESH_WRITES=centre,member, BENCH_FRESH_REPS=3, BENCH_FRESH_CAP_S=180,
// BENCH_READ_CLIENTS=4; BENCH_MAP_BUILD=never serves build/ as it is); BENCH_ONLY=engine for all
// but the freshness part.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/lib/server/db/schema.ts';
import { openDb, type Db } from '../src/lib/server/db/open.ts';
import { startCluster, ensureDataset, SEED } from './lib/bench-postgis.ts';
import { CoverageEngine, type CoverageModel } from '../src/lib/server/coverage/engine.ts';
import { recomputeCoverage } from '../src/lib/server/coverage/store.ts';
import { DEFAULT_PARAMS, SERVICE_LEVELS, centreSources, computeService } from '../src/lib/server/coverage/service.ts';
import { multiSourceDijkstra } from '../src/lib/server/coverage/dijkstra.ts';
import { whatIf } from '../src/lib/server/coverage/whatif.ts';
import { candidateSites, coverInstance, exactMaxCoverage, suggestFromCandidates } from '../src/lib/server/coverage/suggest.ts';
import { Budget } from '../src/lib/server/coverage/budget.ts';
import { prepareBuild } from './lib/app-server.ts';
import { benchFreshness } from './lib/coverage-freshness.ts';
import { quantile, r1, r3 } from './lib/figures.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const ONLY = process.env.BENCH_ONLY ?? '';
if (!['', 'suggest', 'freshness', 'engine'].includes(ONLY)) throw new Error(`BENCH_ONLY=${ONLY}: suggest, freshness or engine`);
const SUGGEST_ONLY = ONLY === 'suggest';
/** the in-process parts: recompute, pgRouting, what-if, suggestions */
const ENGINE = ONLY !== 'freshness';
/** the built app over HTTP: freshness after a write, reads during a recompute */
const FRESHNESS = ONLY === '' || ONLY === 'freshness';
const SUGGEST_COMMUNITIES = Number(process.env.BENCH_SUGGEST_COMMUNITIES ?? 8);
const SCALES = (process.env.BENCH_SCALES ?? (SUGGEST_ONLY ? 'district' : 'district,chaoyang')).split(',') as ('district' | 'chaoyang')[];
const BOUND = 1000;
const WHATIF_SITES = 40;

/** seeded pseudo-random numbers (mulberry32) */
function rng(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Our network as a pgRouting edge table: split at every centre, plus a door edge per centre. */
async function pgroutingTables(db: Kysely<Database>, model: CoverageModel): Promise<Record<string, number[]>> {
	const g = model.network.graph;
	const c = model.network.centres;
	await sql`create extension if not exists pgrouting`.execute(db);
	await sql`drop table if exists bench_pgr_edge`.execute(db);
	await sql`create unlogged table bench_pgr_edge (id bigint primary key, source bigint not null, target bigint not null, cost float8 not null, reverse_cost float8 not null)`.execute(
		db
	);
	const split = new Map<number, { offset: number; vertex: number }[]>();
	const doors: Record<string, number[]> = Object.fromEntries(SERVICE_LEVELS.map((l) => [l, []]));
	const ids: number[] = [],
		src: number[] = [],
		dst: number[] = [],
		cost: number[] = [];
	let nextVertex = g.nodeCount + 1; // pgRouting vertex = our node + 1
	let nextEdge = 1;
	const edge = (a: number, b: number, w: number) => {
		ids.push(nextEdge++);
		src.push(a);
		dst.push(b);
		cost.push(w);
	};
	for (let i = 0; i < c.count; i++) {
		if (c.edge[i] < 0) continue;
		const on = nextVertex++;
		const door = nextVertex++;
		const l = split.get(c.edge[i]) ?? [];
		l.push({ offset: c.offset[i], vertex: on });
		split.set(c.edge[i], l);
		edge(door, on, c.access[i]);
		doors.any.push(door);
		doors[c.level[i]].push(door);
	}
	for (let e = 0; e < g.edgeCount; e++) {
		const a = g.edgeFrom[e] + 1,
			b = g.edgeTo[e] + 1;
		const pts = split.get(e);
		if (!pts) {
			edge(a, b, g.edgeLen[e]);
			continue;
		}
		pts.sort((x, y) => x.offset - y.offset);
		let prev = a,
			at = 0;
		for (const p of pts) {
			edge(prev, p.vertex, p.offset - at);
			prev = p.vertex;
			at = p.offset;
		}
		edge(prev, b, g.edgeLen[e] - at);
	}
	for (let k = 0; k < ids.length; k += 50_000) {
		await sql`insert into bench_pgr_edge select t.id, t.s, t.t, t.c, t.c from unnest(${ids.slice(k, k + 50_000)}::int8[], ${src.slice(k, k + 50_000)}::int8[],
			${dst.slice(k, k + 50_000)}::int8[], ${cost.slice(k, k + 50_000)}::float8[]) as t(id, s, t, c)`.execute(db);
	}
	await sql`analyze bench_pgr_edge`.execute(db);
	log(`[bench] pgRouting network: ${ids.length} edges (${g.edgeCount} road edges, split at ${c.count} centres, with door edges)`);
	return doors;
}

async function benchDataset(url: string, scale: string) {
	const db: Db = await openDb({ backend: 'server', url, poolSize: 4 });
	const engine = new CoverageEngine(db);
	// the in-memory model: load (network, buildings, households), then the timed recomputes
	let t = performance.now();
	const model = await engine.model();
	const load_ms = performance.now() - t;
	const net = model.network;
	log(
		`[bench] ${scale}: ${net.graph.nodeCount} nodes, ${net.graph.edgeCount} edges, ${net.buildings.count} buildings, ${net.centres.count} centres; load ${load_ms.toFixed(0)} ms`
	);
	if (SUGGEST_ONLY) {
		const s = await benchSuggestions(db, model, scale);
		await db.close();
		return { result: s.result, ratios: s.ratios, totals: s.totals };
	}
	computeService(net, DEFAULT_PARAMS); // warm-up (JIT)
	const fullRuns: number[] = [];
	for (let k = 0; k < 5; k++) {
		t = performance.now();
		computeService(net, DEFAULT_PARAMS);
		fullRuns.push(performance.now() - t);
	}
	const full_recompute_ms = quantile(fullRuns, 0.5);
	log(
		`[bench] ${scale}: full recompute of service coverage (5 levels, all buildings) p50 ${full_recompute_ms.toFixed(1)} ms (runs ${fullRuns.map((x) => x.toFixed(0)).join(', ')})`
	);

	// pgRouting on the same network
	const doors = await pgroutingTables(db.kysely, model);
	// pgRouting 3.4's equicost := true gives some nodes a cost that is not their least (up to 14 m
	// off on `district`; see pgRouting issue #552 and its kin): the least cost over all starts is
	// equicost := false with min() per node, which is what we time and check. equicost := true is
	// timed as well, for the record.
	const pgr = async (level: string, equicost: boolean) => {
		if (!doors[level].length) return { ms: 0, rows: [] as { node: number; agg_cost: number }[] };
		const started = performance.now();
		const dd = sql`pgr_drivingDistance('select id, source, target, cost, reverse_cost from bench_pgr_edge',
				${doors[level]}::bigint[], ${BOUND}::float8, directed => false, equicost => ${equicost})`;
		const { rows } = equicost
			? await sql<{ node: number; agg_cost: number }>`select node, agg_cost from ${dd}`.execute(db.kysely)
			: await sql<{ node: number; agg_cost: number }>`select node, min(agg_cost) as agg_cost from ${dd} group by node`.execute(db.kysely);
		return { ms: performance.now() - started, rows };
	};
	await pgr('district', false); // warm-up
	let pgrouting_ms = Infinity;
	let pgrouting_equicost_ms = Infinity;
	let anyRows: { node: number; agg_cost: number }[] = [];
	for (let round = 0; round < 3; round++) {
		let sum = 0,
			sumEq = 0;
		for (const level of SERVICE_LEVELS) {
			const r = await pgr(level, false);
			sum += r.ms;
			if (level === 'any') anyRows = r.rows;
			sumEq += (await pgr(level, true)).ms;
		}
		pgrouting_ms = Math.min(pgrouting_ms, sum);
		pgrouting_equicost_ms = Math.min(pgrouting_equicost_ms, sumEq);
	}
	// the same distances: every road node pgRouting reached within 1000 m has our distance
	const ours = multiSourceDijkstra(net.graph, centreSources(net, 'any').sources).dist;
	let checked = 0,
		worst = 0;
	for (const r of anyRows) {
		const n = Number(r.node) - 1;
		if (n >= net.graph.nodeCount) continue;
		worst = Math.max(worst, Math.abs(ours[n] - r.agg_cost));
		checked++;
	}
	let oursWithin = 0;
	for (let n = 0; n < net.graph.nodeCount; n++) if (ours[n] <= BOUND) oursWithin++;
	if (worst > 1e-6 || oursWithin !== checked)
		throw new Error(`pgRouting disagrees: ${checked} nodes vs our ${oursWithin} within ${BOUND} m, worst difference ${worst}`);
	log(
		`[bench] ${scale}: pgr_drivingDistance, 5 levels, best of 3: ${pgrouting_ms.toFixed(1)} ms (equicost := true: ${pgrouting_equicost_ms.toFixed(1)} ms); ${checked} road nodes within ${BOUND} m agree with ours (worst difference ${worst.toExponential(1)} m)`
	);
	await sql`drop table bench_pgr_edge`.execute(db.kysely);

	// what-if stations at seeded buildings
	const rand = rng(SEED);
	const whatifMs: number[] = [];
	await whatIf(db.kysely, model, net.buildings.lon[0], net.buildings.lat[0]); // warm-up
	for (let k = 0; k < WHATIF_SITES; k++) {
		const i = Math.floor(rand() * net.buildings.count);
		const started = performance.now();
		const w = await whatIf(db.kysely, await engine.model(), net.buildings.lon[i], net.buildings.lat[i]);
		whatifMs.push(performance.now() - started);
		if (!w.reach[2]) throw new Error('what-if without a reach polygon');
	}
	log(
		`[bench] ${scale}: what-if station (figures + 3 reach polygons) p50 ${quantile(whatifMs, 0.5).toFixed(1)} ms, p95 ${quantile(whatifMs, 0.95).toFixed(1)} ms`
	);

	// the stored recompute: everything ensureCoverage writes
	t = performance.now();
	const stored = await db.kysely.connection().execute((conn) => recomputeCoverage(conn, DEFAULT_PARAMS, { network: async () => net }));
	const stored_ms = performance.now() - t;
	log(`[bench] ${scale}: stored recompute (distances, gaps, blind spots, ranks, reach areas) ${stored_ms.toFixed(0)} ms ${JSON.stringify(stored.timings)}`);

	const suggest = await benchSuggestions(db, model, scale);
	await db.close();
	return {
		result: {
			full_recompute_ms: r1(full_recompute_ms),
			pgrouting_ms: r1(pgrouting_ms),
			ratio_vs_pgrouting: r3(full_recompute_ms / pgrouting_ms),
			pgrouting_equicost_ms: r1(pgrouting_equicost_ms),
			whatif_ms: r1(quantile(whatifMs, 0.95)),
			whatif_p50_ms: r1(quantile(whatifMs, 0.5)),
			load_ms: Math.round(load_ms),
			stored_recompute_ms: Math.round(stored_ms),
			buildings: net.buildings.count,
			road_edges: net.graph.edgeCount,
			centres: net.centres.count,
			...suggest.result
		},
		ratios: suggest.ratios,
		totals: suggest.totals
	};
}

/**
 * The site suggestion as the planner gets it (suggestFromCandidates under the route's Budget)
 * against HiGHS's exact optimum on community instances, and its time: the instance, greedy and
 * the local search (the candidates' query apart); also the whole district at k = 20, timed only.
 */
async function benchSuggestions(db: Db, model: CoverageModel, scale: string) {
	const ratios: number[] = [];
	const totals = { greedy: 0, optimum: 0 };
	const suggestMs: number[] = [];
	const result: Record<string, number> = {};
	if (scale !== 'district') return { result, ratios, totals };
	const { rows } = await sql<{
		code: string;
	}>`select code from area where level = 'community' order by md5(${String(SEED)} || code) limit ${SUGGEST_COMMUNITIES}`.execute(db.kysely);
	for (const { code } of rows) {
		const candidates = await candidateSites(db.kysely, model, code);
		for (const [k, circle] of [
			[3, 1],
			[5, 2]
		] as const) {
			const started = performance.now();
			const s = await suggestFromCandidates(model, [...candidates], { scope: code, k, circle }, new Budget());
			const ms = performance.now() - started;
			suggestMs.push(ms);
			const value = s.suggestions.reduce((a, x) => a + x.gain, 0);
			const { inst } = coverInstance(model, candidates, code, circle);
			const exact = await exactMaxCoverage(inst, k, { timeLimit: 60 });
			if (exact.status !== 'Optimal' || exact.value <= 0) {
				log(`[bench] suggest: ${code} k=${k}: exact ${exact.status}, optimum ${exact.value}: nothing to compare, skipped`);
				continue;
			}
			ratios.push(value / exact.value);
			totals.greedy += value;
			totals.optimum += exact.value;
			log(
				`[bench] suggest: community ${code} k=${k} circle ${circle}: ${candidates.length} candidates, ${inst.weights.length} demand buildings; suggested ${value} (${ms.toFixed(1)} ms${s.partial ? ', partial' : ''}${s.optimal ? ', proven optimal' : ''}) / optimum ${exact.value} = ${r3(value / exact.value)}`
			);
		}
	}
	// the largest request a planner can make: the whole district, k = 20
	const all = await candidateSites(db.kysely, model, '');
	const districtMs: number[] = [];
	for (const circle of [1, 2, 3] as const) {
		const started = performance.now();
		const s = await suggestFromCandidates(model, [...all], { scope: '', k: 20, circle }, new Budget()).catch((e: Error) => e);
		districtMs.push(performance.now() - started);
		if (s instanceof Error) {
			log(`[bench] suggest: whole district k=20 circle ${circle}: ${s.message} (${districtMs.at(-1)!.toFixed(0)} ms)`);
			continue;
		}
		log(
			`[bench] suggest: whole district k=20 circle ${circle}: ${all.length} candidates, ${s.demand_households} households beyond the circle; suggested ${s.suggestions.at(-1)?.cumulative ?? 0} (${districtMs.at(-1)!.toFixed(0)} ms${s.partial ? ', partial' : ''}${s.optimal ? ', proven optimal' : ''})`
		);
	}
	if (suggestMs.length) log(`[bench] suggest: community instances p50 ${quantile(suggestMs, 0.5).toFixed(1)} ms, max ${Math.max(...suggestMs).toFixed(1)} ms`);
	result.suggest_p50_ms = r1(quantile(suggestMs, 0.5));
	result.suggest_max_ms = r1(Math.max(...suggestMs));
	result.suggest_district_k20_max_ms = Math.round(Math.max(...districtMs));
	return { result, ratios, totals };
}

const cluster = await startCluster();
process.on('exit', () => cluster.stop());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const results: Record<string, unknown> = {};
const ratios: number[] = [];
const totals = { greedy: 0, optimum: 0 };
try {
	const build = FRESHNESS ? prepareBuild('data/tmp/bench-coverage/build') : '';
	for (const scale of SCALES) {
		const url = await ensureDataset(cluster.url, scale);
		const result: Record<string, unknown> = {};
		if (ENGINE) {
			const r = await benchDataset(url, scale);
			Object.assign(result, r.result);
			ratios.push(...r.ratios);
			totals.greedy += r.totals.greedy;
			totals.optimum += r.totals.optimum;
		}
		if (FRESHNESS) Object.assign(result, await benchFreshness(url, scale, build));
		results[scale] = result;
	}
} finally {
	cluster.stop();
}
if (ratios.length) {
	log(
		`[bench] greedy / optimum on ${ratios.length} instances: worst ${r3(Math.min(...ratios))}, mean ${r3(ratios.reduce((a, b) => a + b, 0) / ratios.length)}`
	);
}
// the households the suggestions cover, as a share of what the exact optimum covers, over all
// instances; the worst single instance beside it
if (ENGINE) {
	results.greedy_vs_optimum = totals.optimum ? r3(totals.greedy / totals.optimum) : null;
	results.greedy_vs_optimum_worst = ratios.length ? r3(Math.min(...ratios)) : null;
	results.greedy_instances = ratios.length;
}
console.log(JSON.stringify(results));
