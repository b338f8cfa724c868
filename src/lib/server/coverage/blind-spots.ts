// Blind spots (盲区, 空白点): buildings with a coverage gap, grouped into areas by density
// clustering — ST_ClusterDBSCAN with minpoints 1, i.e. buildings chained within `eps` metres of
// each other — inside each grid, so a blind spot always lies in exactly one grid (the unit a grid
// leader answers for, and the unit scoping filters by). Each has a hull (the convex hull of its
// buildings, with a margin), the households affected, the kinds and rules of its gaps.
//
// A building is in a blind spot when its households are beyond the 15-minute circle (service), it
// has an organisation gap (its grid has no branch; 3+ members and no party group; an office,
// market or park building with no organisation), or some of its households are looked after by
// no one (work). A building that can walk to no centre at all is a service gap as before, with
// the rule building_unreachable among its spot's rules (its roads are cut off: a data gap, not a
// long walk). Households affected: all of the building's for a service or organisation gap,
// otherwise the ones nobody looks after.
// Runs after building_coverage and coverage_gap are written, in the same transaction.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** buildings within this walk of each other join the same blind spot, metres */
export const BLIND_SPOT_EPS = 100;
/** margin around the hull of a blind spot's buildings, metres */
export const BLIND_SPOT_MARGIN = 15;

export const ORGANISATION_RULES = ['grid_without_branch', 'member_building_uncovered', 'key_building_unorganised'];

/**
 * Writes blind_spot from building_coverage and coverage_gap; `lat` sets the metre scale of
 * EPSG:3857. With `only` (the incremental recompute): clusters the buildings of `only.grids`
 * again and keeps the spots of every other grid as generation `only.keep` has them — clusters
 * never cross a grid, so the result is the full one — then numbers them all as a full run does.
 */
export async function writeBlindSpots(trx: Kysely<Database>, lat: number, only?: { grids: readonly string[]; keep: number }): Promise<number> {
	// EPSG:3857 metres are 1/cos(lat) true metres: scale the distances
	const k = 1 / Math.cos((lat * Math.PI) / 180);
	const org = sql.raw(`array[${ORGANISATION_RULES.map((r) => `'${r}'`).join(', ')}]`);
	const r = await sql`
		insert into blind_spot (id, grid_code, households, buildings, gap_kinds, gap_rules, building_ids, geom)
		with bgap as (
			select object_id::bigint as building_id, array_agg(rule order by rule) as rules,
			       coalesce(sum(households) filter (where rule = 'household_uncared'), 0) as uncared
			from coverage_gap where rule in ('member_building_uncovered', 'key_building_unorganised', 'household_uncared', 'building_unreachable')
			group by 1
		), flagged as (
			select b.id, b.grid_code, b.geom, bc.households,
			       (bc.circle = 0 and bc.households > 0) as service,
			       coalesce(g.rules, '{}'::text[])
			         || case when exists (select 1 from coverage_gap n where n.rule = 'grid_without_branch' and n.object_id = b.grid_code)
			            then array['grid_without_branch'] else '{}'::text[] end as rules,
			       coalesce(g.uncared, 0) as uncared
			from building b
			join building_coverage bc on bc.building_id = b.id
			left join bgap g on g.building_id = b.id
			${only ? sql`where b.grid_code = any(${only.grids}::text[])` : sql``}
		), units as (
			select f.*, case when service or rules && ${org} then households else uncared end as affected,
			       ST_Transform(f.geom, 3857) as g3857
			from flagged f where service or cardinality(array_remove(rules, 'building_unreachable')) > 0
		), clustered as (
			select u.*, ST_ClusterDBSCAN(ST_Centroid(u.g3857), ${BLIND_SPOT_EPS * k}::float8, 1) over (partition by grid_code) as cid
			from units u
		), spots as (
			select grid_code, cid, sum(affected)::int4 as households, count(*)::int4 as buildings,
			       bool_or(service) as service, bool_or(rules && ${org}) as organisation,
			       bool_or('household_uncared' = any(rules)) as work,
			       array_agg(id order by id) as building_ids,
			       ST_Buffer(ST_ConvexHull(ST_Collect(g3857)), ${BLIND_SPOT_MARGIN * k}::float8, 'quad_segs=4') as hull
			from clustered group by grid_code, cid
		), spot_rules as (
			select c.grid_code, c.cid, array_agg(distinct r order by r) as rules
			from clustered c cross join lateral unnest(c.rules) r group by 1, 2
		), fresh as (
			select s.grid_code, s.households, s.buildings,
			       array_remove(array[case when s.service then 'service' end, case when s.organisation then 'organisation' end,
			                          case when s.work then 'work' end], null) as gap_kinds,
			       coalesce(sr.rules, '{}'::text[]) as gap_rules, s.building_ids,
			       ST_Multi(ST_Transform(s.hull, 4326)) as geom
			from spots s left join spot_rules sr on sr.grid_code = s.grid_code and sr.cid = s.cid
		), every as (
			select * from fresh
			${
				only
					? sql`union all
			select grid_code, households, buildings, gap_kinds, gap_rules, building_ids, geom
			from blind_spot_gen where gen = ${only.keep}::int4 and not (grid_code = any(${only.grids}::text[]))`
					: sql``
			}
		)
		select row_number() over (order by e.households desc, e.grid_code, e.building_ids[1])::int4,
		       e.grid_code, e.households, e.buildings, e.gap_kinds, e.gap_rules, e.building_ids, e.geom
		from every e`.execute(trx);
	return Number(r.numAffectedRows ?? 0);
}
