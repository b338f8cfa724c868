// Stored coverage results (sql/007) and the one query path to each figure.
//
// `ensureCoverage(db)` recomputes everything when data_version has moved past the version the
// stored results were computed from (or the parameters changed), in one REPEATABLE READ
// transaction — every row read belongs to one snapshot, stamped with its data_version — under a
// session advisory lock so two processes never recompute at once. Writing the results bumps no
// version: the coverage tables have no triggers.
//
// Reading: every consumer — map tiles, panel JSON, CSV/GeoJSON exports — calls the functions at
// the end of this file (or the SQL they share), each filtered by an area-code prefix `scope` (the
// caller's subtree; '' is everything), so the same figure is one query wherever it is shown.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Db } from '../db/open.ts';
import { Dijkstra } from './dijkstra.ts';
import { GAP_RULES, GAP_RULE_SPECS, isKeyBuilding, type GapRule } from './gaps.ts';
import { writeBlindSpots } from './blind-spots.ts';
import { rankAreas, rankOrganisations } from './ranking.ts';
import { oneReach, piecesWkt, reachPolygonSql, reachedPieces } from './reach.ts';
import {
	CENTRE_LEVELS, DEFAULT_PARAMS, SERVICE_LEVELS, centreSources, checkParams, computeService, loadNetwork,
	type CoverageParams, type Network, type ServiceLevel, type ServiceResult
} from './service.ts';

export interface CoverageRun {
	data_version: number;
	computed_at: Date;
	params: CoverageParams;
	seconds: number;
	counts: Record<string, number>;
}

export interface RecomputeTimings {
	load_ms: number;
	service_ms: number;
	write_ms: number;
	gaps_ms: number;
	blind_spots_ms: number;
	rank_ms: number;
	reach_ms: number;
	total_ms: number;
}

const LOCK = sql`hashtext('jiceng.coverage')`;

async function state(db: Kysely<any>): Promise<{ current: number; computed: number | null; params: unknown }> {
	const { rows } = await sql<{ current: number; computed: number | null; params: unknown }>`
		select (select version from data_version where id = 1) as current,
		       (select data_version from coverage_run where id = 1) as computed,
		       (select params from coverage_run where id = 1) as params`.execute(db);
	return { current: Number(rows[0].current), computed: rows[0].computed === null ? null : Number(rows[0].computed), params: rows[0].params };
}

// jsonb reorders keys: compare field by field
const sameParams = (a: unknown, b: CoverageParams) => {
	const p = a as CoverageParams | null;
	return !!p && p.walkingSpeed === b.walkingSpeed && p.reachBuffer === b.reachBuffer && JSON.stringify(p.circles) === JSON.stringify([...b.circles]);
};
const paramsJson = (p: CoverageParams) => ({ walkingSpeed: p.walkingSpeed, circles: [...p.circles], reachBuffer: p.reachBuffer });

export interface EnsureOptions {
	params?: CoverageParams;
	/** an in-memory network of the current data version, if the caller holds one (CoverageEngine) */
	network?: () => Promise<Network | null>;
	log?: (line: string) => void;
}

/** Recomputes the stored results if the data or the parameters changed. Returns the data version they match. */
export async function ensureCoverage(db: Db, opts: EnsureOptions = {}): Promise<number> {
	const params = checkParams(opts.params ?? DEFAULT_PARAMS);
	const s = await state(db.kysely);
	if (s.computed === s.current && sameParams(s.params, params)) return s.current;
	return db.kysely.connection().execute(async (conn) => {
		// waiting for another process's recompute is no runaway statement: lift the app role's
		// statement_timeout (sql/010) for the wait, and put back what the connection had
		const { rows: [limit] } = await sql<{ t: string }>`select current_setting('statement_timeout') as t`.execute(conn);
		await sql`select set_config('statement_timeout', '10min', false)`.execute(conn);
		try {
			await sql`select pg_advisory_lock(${LOCK})`.execute(conn);
		} finally {
			await sql`select set_config('statement_timeout', ${limit.t}, false)`.execute(conn);
		}
		try {
			const again = await state(conn);
			if (again.computed === again.current && sameParams(again.params, params)) return again.current;
			const { version } = await recomputeCoverage(conn, params, opts);
			return version;
		} finally {
			await sql`select pg_advisory_unlock(${LOCK})`.execute(conn);
		}
	});
}

/** The full recompute, always (use ensureCoverage to skip it when nothing changed). */
export async function recomputeCoverage(db: Kysely<any>, params: CoverageParams = DEFAULT_PARAMS, opts: EnsureOptions = {}): Promise<{ version: number; timings: RecomputeTimings; result: ServiceResult; network: Network }> {
	checkParams(params);
	const log = opts.log ?? (() => {});
	return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
		const t0 = performance.now();
		let t = t0;
		const lap = () => {
			const now = performance.now();
			const d = now - t;
			t = now;
			return Math.round(d);
		};
		// the system's own work: every household counts, whoever triggered it
		await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
		// and it is not a request: the app role's time limits (sql/010) are for requests; this
		// transaction computes in memory between statements and writes every result
		await sql`select set_config('statement_timeout', '10min', true), set_config('idle_in_transaction_session_timeout', '10min', true)`.execute(trx);
		const { rows: [v] } = await sql<{ v: number; stats: number | null }>`
			select (select version from data_version where id = 1) as v,
			       (select data_version from area_stats_state where id = 1) as stats`.execute(trx);
		const version = Number(v.v);
		// area_stats (sql/005) holds the organisation counts this file reuses: bring it to this snapshot
		if (v.stats === null || Number(v.stats) !== version) await sql`select refresh_area_stats()`.execute(trx);
		let network = opts.network ? await opts.network() : null;
		if (!network || network.dataVersion !== version) network = await loadNetwork(trx);
		const load_ms = lap();
		const result = computeService(network, params);
		const service_ms = lap();

		for (const table of ['building_coverage', 'area_coverage', 'org_coverage', 'reach_area', 'coverage_gap', 'blind_spot']) {
			await sql`delete from ${sql.table(table)}`.execute(trx);
		}
		await writeBuildingCoverage(trx, network, result);
		const write_ms = lap();
		for (const rule of GAP_RULES) {
			await sql`insert into coverage_gap (rule, object_id, area_code, households, detail)
				select ${rule}, q.object_id, q.area_code, q.households, q.detail from (${GAP_RULE_SPECS[rule].query()}) q`.execute(trx);
		}
		const gaps_ms = lap();
		const spots = await writeBlindSpots(trx, network.graph.frame.lat0);
		const blind_spots_ms = lap();
		await writeAreaCoverage(trx);
		await rankAreas(trx);
		await rankOrganisations(trx);
		const rank_ms = lap();
		const reaches = await writeReachAreas(trx, network, params);
		const reach_ms = lap();

		const counts = {
			nodes: network.graph.nodeCount, edges: network.graph.edgeCount, buildings: network.buildings.count,
			centres: network.centres.count, blind_spots: spots, reach_areas: reaches
		};
		const seconds = (performance.now() - t0) / 1000;
		await sql`insert into coverage_run (id, data_version, computed_at, params, seconds, counts)
			values (1, ${version}, now(), ${JSON.stringify(paramsJson(params))}::jsonb, ${seconds}, ${JSON.stringify(counts)}::jsonb)
			on conflict (id) do update set data_version = excluded.data_version, computed_at = excluded.computed_at,
				params = excluded.params, seconds = excluded.seconds, counts = excluded.counts`.execute(trx);
		const timings = { load_ms, service_ms, write_ms, gaps_ms, blind_spots_ms, rank_ms, reach_ms, total_ms: Math.round(performance.now() - t0) };
		log(`[coverage] data version ${version}: ${JSON.stringify(timings)}`);
		return { version, timings, result, network };
	});
}

const finite = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

async function writeBuildingCoverage(trx: Kysely<any>, net: Network, r: ServiceResult) {
	const b = net.buildings;
	const CHUNK = 40_000;
	const centreId = (level: ServiceLevel, i: number) => {
		const c = r.levels[level].centre[i];
		return c >= 0 ? net.centres.id[c] : null;
	};
	for (let start = 0; start < b.count; start += CHUNK) {
		const end = Math.min(b.count, start + CHUNK);
		const col = <T>(f: (i: number) => T) => {
			const out: T[] = [];
			for (let i = start; i < end; i++) out.push(f(i));
			return out;
		};
		const per = (level: ServiceLevel) => [col((i) => centreId(level, i)), col((i) => finite(r.levels[level].dist[i]))];
		const [anyC, anyM] = per('any');
		const [dC, dM] = per('district');
		const [sC, sM] = per('street');
		const [cC, cM] = per('community');
		const [tC, tM] = per('station');
		await sql`insert into building_coverage (building_id, grid_code, households, access_m, any_centre_id, any_m,
				district_centre_id, district_m, street_centre_id, street_m, community_centre_id, community_m,
				station_centre_id, station_m, circle)
			select * from unnest(${col((i) => b.id[i])}::int8[], ${col((i) => b.gridCode[i])}::text[], ${col((i) => b.households[i])}::int4[],
				${col((i) => finite(b.access[i]))}::float4[], ${anyC}::int8[], ${anyM}::float4[], ${dC}::int8[], ${dM}::float4[],
				${sC}::int8[], ${sM}::float4[], ${cC}::int8[], ${cM}::float4[], ${tC}::int8[], ${tM}::float4[], ${col((i) => r.circle[i])}::int2[])`.execute(trx);
	}
}

async function writeAreaCoverage(trx: Kysely<any>) {
	await sql`
		insert into area_coverage (code, level, households, hh_5min, hh_10min, hh_15min, hh_cared, grids, grids_with_branch,
			member_buildings, member_buildings_covered, key_buildings, key_buildings_covered, orgs, orgs_with_secretary,
			blind_spots, hh_in_blind_spots)
		with contrib (code, hh, h5, h10, h15, uncared, kb, kbc, orgs, orgs_sec, spots, spot_hh) as (
			select grid_code, households, households * (circle between 1 and 1)::int, households * (circle between 1 and 2)::int,
			       households * (circle between 1 and 3)::int, 0, 0, 0, 0, 0, 0, 0
			from building_coverage
			union all
			select area_code, 0, 0, 0, 0, households, 0, 0, 0, 0, 0, 0 from coverage_gap where rule = 'household_uncared'
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
		), rolled as (
			select a as code, sum(hh) as hh, sum(h5) as h5, sum(h10) as h10, sum(h15) as h15, sum(uncared) as uncared,
			       sum(kb) as kb, sum(kbc) as kbc, sum(orgs) as orgs, sum(orgs_sec) as orgs_sec, sum(spots) as spots, sum(spot_hh) as spot_hh
			from contrib, unnest(area_code_ancestors(code)) as a group by a
		)
		select ar.code, ar.level, coalesce(r.hh, 0), coalesce(r.h5, 0), coalesce(r.h10, 0), coalesce(r.h15, 0),
		       coalesce(r.hh, 0) - coalesce(r.uncared, 0),
		       coalesce(s.grids, 0), coalesce(s.grids_with_branch, 0), coalesce(s.member_buildings, 0), coalesce(s.member_buildings_covered, 0),
		       coalesce(r.kb, 0), coalesce(r.kbc, 0), coalesce(r.orgs, 0), coalesce(r.orgs_sec, 0), coalesce(r.spots, 0), coalesce(r.spot_hh, 0)
		from area ar left join rolled r on r.code = ar.code left join area_stats s on s.code = ar.code`.execute(trx);
}

/** Reach polygons of every centre for each circle; returns how many were written. */
async function writeReachAreas(trx: Kysely<any>, net: Network, params: CoverageParams): Promise<number> {
	const search = new Dijkstra(net.graph);
	const { sources, index } = centreSources(net, 'any');
	const limit = params.circles[2];
	const ids: number[] = [], circles: number[] = [], thresholds: number[] = [], levels: string[] = [], codes: string[] = [], wkts: string[] = [];
	let written = 0;
	const flush = async () => {
		if (!ids.length) return;
		const r = await sql`insert into reach_area (centre_id, circle, threshold_m, level, area_code, geom)
			select t.id, t.circle, t.threshold, t.level, t.code, ${reachPolygonSql(net.graph, sql`t.w`, params.reachBuffer)}
			from unnest(${ids}::int8[], ${circles}::int2[], ${thresholds}::float4[], ${levels}::text[], ${codes}::text[], ${wkts}::text[])
			  as t(id, circle, threshold, level, code, w)
			where t.w not like '%EMPTY'`.execute(trx);
		const expected = wkts.filter((w) => !w.endsWith('EMPTY')).length;
		// the embedded PostGIS answers a failed GEOS call with no rows rather than an error: then
		// write them one by one, each with the fallbacks of reach.ts
		if (Number(r.numAffectedRows ?? 0) !== expected) {
			await sql`delete from reach_area where centre_id = any(${ids}::int8[])`.execute(trx);
			for (let k = 0; k < ids.length; k++) {
				if (wkts[k].endsWith('EMPTY')) continue;
				await oneReach(trx, net.graph, wkts[k], params.reachBuffer, (variant) => sql<{ gj: number }>`
					insert into reach_area (centre_id, circle, threshold_m, level, area_code, geom)
					select ${ids[k]}::int8, ${circles[k]}::int2, ${thresholds[k]}::float4, ${levels[k]}::text, ${codes[k]}::text,
					       ${reachPolygonSql(net.graph, sql`${wkts[k]}::text`, params.reachBuffer, variant)}
					returning 1 as gj`);
			}
		}
		written += expected;
		for (const a of [ids, circles, thresholds, levels, codes, wkts]) a.length = 0;
	};
	for (let k = 0; k < sources.length; k++) {
		const c = index[k];
		const r = search.run([sources[k]], limit);
		for (let circle = 1; circle <= 3; circle++) {
			const pieces = reachedPieces(net.graph, r.dist, r.reached, [sources[k]], params.circles[circle - 1]);
			ids.push(net.centres.id[c]);
			circles.push(circle);
			thresholds.push(params.circles[circle - 1]);
			levels.push(net.centres.level[c]);
			codes.push(net.centres.areaCode[c]);
			wkts.push(piecesWkt(pieces));
		}
		if (ids.length >= 300) await flush();
	}
	await flush();
	return written;
}

// ---------------------------------------------------------------- the one query path per figure

/** '' (everything) or an area code; anything else is refused before it reaches SQL */
export function checkScope(scope: string): string {
	if (scope !== '' && !/^\d{6}(\d{3}){0,3}$/.test(scope)) throw new Error(`invalid scope "${scope}"`);
	return scope;
}

export async function coverageRun(trx: Kysely<any>): Promise<CoverageRun | null> {
	const { rows } = await sql<CoverageRun>`select data_version, computed_at, params, seconds, counts from coverage_run where id = 1`.execute(trx);
	return rows[0] ? { ...rows[0], data_version: Number(rows[0].data_version) } : null;
}

export interface AreaCoverageRow {
	code: string;
	name: string;
	level: 'district' | 'street' | 'community' | 'grid';
	households: number;
	hh_5min: number;
	hh_10min: number;
	hh_15min: number;
	share_5min: number | null;
	share_10min: number | null;
	share_15min: number | null;
	hh_cared: number;
	grids: number;
	grids_with_branch: number;
	member_buildings: number;
	member_buildings_covered: number;
	key_buildings: number;
	key_buildings_covered: number;
	orgs: number;
	orgs_with_secretary: number;
	blind_spots: number;
	hh_in_blind_spots: number;
	service_score: number | null;
	organisation_score: number | null;
	work_score: number | null;
	coverage_index: number | null;
	rank: number | null;
	rank_of: number | null;
	rectify: boolean;
}

/**
 * The rows of area_coverage with the shares, rounded once, here: tiles, panels and exports all
 * select from this, so the share on the map is the share in the CSV.
 */
export function areaCoverageSql(scope: string): RawBuilder<AreaCoverageRow> {
	const share = (n: string) => sql.raw(`case when c.households > 0 then round(c.${n}::numeric / c.households, 4)::float8 end`);
	return sql<AreaCoverageRow>`
		select c.code, a.name, c.level, c.households, c.hh_5min, c.hh_10min, c.hh_15min,
		       ${share('hh_5min')} as share_5min, ${share('hh_10min')} as share_10min, ${share('hh_15min')} as share_15min,
		       c.hh_cared, c.grids, c.grids_with_branch, c.member_buildings, c.member_buildings_covered,
		       c.key_buildings, c.key_buildings_covered, c.orgs, c.orgs_with_secretary, c.blind_spots, c.hh_in_blind_spots,
		       round(c.service_score::numeric, 4)::float8 as service_score,
		       round(c.organisation_score::numeric, 4)::float8 as organisation_score,
		       round(c.work_score::numeric, 4)::float8 as work_score,
		       c.coverage_index::float8 as coverage_index, c.rank, c.rank_of, c.rectify
		from area_coverage c join area a on a.code = c.code
		where starts_with(c.code, ${checkScope(scope)}::text)`;
}

/** One area's coverage, or null when it is outside the scope (or unknown). */
export async function areaCoverage(trx: Kysely<any>, code: string, scope: string): Promise<AreaCoverageRow | null> {
	const { rows } = await sql<AreaCoverageRow>`select * from (${areaCoverageSql(scope)}) q where q.code = ${code}`.execute(trx);
	return rows[0] ?? null;
}

export type RankLevel = 'street' | 'community' | 'grid';

/** Areas of a level in the scope, by rank (best first); the rank is district-wide. */
export async function rankings(trx: Kysely<any>, level: RankLevel, scope: string): Promise<AreaCoverageRow[]> {
	const { rows } = await sql<AreaCoverageRow>`
		select * from (${areaCoverageSql(scope)}) q where q.level = ${level} order by q.rank nulls last, q.code`.execute(trx);
	return rows;
}

export interface OrgRankingRow {
	org_id: number;
	kind: string;
	name: string;
	area_code: string;
	secretary: boolean;
	service_score: number | null;
	organisation_score: number | null;
	work_score: number | null;
	coverage_index: number | null;
	rank: number | null;
	rank_of: number | null;
	rectify: boolean;
}

/** Organisations in the scope (optionally of one kind), by kind then rank; ranks are among all of the kind. */
export async function orgRankings(trx: Kysely<any>, scope: string, kind?: string): Promise<OrgRankingRow[]> {
	const { rows } = await sql<OrgRankingRow>`
		select c.org_id, c.kind, o.name, c.area_code, (o.secretary_id is not null) as secretary,
		       round(c.service_score::numeric, 4)::float8 as service_score,
		       round(c.organisation_score::numeric, 4)::float8 as organisation_score,
		       round(c.work_score::numeric, 4)::float8 as work_score,
		       c.coverage_index::float8 as coverage_index, c.rank, c.rank_of, c.rectify
		from org_coverage c join party_org o on o.id = c.org_id
		where starts_with(c.area_code, ${checkScope(scope)}::text) and (${kind ?? null}::text is null or c.kind = ${kind ?? null}::text)
		order by c.kind, c.rank nulls last, c.org_id`.execute(trx);
	return rows.map((r) => ({ ...r, org_id: Number(r.org_id) }));
}

export interface BlindSpotRow {
	id: number;
	grid_code: string;
	grid_name: string;
	community_code: string;
	households: number;
	buildings: number;
	gap_kinds: string[];
	gap_rules: string[];
	building_ids: number[];
	/** GeoJSON text of the hull, when asked for */
	geojson?: string;
	lon: number;
	lat: number;
}

export function blindSpotSql(scope: string, withGeometry = false): RawBuilder<BlindSpotRow> {
	const geom = withGeometry ? sql`, ST_AsGeoJSON(s.geom, 7) as geojson` : sql``;
	return sql<BlindSpotRow>`
		select s.id, s.grid_code, g.name as grid_name, left(s.grid_code, 12) as community_code, s.households, s.buildings,
		       s.gap_kinds, s.gap_rules, s.building_ids, ST_X(p) as lon, ST_Y(p) as lat ${geom}
		from blind_spot s join area g on g.code = s.grid_code
		cross join lateral (select ST_PointOnSurface(s.geom) as p) pp
		where starts_with(s.grid_code, ${checkScope(scope)}::text)`;
}

/** Blind spots in the scope, most households affected first. */
export async function blindSpots(trx: Kysely<any>, scope: string, opts: { limit?: number; offset?: number; geometry?: boolean } = {}): Promise<BlindSpotRow[]> {
	const { rows } = await sql<BlindSpotRow>`
		select * from (${blindSpotSql(scope, opts.geometry)}) q order by q.households desc, q.id
		limit ${opts.limit ?? 1000} offset ${opts.offset ?? 0}`.execute(trx);
	return rows.map((r) => ({ ...r, building_ids: r.building_ids.map(Number) }));
}

export interface GapRow {
	rule: GapRule;
	object_id: string;
	area_code: string;
	households: number;
	detail: Record<string, unknown>;
}

/** The objects at fault under one rule (or all rules) in the scope, most households first. */
export async function gapList(trx: Kysely<any>, rule: GapRule | null, scope: string, opts: { limit?: number } = {}): Promise<GapRow[]> {
	const { rows } = await sql<GapRow>`
		select rule, object_id, area_code, households, detail from coverage_gap
		where starts_with(area_code, ${checkScope(scope)}::text) and (${rule}::text is null or rule = ${rule}::text)
		order by rule, households desc, area_code, object_id limit ${opts.limit ?? 100_000}`.execute(trx);
	return rows;
}

/** How many objects each rule flags in the scope. */
export async function gapCounts(trx: Kysely<any>, scope: string): Promise<Record<GapRule, { objects: number; households: number }>> {
	const { rows } = await sql<{ rule: GapRule; n: number; hh: number }>`
		select rule, count(*)::int4 as n, coalesce(sum(households), 0)::int4 as hh from coverage_gap
		where starts_with(area_code, ${checkScope(scope)}::text) group by rule`.execute(trx);
	const out = Object.fromEntries(GAP_RULES.map((r) => [r, { objects: 0, households: 0 }])) as Record<GapRule, { objects: number; households: number }>;
	for (const r of rows) out[r.rule] = { objects: r.n, households: r.hh };
	return out;
}

export interface BuildingCoverageRow {
	building_id: number;
	grid_code: string;
	households: number;
	circle: number;
	levels: Record<ServiceLevel, { centre_id: number | null; metres: number | null; minutes: number | null }>;
}

/** A building's nearest centre of each level, with metres and minutes at the run's walking speed. */
export async function buildingCoverage(trx: Kysely<any>, buildingId: number, scope: string): Promise<BuildingCoverageRow | null> {
	const { rows } = await sql<Record<string, unknown>>`
		select c.*, (r.params->>'walkingSpeed')::float8 as speed from building_coverage c cross join coverage_run r
		where c.building_id = ${buildingId} and starts_with(c.grid_code, ${checkScope(scope)}::text)`.execute(trx);
	const r = rows[0];
	if (!r) return null;
	const speed = Number(r.speed);
	const levels = {} as BuildingCoverageRow['levels'];
	for (const level of SERVICE_LEVELS) {
		const m = r[`${level}_m`] === null ? null : Number(r[`${level}_m`]);
		const c = r[`${level}_centre_id`];
		levels[level] = { centre_id: c === null ? null : Number(c), metres: m, minutes: m === null ? null : Math.round((m / speed) * 10) / 10 };
	}
	return { building_id: Number(r.building_id), grid_code: String(r.grid_code), households: Number(r.households), circle: Number(r.circle), levels };
}

/** A centre's stored reach polygons (GeoJSON text) for each circle, if the centre is in the scope. */
export async function reachAreas(trx: Kysely<any>, centreId: number, scope: string): Promise<{ circle: number; threshold_m: number; geojson: string }[]> {
	const { rows } = await sql<{ circle: number; threshold_m: number; geojson: string }>`
		select circle, threshold_m, ST_AsGeoJSON(geom, 7) as geojson from reach_area
		where centre_id = ${centreId} and starts_with(area_code, ${checkScope(scope)}::text) order by circle`.execute(trx);
	return rows;
}

export { CENTRE_LEVELS };
