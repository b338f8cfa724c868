// Stored coverage results (sql/007, in generations since sql/011) and the one query path to each
// figure.
//
// Writing: `refreshCoverage(db)` is the one writer. Under a session advisory lock (two processes
// never write at once; the other one skips, the results are being brought up to date) it reads
// what changed since the stored results (coverageState, recomputeKind) and then
//   - restamps them with the current data version when no input of theirs was written,
//   - recomputes the `result` part (gaps, blind spots, the index and ranks) when only
//     organisations, members, carers or areas were written — the distances stay,
//   - recomputes everything otherwise: the network loaded and searched in memory, distances per
//     building written, each centre's reach polygon buffered again only if its reached lines moved.
// A recompute writes a new generation (sql/011) and moves the pointers in its last, short
// transaction: readers see the previous results until then, and never a mix. On a server it runs
// in one REPEATABLE READ transaction (every row read belongs to one snapshot; readers are not
// held, MVCC); on the embedded database, which has one connection, in short transactions
// (`chunked`) so the queries of readers interleave. The results are stamped with a data version
// they reflect every write up to. Writing results bumps no version: the coverage tables have no
// triggers. area_stats, which the index reads, is brought up to date first by ensureAreaStats,
// under its own lock (the routes and tiles refresh it too).
//
// Reading: every consumer — map tiles, panel JSON, CSV/GeoJSON exports — calls the functions at
// the end of this file (or the SQL they share), each filtered by an area-code prefix `scope` (the
// caller's subtree; '' is everything), so the same figure is one query wherever it is shown. They
// read the views of sql/011, which show the generation served.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { ensureAreaStats } from '../db/queries/area-stats.ts';
import { Dijkstra } from './dijkstra.ts';
import type { RoadLink } from './graph.ts';
import { DISTANCE_RULES, GAP_RULES, GAP_RULE_SPECS, MEMBER_RULES, isKeyBuilding } from './gaps.ts';
import { changedBuildings, planLocal, unchangedCentres, withCurrentCentres, type LocalPlan, type ServedModel } from './incremental.ts';
import { writeBlindSpots } from './blind-spots.ts';
import { rankAreas, rankOrganisations } from './ranking.ts';
import { countVisits, visitFiguresStaleSql, visitRanksStaleSql, visitRollSql } from './visits.ts';
import { oneReach, piecesWkt, reachPolygonSql, reachedPieces } from './reach.ts';
import {
	CENTRE_LEVELS,
	DEFAULT_PARAMS,
	centreSources,
	checkParams,
	computeService,
	loadNetwork,
	type CoverageParams,
	type LoadStep,
	type Network,
	type ServiceLevel,
	type ServiceResult
} from './service.ts';

export interface RecomputeTimings {
	load_ms: number;
	service_ms: number;
	write_ms: number;
	gaps_ms: number;
	blind_spots_ms: number;
	/** the area figures and their roll-up (area_ms), the visit counts (visits_ms), both rankings */
	area_ms: number;
	visits_ms: number;
	rank_ms: number;
	reach_ms: number;
	/** dropping the previous generation, after the pointers moved */
	cleanup_ms: number;
	total_ms: number;
	/** the longest single transaction of the recompute (what an embedded reader may wait behind) */
	longest_step_ms: number;
}

const LOCK = sql`hashtext('jiceng.coverage')`;

/** the parts of the results, each a generation of its own (sql/011) */
export type CoveragePart = 'building' | 'reach' | 'result';
const GEN_SETTING: Record<CoveragePart, string> = { building: 'jiceng.gen_building', reach: 'jiceng.gen_reach', result: 'jiceng.gen_result' };
const GEN_TABLES: Record<CoveragePart, string[]> = {
	building: ['building_coverage_gen'],
	reach: ['reach_area_gen'],
	result: ['coverage_gap_gen', 'blind_spot_gen', 'area_coverage_gen', 'org_coverage_gen']
};
const GEN_POINTER: Record<CoveragePart, string> = { building: 'building_gen', reach: 'reach_gen', result: 'gen' };

/** What the stored results are, and what was written since. */
export interface CoverageState {
	/** the data version now */
	current: number;
	/** every write up to this data version is in the stored results; null: there are none */
	computed: number | null;
	computedAt: Date | null;
	params: unknown;
	/** the data version the distances were computed from */
	networkVersion: number | null;
	gens: Record<CoveragePart, number | null>;
	/** the data version of the last write to the network's tables, and to the organisations' (sql/011) */
	inputs: { network: number; org: number };
	/** visit writes applied to the served figures (sql/023): tile caches of coverage layers key on it */
	visitRoll: number;
	/** the served visit figures are of another day, or may miss visits written during a recompute */
	visitsStale: boolean;
	/** visits moved the served index since the ranks were ranked (sql/027) */
	ranksStale: boolean;
	/** visit changes wait in the queue (sql/030): a writer's pass ended early, or its process stopped */
	visitsPending: boolean;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function coverageState(db: Kysely<Database>): Promise<CoverageState> {
	const {
		rows: [r]
	} = await sql<Record<string, unknown>>`
		select d.version as current, r.data_version as computed, r.computed_at, r.params, r.network_version,
		       r.gen, r.building_gen, r.reach_gen,
		       (select version from coverage_input where part = 'network') as network_input,
		       (select version from coverage_input where part = 'org') as org_input,
		       ${visitRollSql} as visit_roll, coalesce(${visitFiguresStaleSql}, false) as visits_stale,
		       coalesce(${visitRanksStaleSql}, false) as ranks_stale, visit_changes_pending() as visits_pending
		from data_version d left join coverage_run r on r.id = 1
		where d.id = 1`.execute(db);
	const current = Number(r.current);
	return {
		current,
		computed: num(r.computed),
		computedAt: (r.computed_at as Date | null) ?? null,
		params: r.params,
		networkVersion: num(r.network_version),
		gens: { result: num(r.gen), building: num(r.building_gen), reach: num(r.reach_gen) },
		inputs: { network: num(r.network_input) ?? current, org: num(r.org_input) ?? current },
		visitRoll: Number(r.visit_roll),
		visitsStale: r.visits_stale === true,
		ranksStale: r.ranks_stale === true,
		visitsPending: r.visits_pending === true
	};
}

// jsonb reorders keys: compare field by field
const sameParams = (a: unknown, b: CoverageParams) => {
	const p = a as CoverageParams | null;
	return !!p && p.walkingSpeed === b.walkingSpeed && p.reachBuffer === b.reachBuffer && JSON.stringify(p.circles) === JSON.stringify([...b.circles]);
};
const paramsJson = (p: CoverageParams) => ({ walkingSpeed: p.walkingSpeed, circles: [...p.circles], reachBuffer: p.reachBuffer });

/**
 * What bringing the stored results up to date takes: nothing; a new stamp (only tables they are
 * not made of were written); the `result` part (organisations, members, carers or areas were
 * written, not the network); or everything.
 */
export type RecomputeKind = 'none' | 'restamp' | 'result' | 'full';

export function recomputeKind(s: CoverageState, params: CoverageParams): RecomputeKind {
	if (s.computed === null || s.networkVersion === null || s.gens.result === null || s.gens.building === null || s.gens.reach === null) return 'full';
	if (!sameParams(s.params, params) || s.inputs.network > s.networkVersion) return 'full';
	if (s.computed >= s.current) return 'none';
	if (s.inputs.org > s.computed || s.inputs.network > s.computed) return 'result';
	return 'restamp';
}

/** Whether the stored results are current for `params` (every write so far is in them). */
export const isFresh = (s: CoverageState, params: CoverageParams) => recomputeKind(s, params) === 'none';

/** Whether the stored results reflect every write up to data version `target` (default: now), for `params`. */
export function reflects(s: CoverageState, params: CoverageParams, target = s.current): boolean {
	return (
		s.computed !== null && s.computed >= target && s.gens.result !== null && s.gens.building !== null && s.gens.reach !== null && sameParams(s.params, params)
	);
}

export interface RecomputeOptions {
	/** an in-memory network, if the caller holds one (CoverageEngine): used when it is of the data version read */
	network?: () => Promise<Network | null>;
	log?: (line: string) => void;
	/** 'full' (the default) or 'result': gaps, blind spots, index and ranks only, the distances and reach kept */
	kind?: 'full' | 'result';
	/** the engine's model, if it holds one: an incremental recompute of centre writes searches its network again */
	model?: () => Promise<ServedModel | null>;
	/** an incremental recompute (incremental.ts): only what the writes of the plan touched */
	local?: LocalPlan;
	/** write in short transactions (the embedded database) rather than one REPEATABLE READ transaction */
	chunked?: boolean;
}

export interface RecomputeOutcome {
	/** every write up to this data version is in the results */
	version: number;
	/** 'local': incremental (incremental.ts), the distances too when `result` is set */
	kind: 'full' | 'result' | 'local';
	gen: number;
	/** false when a newer generation was served first (this one was dropped) */
	flipped: boolean;
	timings: RecomputeTimings;
	/** the network the results were computed from */
	network: Network;
	/** the service result computed ('full', and 'local' after centre writes) */
	result: ServiceResult | null;
	/** 'local': how many buildings the writes touched (their rows were derived again, the rest copied) */
	touched: number | null;
	/** the building generation served after it, and the data version its distances are of (coverage_run.network_version) */
	buildingGen: number | null;
	distancesVersion: number | null;
}

export type RefreshOutcome =
	| { kind: 'none' | 'restamp'; version: number }
	| ({ kind: 'full' | 'result' | 'local' } & RecomputeOutcome)
	/** another process holds the lock: it is bringing the results up to date */
	| { kind: 'busy' };

/**
 * The one writer of the stored results: brings them up to date if the data or the parameters
 * changed (see recomputeKind), under a session advisory lock; `busy` when another process holds it.
 */
export async function refreshCoverage(
	db: Db,
	params: CoverageParams = DEFAULT_PARAMS,
	opts: Omit<RecomputeOptions, 'kind' | 'chunked' | 'local'> = {}
): Promise<RefreshOutcome> {
	checkParams(params);
	const s = await coverageState(db.kysely);
	if (isFresh(s, params)) return { kind: 'none', version: s.computed! };
	const chunked = db.backend === 'embedded';
	const locked = async (conn: Kysely<Database>): Promise<RefreshOutcome> => {
		const again = await coverageState(conn);
		const kind = recomputeKind(again, params);
		if (kind === 'none') return { kind, version: again.computed! };
		if (kind !== 'restamp') {
			const local = await localPlan(conn, again, params, opts.model);
			if (local) return recomputeLocked(conn, params, { ...opts, chunked, kind: 'result', local });
		}
		if (kind === 'restamp') {
			// in one statement: only if still nothing the results are made of was written
			const r = await sql`
				update coverage_run r set data_version = d.version, computed_at = now()
				from data_version d
				where r.id = 1 and d.id = 1 and r.gen = ${again.gens.result}
				  and (select max(version) from coverage_input) <= r.data_version`.execute(conn);
			if (Number(r.numAffectedRows ?? 0) === 1) return { kind, version: (await coverageState(conn)).computed! };
			// an input was written meanwhile: recompute what it touched
			const now = recomputeKind(await coverageState(conn), params);
			if (now === 'none') return { kind: now, version: (await coverageState(conn)).computed! };
			return recomputeLocked(conn, params, { ...opts, chunked, kind: now === 'full' ? 'full' : 'result' });
		}
		return recomputeLocked(conn, params, { ...opts, chunked, kind });
	};
	// the embedded database is one process and one session: writers queue in this process
	if (chunked) return inTurn(db, () => locked(db.kysely));
	return db.kysely.connection().execute(async (conn) => {
		const {
			rows: [got]
		} = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${LOCK}) as ok`.execute(conn);
		if (!got.ok) return { kind: 'busy' } as const;
		try {
			return await locked(conn);
		} finally {
			await sql`select pg_advisory_unlock(${LOCK})`.execute(conn);
		}
	});
}

const writing = new WeakMap<Db, Promise<unknown>>();

/** Runs `fn` after every earlier writer of `db` in this process has finished (the embedded database's lock). */
function inTurn<T>(db: Db, fn: () => Promise<T>): Promise<T> {
	const run = (writing.get(db) ?? Promise.resolve()).then(fn);
	writing.set(
		db,
		run.catch(() => {})
	);
	return run;
}

/**
 * The incremental plan for the results `s` describes (incremental.ts), or null: it applies only
 * when the results served are whole, for these parameters, and at most their distances are stale.
 */
async function localPlan(db: Kysely<Database>, s: CoverageState, params: CoverageParams, model: RecomputeOptions['model']): Promise<LocalPlan | null> {
	const { computed, networkVersion, gens } = s;
	if (computed === null || networkVersion === null || gens.result === null || gens.building === null || gens.reach === null) return null;
	if (!sameParams(s.params, params)) return null;
	return planLocal(
		db,
		{ computed, buildingGen: gens.building, networkVersion, distancesStale: s.inputs.network > networkVersion },
		model ? await model().catch(() => null) : null
	);
}

async function recomputeLocked(db: Kysely<Database>, params: CoverageParams, opts: RecomputeOptions): Promise<RefreshOutcome> {
	const outcome = await recomputeCoverage(db, params, opts);
	return { ...outcome, kind: outcome.kind };
}

/**
 * How much of the work one short transaction does on the embedded database (chunked), sized so
 * none holds readers for more than a tenth of a second or so at district scale: buildings read
 * per statement while loading, distance rows written, reach polygons buffered.
 */
export const CHUNK = { load: 2500, write: 4000, reach: 24 } as const;

/** A piece of the recompute, in a transaction with the recompute's settings. */
type Step = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * Lets the event loop run before the next statement of the embedded database: PGlite answers in
 * this thread and resolves its promises at once, so back-to-back statements would hold every
 * request (and timer) of the process until the last one; and queued queries go first.
 */
export const breathe = () => new Promise<void>((ok) => setImmediate(ok));

/**
 * Runs `body` with a step runner: one REPEATABLE READ transaction for all steps, or (chunked) a
 * short transaction per step. Every transaction counts every household (scope '*': the system's
 * own work), is no request (the app role's time limits, sql/010, are lifted), runs without JIT
 * and sees the generation being written of each part in `writing` through the views.
 */
async function withSteps<T>(
	db: Kysely<Database>,
	chunked: boolean,
	writing: Partial<Record<CoveragePart, number>>,
	body: (step: Step, longest: () => number) => Promise<T>
): Promise<T> {
	const gens = Object.entries(writing).map(([part, gen]) => sql`, set_config(${GEN_SETTING[part as CoveragePart]}, ${String(gen)}, true)`);
	// JIT off: PostGIS functions' high declared costs make PostgreSQL compile the recompute's
	// queries, seconds of LLVM for queries that run in a fraction of that (as for tiles)
	const settings = (trx: Kysely<Database>) =>
		sql`
		select set_config('jiceng.scope', '*', true), set_config('statement_timeout', '10min', true),
		       set_config('idle_in_transaction_session_timeout', '10min', true), set_config('jit', 'off', true)${sql.join(gens, sql``)}`.execute(trx);
	let longest = 0;
	if (!chunked) {
		return db
			.transaction()
			.setIsolationLevel('repeatable read')
			.execute(async (trx) => {
				const t = performance.now();
				await settings(trx);
				const out = await body(
					(fn) => fn(trx),
					() => longest
				);
				longest = performance.now() - t;
				return out;
			});
	}
	const step: Step = async (fn) => {
		await breathe();
		return db.transaction().execute(async (trx) => {
			const t = performance.now();
			await settings(trx);
			const out = await fn(trx);
			longest = Math.max(longest, performance.now() - t);
			return out;
		});
	};
	return body(step, () => longest);
}

/**
 * Recomputes the stored results into a new generation and serves it (see the top of this file);
 * always (refreshCoverage skips it when nothing changed). Not under the lock: one caller at a time.
 */
export async function recomputeCoverage(db: Kysely<Database>, params: CoverageParams = DEFAULT_PARAMS, opts: RecomputeOptions = {}): Promise<RecomputeOutcome> {
	checkParams(params);
	const log = opts.log ?? (() => {});
	const kind = opts.kind ?? 'full';
	const local = kind === 'result' ? opts.local : undefined;
	// the distances (and reach) are written: a full run, or an incremental one after centre writes
	const distances = kind === 'full' || !!local?.centres;
	const chunked = opts.chunked ?? false;
	const t0 = performance.now();
	let t = t0;
	const lap = () => {
		const now = performance.now();
		const d = now - t;
		t = now;
		return Math.round(d);
	};
	// area_stats (sql/005) holds the organisation counts the index reads: bring it up to date, under its lock
	const stats = await ensureAreaStats(db);
	const {
		rows: [g]
	} = await sql<{ gen: number; reach: number | null; building: number | null; result: number | null }>`
		select nextval('coverage_gen_seq')::int4 as gen, (select reach_gen from coverage_run where id = 1) as reach,
		       (select building_gen from coverage_run where id = 1) as building, (select gen from coverage_run where id = 1) as result`.execute(db);
	const gen = Number(g.gen);
	// a server's local recompute after centre writes rewrites the few distance rows and reach polygons
	// that moved in the generations served, in its one transaction (readers see them change at its
	// commit, with the new results): copying the rest to new generations was most of its time (the
	// 153,000 distance rows of chaoyang, 0.6–1.2 s). Short transactions (embedded) must not: readers
	// would see the rows change before the rest.
	const inPlace = !chunked && !!local?.centres && g.building !== null && g.reach !== null;
	const buildingGen = inPlace ? Number(g.building) : gen;
	const reachGen = inPlace ? Number(g.reach) : gen;
	const writing: Partial<Record<CoveragePart, number>> = distances ? { building: buildingGen, reach: reachGen, result: gen } : { result: gen };
	const outcome = await withSteps(db, chunked, writing, async (step, longest) => {
		const {
			rows: [v]
		} = await step((trx) =>
			sql<{ v: number; stats: number | null; network_input: number; network_version: number | null }>`
			select (select version from data_version where id = 1) as v, (select data_version from area_stats_state where id = 1) as stats,
			       (select version from coverage_input where part = 'network') as network_input,
			       (select network_version from coverage_run where id = 1) as network_version`.execute(trx)
		);
		const version = Number(v.v);
		// every write up to `stamp` is in every figure: area_stats may be a version behind the rest,
		// and a `result` run keeps distances that a network write since it was planned is not in
		let stamp = Math.min(version, Number(v.stats ?? stats));
		if (kind === 'result' && !local?.centres && v.network_version !== null && Number(v.network_input) > Number(v.network_version)) {
			stamp = Math.min(stamp, Number(v.network_input) - 1);
		}
		// an incremental run claims no write after the log it was planned from
		if (local) stamp = Math.min(stamp, local.upTo);
		let network = opts.network ? await opts.network() : null;
		if (local?.centres) {
			// the model's roads and buildings with the centres as they are now (incremental.ts)
			network = await withCurrentCentres(step as LoadStep, local.model!.network, local.upTo);
		} else if (!network || (kind === 'full' && network.dataVersion !== version)) {
			network = await loadNetwork(step as LoadStep, chunked ? CHUNK.load : Infinity);
		}
		const net = network;
		const load_ms = lap();
		const result = distances ? computeService(net, params) : null;
		// incremental: the buildings whose distance rows move (the rest are copied from the generation served)
		const moved = local?.centres && result ? changedBuildings({ net: local.model!.network, r: local.model!.service }, { net, r: result }) : null;
		const service_ms = lap();
		const writeChunk = chunked ? CHUNK.write : 40_000;
		if (result && moved && inPlace) {
			const ids = moved.map((i) => net.buildings.id[i]);
			await step((trx) => sql`delete from building_coverage_gen where gen = ${buildingGen}::int4 and building_id = any(${ids}::int8[])`.execute(trx));
			await writeBuildingCoverage(step, net, result, writeChunk, moved);
		} else if (result && moved) {
			const ids = moved.map((i) => net.buildings.id[i]);
			await step((trx) =>
				sql`insert into building_coverage_gen (gen, building_id, grid_code, households, access_m, any_centre_id, any_m,
					district_centre_id, district_m, street_centre_id, street_m, community_centre_id, community_m,
					station_centre_id, station_m, circle)
				select ${gen}::int4, building_id, grid_code, households, access_m, any_centre_id, any_m,
					district_centre_id, district_m, street_centre_id, street_m, community_centre_id, community_m,
					station_centre_id, station_m, circle
				from building_coverage_gen where gen = ${g.building}::int4 and building_id <> all(${ids}::int8[])`.execute(trx)
			);
			await writeBuildingCoverage(step, net, result, writeChunk, moved);
		} else if (result) await writeBuildingCoverage(step, net, result, writeChunk);
		const write_ms = lap();
		// incremental: a centre's reach depends on its own place and the roads alone (unchanged here), so
		// only centres added or moved are searched again; the rest keep their polygons
		const unchanged = local?.centres ? unchangedCentres(local.model!.network, net) : undefined;
		const reaches = result
			? await writeReachAreas(step, net, params, g.reach === null ? null : Number(g.reach), chunked ? CHUNK.reach : 300, unchanged, inPlace)
			: null;
		const reach_ms = lap();
		// incremental: the buildings touched (distances moved, members written) and their grids
		const touched = local ? [...new Set([...(moved ?? []).map((i) => net.buildings.id[i]), ...local.buildings])] : [];
		if (local) {
			// the rows of the generation served that the writes cannot have changed, then the rest again
			const again = [...(local.centres ? DISTANCE_RULES : []), ...(local.buildings.length ? MEMBER_RULES : [])];
			await step((trx) =>
				sql`insert into coverage_gap (rule, object_id, area_code, households, detail)
				select rule, object_id, area_code, households, detail from coverage_gap_gen
				where gen = ${g.result}::int4
				  and not (rule = any(${DISTANCE_RULES}::text[]) and ${local.centres})
				  and not (rule = any(${MEMBER_RULES}::text[]) and object_id = any(${local.buildings.map(String)}::text[]))`.execute(trx)
			);
			for (const rule of again) {
				const only = (DISTANCE_RULES as readonly string[]).includes(rule) ? undefined : local.buildings;
				await step((trx) =>
					sql`insert into coverage_gap (rule, object_id, area_code, households, detail)
					select ${rule}, q.object_id, q.area_code, q.households, q.detail from (${GAP_RULE_SPECS[rule].query(only)}) q`.execute(trx)
				);
			}
		} else {
			for (const rule of GAP_RULES) {
				await step((trx) =>
					sql`insert into coverage_gap (rule, object_id, area_code, households, detail)
					select ${rule}, q.object_id, q.area_code, q.households, q.detail from (${GAP_RULE_SPECS[rule].query()}) q`.execute(trx)
				);
			}
		}
		const gaps_ms = lap();
		const grids = local
			? (await step((trx) => sql<{ grid_code: string }>`select distinct grid_code from building where id = any(${touched}::int8[])`.execute(trx))).rows.map(
					(r) => r.grid_code
				)
			: null;
		const spots = await step((trx) => writeBlindSpots(trx, net.graph.frame.lat0, grids === null ? undefined : { grids, keep: Number(g.result) }));
		const blind_spots_ms = lap();
		await step((trx) => writeAreaCoverage(trx));
		const area_ms = lap();
		await step((trx) => countVisits(trx));
		const visits_ms = lap();
		await step((trx) => rankAreas(trx));
		await step((trx) => rankOrganisations(trx));
		const rank_ms = lap();

		const counts: Record<string, number> = {
			nodes: network.graph.nodeCount,
			edges: network.graph.edgeCount,
			buildings: net.buildings.count,
			centres: net.centres.count,
			blind_spots: spots,
			...(reaches === null ? {} : { reach_areas: reaches }),
			...(result === null ? {} : { road_links: net.graph.links.length, unreachable_buildings: unreachable(result) }),
			...(local ? { touched_buildings: touched.length } : {})
		};
		// the links of the network the distances come from: written with them (a full run), kept otherwise
		const links = result === null || local ? null : JSON.stringify(net.graph.links.map(linkJson));
		const seconds = (performance.now() - t0) / 1000;
		const distancesVersion = kind === 'full' ? version : local?.centres ? local.upTo : null;
		// the pointers move forward only: a run that lost the race to a newer generation is dropped
		const pointers = await step((trx) =>
			sql`
			insert into coverage_run (id, data_version, computed_at, params, seconds, counts, gen, building_gen, reach_gen, network_version, road_links)
			values (1, ${stamp}, now(), ${JSON.stringify(paramsJson(params))}::jsonb, ${seconds}, ${JSON.stringify(counts)}::jsonb, ${gen},
			        ${distances ? buildingGen : null}::int4, ${distances ? reachGen : null}::int4, ${distancesVersion}::int8,
			        coalesce(${links}::jsonb, '[]'::jsonb))
			on conflict (id) do update set data_version = excluded.data_version, computed_at = excluded.computed_at,
				params = excluded.params, seconds = excluded.seconds, counts = coverage_run.counts || excluded.counts, gen = excluded.gen,
				building_gen = coalesce(excluded.building_gen, coverage_run.building_gen),
				reach_gen = coalesce(excluded.reach_gen, coverage_run.reach_gen),
				network_version = coalesce(excluded.network_version, coverage_run.network_version),
				road_links = case when ${links}::jsonb is null then coverage_run.road_links else excluded.road_links end
			where coverage_run.gen is null or coverage_run.gen < excluded.gen
			returning 1 as moved`.execute(trx)
		);
		const timings = {
			load_ms,
			service_ms,
			write_ms,
			gaps_ms,
			blind_spots_ms,
			area_ms,
			visits_ms,
			rank_ms,
			reach_ms,
			cleanup_ms: 0,
			total_ms: Math.round(performance.now() - t0),
			longest_step_ms: Math.round(longest())
		};
		const flipped = pointers.rows.length > 0;
		// the log's rows these results reflect are spent (incremental.ts reads what came after)
		if (flipped) {
			await step((trx) =>
				// … and area_stats's (sql/024 reads them too): kept until both reflect them
				sql`delete from coverage_change where version <= (select least(r.data_version, r.network_version, s.data_version)
					from coverage_run r cross join area_stats_state s where r.id = 1 and s.id = 1)`.execute(trx)
			);
		}
		const out: RecomputeOutcome = {
			version: stamp,
			kind: local ? ('local' as const) : kind,
			gen,
			flipped,
			timings,
			network: net,
			result,
			touched: local ? touched.length : null,
			buildingGen: distances ? buildingGen : g.building === null ? null : Number(g.building),
			distancesVersion
		};
		// a newer generation was served first: rows rewritten in place must not stay (the transaction is undone)
		if (!flipped && inPlace) throw new Superseded(out);
		return out;
	}).catch((e: unknown) => {
		if (!(e instanceof Superseded)) throw e;
		log(`generation ${gen}: superseded before it was served, its rows rewritten in place undone`);
		return e.outcome;
	});
	// the previous generations: a reader still in one keeps its snapshot (server); none is served
	const cleanup = await dropOldGenerations(db, chunked);
	outcome.timings.cleanup_ms = cleanup.ms;
	outcome.timings.longest_step_ms = Math.max(outcome.timings.longest_step_ms, cleanup.longest);
	outcome.timings.total_ms = Math.round(performance.now() - t0);
	log(
		`data version ${outcome.version} (${outcome.kind}, generation ${gen}${outcome.flipped ? '' : ', superseded'}${outcome.touched === null ? '' : `, ${outcome.touched} buildings touched`}): ${JSON.stringify(outcome.timings)}`
	);
	return outcome;
}

/** a local recompute writing in place found a newer generation served (the pointers move forward only) */
class Superseded extends Error {
	readonly outcome: RecomputeOutcome;
	constructor(outcome: RecomputeOutcome) {
		super('superseded');
		this.outcome = outcome;
	}
}

/**
 * Deletes the generations older than the ones served (a newer one may be being written). Chunked:
 * 5,000 rows a statement, then VACUUM — the embedded database has no autovacuum, and every
 * recompute leaves a generation of dead rows behind.
 */
async function dropOldGenerations(db: Kysely<Database>, chunked: boolean): Promise<{ ms: number; longest: number }> {
	const t0 = performance.now();
	let longest = 0;
	const timed = async <T>(q: () => Promise<T>) => {
		if (chunked) await breathe();
		const t = performance.now();
		const out = await q();
		longest = Math.max(longest, performance.now() - t);
		return out;
	};
	for (const part of ['building', 'reach', 'result'] as const) {
		const older = sql`gen < (select ${sql.ref(GEN_POINTER[part])} from coverage_run where id = 1)`;
		for (const table of GEN_TABLES[part]) {
			if (!chunked) {
				await timed(() => sql`delete from ${sql.table(table)} where ${older}`.execute(db));
				continue;
			}
			let deleted = 0;
			for (;;) {
				const r = await timed(() =>
					sql`delete from ${sql.table(table)}
					where ctid = any(array(select ctid from ${sql.table(table)} where ${older} limit 5000))`.execute(db)
				);
				const n = Number(r.numAffectedRows ?? 0);
				deleted += n;
				if (n < 5000) break;
			}
			if (deleted) await timed(() => sql`vacuum (analyze) ${sql.table(table)}`.execute(db));
		}
	}
	return { ms: Math.round(performance.now() - t0), longest: Math.round(longest) };
}

/** buildings whose piece of the network reaches no centre (the gap rule building_unreachable) */
const unreachable = (r: ServiceResult) => r.levels.any.dist.reduce((n, d) => n + (Number.isFinite(d) ? 0 : 1), 0);

const linkJson = (l: RoadLink) => ({ from_road: l.fromRoad, to_road: l.toRoad, metres: Math.round(l.metres * 10) / 10, from: l.from, to: l.to });

const finite = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

/** Writes the distance rows of every building, or of the buildings `only` (indexes into net.buildings). */
async function writeBuildingCoverage(step: Step, net: Network, r: ServiceResult, chunk: number, only?: readonly number[]) {
	const b = net.buildings;
	const count = only ? only.length : b.count;
	const at = only ? (k: number) => only[k] : (k: number) => k;
	const centreId = (level: ServiceLevel, i: number) => {
		const c = r.levels[level].centre[i];
		return c >= 0 ? net.centres.id[c] : null;
	};
	for (let start = 0; start < count; start += chunk) {
		const end = Math.min(count, start + chunk);
		const col = <T>(f: (i: number) => T) => {
			const out: T[] = [];
			for (let k = start; k < end; k++) out.push(f(at(k)));
			return out;
		};
		const per = (level: ServiceLevel) => [col((i) => centreId(level, i)), col((i) => finite(r.levels[level].dist[i]))];
		const [anyC, anyM] = per('any');
		const [dC, dM] = per('district');
		const [sC, sM] = per('street');
		const [cC, cM] = per('community');
		const [tC, tM] = per('station');
		await step((trx) =>
			sql`insert into building_coverage (building_id, grid_code, households, access_m, any_centre_id, any_m,
				district_centre_id, district_m, street_centre_id, street_m, community_centre_id, community_m,
				station_centre_id, station_m, circle)
			select * from unnest(${col((i) => b.id[i])}::int8[], ${col((i) => b.gridCode[i])}::text[], ${col((i) => b.households[i])}::int4[],
				${col((i) => finite(b.access[i]))}::float4[], ${anyC}::int8[], ${anyM}::float4[], ${dC}::int8[], ${dM}::float4[],
				${sC}::int8[], ${sM}::float4[], ${cC}::int8[], ${cM}::float4[], ${tC}::int8[], ${tM}::float4[], ${col((i) => r.circle[i])}::int2[])`.execute(trx)
		);
	}
}

async function writeAreaCoverage(trx: Kysely<Database>) {
	await sql`
		insert into area_coverage (code, level, households, hh_5min, hh_10min, hh_15min, hh_cared, grids, grids_with_branch,
			member_buildings, member_buildings_covered, key_buildings, key_buildings_covered, orgs, orgs_with_secretary,
			blind_spots, hh_in_blind_spots)
		with contrib (code, hh, h5, h10, h15, uncared, kb, kbc, orgs, orgs_sec, spots, spot_hh) as (
			select grid_code, households, households * (circle between 1 and 1)::int, households * (circle between 1 and 2)::int,
			       households * (circle between 1 and 3)::int, 0, 0, 0, 0, 0, 0, 0
			from building_coverage
			union all
			-- households no one looks after, among those the generation's buildings hold: a run that keeps
			-- an older buildings part (a 'result' run) sees households written since, which the full run
			-- their write scheduled will count; uncounted here, cared can never go below zero
			select g.area_code, 0, 0, 0, 0, least(g.households, coalesce(bc.households, 0)), 0, 0, 0, 0, 0, 0
			from coverage_gap g left join building_coverage bc on bc.building_id = g.object_id::int8
			where g.rule = 'household_uncared'
			union all
			select b.grid_code, 0, 0, 0, 0, 0, 1,
			       (not exists (select 1 from coverage_gap g where g.rule = 'key_building_unorganised' and g.object_id = b.id::text))::int,
			       0, 0, 0, 0
			from building b where ${isKeyBuilding(sql`b`)}
			union all
			select coalesce(o.area_code, b.grid_code), 0, 0, 0, 0, 0, 0, 0, 1, (o.secretary_id is not null)::int, 0, 0
			from party_org o left join building b on b.id = o.building_id
			union all
			select grid_code, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, households from blind_spot
		), own as (
			-- each code's own sums first: the roll-up below then walks a few hundred codes, not every building
			select code, sum(hh) as hh, sum(h5) as h5, sum(h10) as h10, sum(h15) as h15, sum(uncared) as uncared,
			       sum(kb) as kb, sum(kbc) as kbc, sum(orgs) as orgs, sum(orgs_sec) as orgs_sec, sum(spots) as spots, sum(spot_hh) as spot_hh
			from contrib group by code
		), rolled as (
			select a as code, sum(hh) as hh, sum(h5) as h5, sum(h10) as h10, sum(h15) as h15, sum(uncared) as uncared,
			       sum(kb) as kb, sum(kbc) as kbc, sum(orgs) as orgs, sum(orgs_sec) as orgs_sec, sum(spots) as spots, sum(spot_hh) as spot_hh
			from own, unnest(area_code_ancestors(code)) as a group by a
		)
		select ar.code, ar.level, coalesce(r.hh, 0), coalesce(r.h5, 0), coalesce(r.h10, 0), coalesce(r.h15, 0),
		       coalesce(r.hh, 0) - coalesce(r.uncared, 0),
		       coalesce(s.grids, 0), coalesce(s.grids_with_branch, 0), coalesce(s.member_buildings, 0), coalesce(s.member_buildings_covered, 0),
		       coalesce(r.kb, 0), coalesce(r.kbc, 0), coalesce(r.orgs, 0), coalesce(r.orgs_sec, 0), coalesce(r.spots, 0), coalesce(r.spot_hh, 0)
		from area ar left join rolled r on r.code = ar.code left join area_stats s on s.code = ar.code`.execute(trx);
}

/**
 * Reach polygons of every centre for each circle; returns how many there are. A polygon whose
 * reached lines (and band, frame, threshold, level, area) are those of the previous generation's
 * is copied from it rather than buffered again: a write elsewhere moves few centres' reach.
 */
async function writeReachAreas(
	step: Step,
	net: Network,
	params: CoverageParams,
	previousGen: number | null,
	batch: number,
	unchangedCentreIds?: ReadonlySet<number>,
	inPlace = false
): Promise<number> {
	// the polygons of unchanged centres are copied from the previous generation unsearched: without
	// one, every centre is searched (and the hash check below still copies what did not move)
	const unchanged = previousGen === null ? undefined : unchangedCentreIds;
	let stayed = 0;
	if (inPlace) {
		// the generation written is the previous one: the unchanged centres' polygons stay where they
		// are, the rest (centres added, moved or removed) go, and those centres are drawn again below
		const keep = [...(unchanged ?? [])];
		await step((trx) => sql`delete from reach_area_gen where gen = ${previousGen}::int4 and not (centre_id = any(${keep}::int8[]))`.execute(trx));
		const { rows } = await step((trx) => sql<{ n: number }>`select count(*)::int4 as n from reach_area_gen where gen = ${previousGen}::int4`.execute(trx));
		stayed = Number(rows[0].n);
	}
	const search = new Dijkstra(net.graph);
	const { sources, index } = centreSources(net, 'any');
	const limit = params.circles[2];
	const f = net.graph.frame;
	const drawnFrom = `${params.reachBuffer}|${f.lon0}|${f.lat0}|${f.mx}|${f.my}`;
	const previous = new Map<string, string>();
	if (previousGen !== null && !inPlace) {
		const { rows } = await step((trx) =>
			sql<{ centre_id: number; circle: number; hash: string }>`
			select centre_id, circle, hash from reach_area_gen where gen = ${previousGen}`.execute(trx)
		);
		for (const r of rows) previous.set(`${Number(r.centre_id)}/${r.circle}`, r.hash);
	}
	const kept = { ids: [] as number[], circles: [] as number[] };
	const ids: number[] = [],
		circles: number[] = [],
		thresholds: number[] = [],
		levels: string[] = [],
		codes: string[] = [],
		hashes: string[] = [],
		wkts: string[] = [];
	let written = 0;
	const flush = async () => {
		if (!ids.length) return;
		await step(async (trx) => {
			const r = await sql`insert into reach_area (centre_id, circle, threshold_m, level, area_code, hash, geom)
				select t.id, t.circle, t.threshold, t.level, t.code, t.hash, ${reachPolygonSql(net.graph, sql`t.w`, params.reachBuffer)}
				from unnest(${ids}::int8[], ${circles}::int2[], ${thresholds}::float4[], ${levels}::text[], ${codes}::text[], ${hashes}::text[], ${wkts}::text[])
				  as t(id, circle, threshold, level, code, hash, w)`.execute(trx);
			// the embedded PostGIS answers a failed GEOS call with no rows rather than an error: then
			// write them one by one, each with the fallbacks of reach.ts
			if (Number(r.numAffectedRows ?? 0) !== ids.length) {
				await sql`delete from reach_area where centre_id = any(${ids}::int8[])`.execute(trx);
				for (let k = 0; k < ids.length; k++) {
					await oneReach(
						trx,
						net.graph,
						wkts[k],
						params.reachBuffer,
						(variant) => sql<{ gj: number }>`
						insert into reach_area (centre_id, circle, threshold_m, level, area_code, hash, geom)
						select ${ids[k]}::int8, ${circles[k]}::int2, ${thresholds[k]}::float4, ${levels[k]}::text, ${codes[k]}::text, ${hashes[k]}::text,
						       ${reachPolygonSql(net.graph, sql`${wkts[k]}::text`, params.reachBuffer, variant)}
						returning 1 as gj`
					);
				}
			}
		});
		written += ids.length;
		for (const a of [ids, circles, thresholds, levels, codes, hashes, wkts]) a.length = 0;
	};
	// a centre's searches go by centre: one with several polygons to buffer stays in one batch
	for (let k = 0; k < sources.length; k++) {
		const c = index[k];
		if (unchanged?.has(net.centres.id[c])) continue;
		const r = search.run([sources[k]], limit);
		for (let circle = 1; circle <= 3; circle++) {
			const wkt = piecesWkt(reachedPieces(net.graph, r.dist, r.reached, [sources[k]], params.circles[circle - 1]));
			if (wkt.endsWith('EMPTY')) continue;
			const id = net.centres.id[c];
			const hash = createHash('sha1')
				.update(`${drawnFrom}|${params.circles[circle - 1]}|${net.centres.level[c]}|${net.centres.areaCode[c]}|${wkt}`)
				.digest('base64url');
			if (previous.get(`${id}/${circle}`) === hash) {
				kept.ids.push(id);
				kept.circles.push(circle);
				continue;
			}
			ids.push(id);
			circles.push(circle);
			thresholds.push(params.circles[circle - 1]);
			levels.push(net.centres.level[c]);
			codes.push(net.centres.areaCode[c]);
			hashes.push(hash);
			wkts.push(wkt);
		}
		if (ids.length >= batch) await flush();
	}
	await flush();
	if (unchanged?.size && !inPlace) {
		const r = await step((trx) =>
			sql`insert into reach_area (centre_id, circle, threshold_m, level, area_code, hash, geom)
			select centre_id, circle, threshold_m, level, area_code, hash, geom from reach_area_gen
			where gen = ${previousGen} and centre_id = any(${[...unchanged]}::int8[])`.execute(trx)
		);
		written += Number(r.numAffectedRows ?? 0);
	}
	if (kept.ids.length) {
		const r = await step((trx) =>
			sql`insert into reach_area (centre_id, circle, threshold_m, level, area_code, hash, geom)
			select o.centre_id, o.circle, o.threshold_m, o.level, o.area_code, o.hash, o.geom
			from reach_area_gen o join unnest(${kept.ids}::int8[], ${kept.circles}::int2[]) as k(id, circle) on k.id = o.centre_id and k.circle = o.circle
			where o.gen = ${previousGen}`.execute(trx)
		);
		// only a writer outside the lock could have dropped them: fail rather than serve fewer
		if (Number(r.numAffectedRows ?? 0) !== kept.ids.length) throw new Error(`reach: generation ${previousGen} lost polygons while they were copied`);
	}
	return written + kept.ids.length + stayed;
}

export { CENTRE_LEVELS };
