// The coverage engine's results as every screen reads them: one query per figure, so the map's
// tiles, the panels, the rankings, the exports and the big screen never disagree. The engine
// (coverage/store.ts) writes these tables; nothing here computes a figure.
import { sql, type RawBuilder } from 'kysely';
import { scopePrefix, type Scoped } from '../scoped.ts';
import { AREA_REQUEST_COLUMNS, areaRequestJoin } from './requests.ts';
import type { AreaCoverageRow, BlindSpotRow, OrgRankingRow } from '../../../api/coverage.ts';
import { AREA_CODE } from '../../../api/inputs.ts';

export type { AreaCoverageRow, BlindSpotRow };
import { GAP_RULES, type GapRule } from '../../coverage/gaps.ts';
import { SERVICE_LEVELS, type CoverageParams, type ServiceLevel } from '../../coverage/service.ts';
import { VISIT_WINDOWS_DAYS } from '../../../coverage-rules.ts';

export interface CoverageRun {
	data_version: number;
	computed_at: Date;
	params: CoverageParams;
	seconds: number;
	counts: Record<string, number>;
}

// Each function takes the caller's scoped transaction first and reads within its scope (as
// row-level security does on a server); the `scope` argument beside it narrows to one area of it
// ('' for the whole scope): an area outside the transaction's scope reads as nothing.

/** A straight walking link the coverage engine made between two road pieces (sql/020, graph.ts). */
export interface RoadLinkRow {
	from_road: number;
	to_road: number;
	metres: number;
	from: [number, number];
	to: [number, number];
}

/**
 * The links between road fragments of the network the served distances come from (issue 13: the
 * map flags them). Roads hold no personal data and carry no area code: every caller sees them all.
 */
export async function roadLinks(trx: Scoped): Promise<RoadLinkRow[]> {
	const { rows } = await sql<{ links: RoadLinkRow[] }>`select road_links as links from coverage_run where id = 1`.execute(trx);
	return rows[0]?.links ?? [];
}

/**
 * The prefix an area narrows to: '' (no narrowing: the transaction's whole scope) or an area code;
 * anything else is refused before it reaches SQL. Not a scope: the scope is the transaction's.
 */
export function areaPrefix(area: string): string {
	if (area !== '' && !AREA_CODE.test(area)) throw new Error(`invalid area code "${area.slice(0, 20)}"`);
	return area;
}

export async function coverageRun(trx: Scoped): Promise<CoverageRun | null> {
	const { rows } = await sql<CoverageRun>`select data_version, computed_at, params, seconds, counts from coverage_run where id = 1`.execute(trx);
	return rows[0] ? { ...rows[0], data_version: Number(rows[0].data_version) } : null;
}

/** the request figures' columns left empty, for readers that show none (tiles, snapshots) */
const NO_REQUEST_COLUMNS = sql`null::int4 as requests, null::int4 as requests_open, null::int4 as requests_overdue,
	null::float8 as response_hours, null::float8 as resolution_hours`;

/**
 * The rows of area_coverage with the shares, rounded once, here: tiles, panels and exports all
 * select from this, so the share on the map is the share in the CSV.
 */
export function areaCoverageSql(scope: string, { requests = true } = {}): RawBuilder<AreaCoverageRow> {
	const share = (n: string) => sql.raw(`case when c.households > 0 then round(c.${n}::numeric / c.households, 4)::float8 end`);
	// visit coverage is stored with the other counts (sql/023, coverage/visits.ts): the index counts it
	const visited = VISIT_WINDOWS_DAYS.map(
		(days) => sql`, c.${sql.ref(`hh_visited_${days}d`)}, ${share(`hh_visited_${days}d`)} as ${sql.ref(`share_visited_${days}d`)}`
	);
	return sql<AreaCoverageRow>`
		select c.code, a.name, c.level, c.households, c.hh_5min, c.hh_10min, c.hh_15min,
		       ${share('hh_5min')} as share_5min, ${share('hh_10min')} as share_10min, ${share('hh_15min')} as share_15min,
		       c.hh_cared ${sql.join(visited, sql``)}, c.grids, c.grids_with_branch, c.member_buildings, c.member_buildings_covered,
		       c.key_buildings, c.key_buildings_covered, c.orgs, c.orgs_with_secretary, c.blind_spots, c.hh_in_blind_spots,
		       round(c.service_score::numeric, 4)::float8 as service_score,
		       round(c.organisation_score::numeric, 4)::float8 as organisation_score,
		       round(c.work_score::numeric, 4)::float8 as work_score,
		       c.coverage_index::float8 as coverage_index, c.rank, c.rank_of, c.rectify,
		       ${requests ? AREA_REQUEST_COLUMNS : NO_REQUEST_COLUMNS}
		from area_coverage c join area a on a.code = c.code
		${requests ? areaRequestJoin(sql`c.code`) : sql``}
		where starts_with(c.code, ${areaPrefix(scope)}::text)`;
}

/** One area's coverage, or null when it is outside the scope (or unknown). */
export async function areaCoverage(trx: Scoped, code: string, scope: string): Promise<AreaCoverageRow | null> {
	const { rows } =
		await sql<AreaCoverageRow>`select * from (${areaCoverageSql(scope)}) q where starts_with(q.code, ${scopePrefix(trx)}::text) and q.code = ${code}`.execute(
			trx
		);
	return rows[0] ?? null;
}

export type RankLevel = 'street' | 'community' | 'grid';

/** Areas of a level in the scope, by rank (best first); the rank is district-wide. Every one: rankingPage's order, unpaged. */
export async function rankings(trx: Scoped, level: RankLevel, scope: string): Promise<AreaCoverageRow[]> {
	return (await rankingPage(trx, level, scope, { limit: null, offset: 0 })).rows;
}

/**
 * One page of the areas of a level in the scope, by rank, and how many there are in all. The page's codes are
 * picked from area_coverage alone, by rank, then its rows read by code: the request figures (a
 * lateral aggregate per area) are counted for the page's areas only, not for every grid of a
 * district, and no planner is left to push a LIMIT through the join (the embedded one did not:
 * 500 ms for a district's grids).
 */
export async function rankingPage(
	trx: Scoped,
	level: RankLevel,
	scope: string,
	/** limit null: every row */
	page: { limit: number | null; offset: number }
): Promise<{ rows: AreaCoverageRow[]; total: number }> {
	const inScope = sql`starts_with(c.code, ${areaPrefix(scope)}::text) and starts_with(c.code, ${scopePrefix(trx)}::text) and c.level = ${level}`;
	const {
		rows: [picked]
	} = await sql<{ total: number; codes: string[] }>`
		select (select count(*) from area_coverage c where ${inScope})::int4 as total,
		       array(select c.code from area_coverage c where ${inScope} order by c.rank nulls last, c.code limit ${page.limit} offset ${page.offset}) as codes`.execute(
		trx
	);
	if (!picked.codes.length) return { rows: [], total: picked.total };
	const { rows } = await sql<AreaCoverageRow>`
		select * from (${areaCoverageSql(scope)}) q where q.code = any(${picked.codes}::text[]) order by q.rank nulls last, q.code`.execute(trx);
	return { rows, total: picked.total };
}

export type { OrgRankingRow };

/** Organisations in the scope (optionally of one kind), by kind then rank; ranks are among all of the kind. */
export async function orgRankings(trx: Scoped, scope: string, kind?: string): Promise<OrgRankingRow[]> {
	const { rows } = await sql<OrgRankingRow>`
		select c.org_id, c.kind, o.name, c.area_code, (o.secretary_id is not null) as secretary,
		       round(c.service_score::numeric, 4)::float8 as service_score,
		       round(c.organisation_score::numeric, 4)::float8 as organisation_score,
		       round(c.work_score::numeric, 4)::float8 as work_score,
		       c.coverage_index::float8 as coverage_index, c.rank, c.rank_of, c.rectify
		from org_coverage c join party_org o on o.id = c.org_id
		where starts_with(c.area_code, ${areaPrefix(scope)}::text) and starts_with(c.area_code, ${scopePrefix(trx)}::text) and (${kind ?? null}::text is null or c.kind = ${kind ?? null}::text)
		order by c.kind, c.rank nulls last, c.org_id`.execute(trx);
	return rows.map((r) => ({ ...r, org_id: Number(r.org_id) }));
}

export function blindSpotSql(scope: string, withGeometry = false): RawBuilder<BlindSpotRow> {
	const geom = withGeometry ? sql`, ST_AsGeoJSON(s.geom, 7) as geojson` : sql``;
	return sql<BlindSpotRow>`
		select s.id, s.grid_code, g.name as grid_name, left(s.grid_code, 12) as community_code, s.households, s.buildings,
		       s.gap_kinds, s.gap_rules, s.building_ids, ST_X(p) as lon, ST_Y(p) as lat ${geom}
		from blind_spot s join area g on g.code = s.grid_code
		cross join lateral (select ST_PointOnSurface(s.geom) as p) pp
		where starts_with(s.grid_code, ${areaPrefix(scope)}::text)`;
}

/** Blind spots in the scope, most households affected first. */
export async function blindSpots(trx: Scoped, scope: string, opts: { limit?: number; offset?: number; geometry?: boolean } = {}): Promise<BlindSpotRow[]> {
	const { rows } = await sql<BlindSpotRow>`
		select * from (${blindSpotSql(scope, opts.geometry)}) q where starts_with(q.grid_code, ${scopePrefix(trx)}::text) order by q.households desc, q.id
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
export async function gapList(trx: Scoped, rule: GapRule | null, scope: string, opts: { limit?: number } = {}): Promise<GapRow[]> {
	const { rows } = await sql<GapRow>`
		select rule, object_id, area_code, households, detail from coverage_gap
		where starts_with(area_code, ${areaPrefix(scope)}::text) and starts_with(area_code, ${scopePrefix(trx)}::text) and (${rule}::text is null or rule = ${rule}::text)
		order by rule, households desc, area_code, object_id limit ${opts.limit ?? 100_000}`.execute(trx);
	return rows;
}

/** One page of the objects at fault under `rule` in the scope (gapList's order), and how many there are in all. */
export async function gapPage(trx: Scoped, rule: GapRule, scope: string, page: { limit: number; offset: number }): Promise<{ rows: GapRow[]; total: number }> {
	const {
		rows: [n]
	} = await sql<{ total: number }>`
		select count(*)::int4 as total from coverage_gap where starts_with(area_code, ${areaPrefix(scope)}::text) and starts_with(area_code, ${scopePrefix(trx)}::text) and rule = ${rule}::text`.execute(
		trx
	);
	const { rows } = await sql<GapRow>`
		select rule, object_id, area_code, households, detail from coverage_gap
		where starts_with(area_code, ${areaPrefix(scope)}::text) and starts_with(area_code, ${scopePrefix(trx)}::text) and rule = ${rule}::text
		order by households desc, area_code, object_id limit ${page.limit} offset ${page.offset}`.execute(trx);
	return { rows, total: n.total };
}

export type GapCounts = Record<GapRule, { objects: number; households: number }>;

/**
 * Gap counts by result generation, scope and area: a generation's gaps never change once written
 * (a recompute writes a new one), and counting them for a district admin read every gap row of the
 * district (Chaoyang: 77,000 rows, 120 ms a coverage panel under bench:load). Only the generation
 * read last is kept.
 */
const gapCountCache = { gen: '', counts: new Map<string, GapCounts>() };
const GAP_COUNT_CACHE_MAX = 5000;

/** How many objects each rule flags in the scope. */
export async function gapCounts(trx: Scoped, scope: string): Promise<GapCounts> {
	// the generation the coverage_gap view reads in this transaction (sql/011)
	// named with the run's time and the database as well: generation numbers repeat across databases
	const {
		rows: [g]
	} = await sql<{ gen: string | null }>`
		select coalesce(nullif(current_setting('jiceng.gen_result', true), '')::integer, (select r.gen from coverage_run r where r.id = 1))
		       || '@' || (select r.computed_at::text from coverage_run r where r.id = 1) || '@' || current_database() as gen`.execute(trx);
	const key = `${scopePrefix(trx)}|${areaPrefix(scope)}`;
	if (g.gen !== null && g.gen === gapCountCache.gen) {
		const hit = gapCountCache.counts.get(key);
		if (hit) return structuredClone(hit);
	}
	if (g.gen === null) return countGaps(trx, scope);
	// callers asking for the same counts of the same generation meanwhile share this count (after a
	// start or a recompute, a district admin's panels all miss at once: each count ~40 ms at Chaoyang)
	const flight = `${g.gen}|${key}`;
	const under = gapCountsUnderWay.get(flight);
	if (under) {
		const shared = await under.catch(() => null);
		if (shared) return structuredClone(shared);
	}
	const counting = countGaps(trx, scope);
	gapCountsUnderWay.set(flight, counting);
	try {
		const out = await counting;
		if (g.gen !== gapCountCache.gen || gapCountCache.counts.size >= GAP_COUNT_CACHE_MAX) {
			gapCountCache.gen = g.gen;
			gapCountCache.counts.clear();
		}
		gapCountCache.counts.set(key, structuredClone(out));
		return structuredClone(out);
	} finally {
		if (gapCountsUnderWay.get(flight) === counting) gapCountsUnderWay.delete(flight);
	}
}

/** counts under way, by generation and key: read by callers of the same counts meanwhile */
const gapCountsUnderWay = new Map<string, Promise<GapCounts>>();

/** The count itself, in the caller's transaction (its scope, its generation). */
async function countGaps(trx: Scoped, scope: string): Promise<GapCounts> {
	const { rows } = await sql<{ rule: GapRule; n: number; hh: number }>`
		select rule, count(*)::int4 as n, coalesce(sum(households), 0)::int4 as hh from coverage_gap
		where starts_with(area_code, ${areaPrefix(scope)}::text) and starts_with(area_code, ${scopePrefix(trx)}::text) group by rule`.execute(trx);
	const out = Object.fromEntries(GAP_RULES.map((r) => [r, { objects: 0, households: 0 }])) as GapCounts;
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
export async function buildingCoverage(trx: Scoped, buildingId: number, scope: string): Promise<BuildingCoverageRow | null> {
	const { rows } = await sql<Record<string, unknown>>`
		select c.*, (r.params->>'walkingSpeed')::float8 as speed from building_coverage c cross join coverage_run r
		where c.building_id = ${buildingId} and starts_with(c.grid_code, ${areaPrefix(scope)}::text) and starts_with(c.grid_code, ${scopePrefix(trx)}::text)`.execute(
		trx
	);
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
export async function reachAreas(trx: Scoped, centreId: number, scope: string): Promise<{ circle: number; threshold_m: number; geojson: string }[]> {
	const { rows } = await sql<{ circle: number; threshold_m: number; geojson: string }>`
		select circle, threshold_m, ST_AsGeoJSON(geom, 7) as geojson from reach_area
		where centre_id = ${centreId} and starts_with(area_code, ${areaPrefix(scope)}::text) and starts_with(area_code, ${scopePrefix(trx)}::text) order by circle`.execute(
		trx
	);
	return rows;
}
