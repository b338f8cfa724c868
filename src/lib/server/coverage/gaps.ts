// Organisation coverage (组织覆盖) and work coverage (工作覆盖) gaps, one rule each: a query
// returning one row per object at fault, with the area code it belongs to (for scoping), the
// households it touches, and the ids involved. Definitions follow /work/shared/DOMAIN.md and the
// figures of area_stats (sql/005), so a gap list and an area's counts never disagree.
//
// The queries read personal tables (households, members, central households, leaders): run them
// in a transaction with scope '*' (the coverage recompute does) and serve the stored rows, shaped
// for the viewer by gapRowsFor / gapCountsFor: a viewer who sees no persons gets no household or
// member ids and no count of persons below the small-cell threshold.
import { sql, type RawBuilder } from 'kysely';
import { smallCount, suppressSmallCells, type CountAudience } from '../privacy/small-cells.ts';
import { CENTRAL_HOUSEHOLD_MAX, COVERING_KINDS, KEY_COMMERCIAL_MIN_FLOORS, MEMBER_BUILDING_THRESHOLD } from '../../coverage-rules.ts';

export const GAP_RULES = [
	'grid_without_branch',
	'member_building_uncovered',
	'key_building_unorganised',
	'household_uncared',
	'central_household_overloaded',
	'secretary_empty',
	'building_unreachable'
] as const;
export type GapRule = (typeof GAP_RULES)[number];

export function isGapRule(s: string): s is GapRule {
	return (GAP_RULES as readonly string[]).includes(s);
}

/** the coverage a rule belongs to: blind spots group their gaps by it */
export type GapKind = 'service' | 'organisation' | 'work';

// the rules live in coverage-rules.ts; re-exported for the gap modules that import them from here
export { CENTRAL_HOUSEHOLD_MAX, COVERING_KINDS, KEY_COMMERCIAL_MIN_FLOORS, MEMBER_BUILDING_THRESHOLD };

export interface GapRuleSpec {
	key: GapRule;
	kind: GapKind;
	object: 'grid' | 'building' | 'organisation' | 'central_household';
	zh: string;
	en: string;
	/**
	 * rows (object_id text, area_code text, households int4, detail jsonb); `buildings`, for the
	 * rules of building objects that take it (MEMBER_RULES): only those buildings' rows
	 */
	query(buildings?: readonly number[]): RawBuilder<unknown>;
}

const covering = sql.raw(COVERING_KINDS.map((k) => `'${k}'`).join(', '));

/**
 * Whether building `b` is a key building of seed 004's blind spots: an office building (商务楼宇),
 * a commercial building of a market's or mall's size (商圈市场) or a park building (园区).
 */
export function isKeyBuilding(b: RawBuilder<unknown>): RawBuilder<boolean> {
	return sql<boolean>`(${b}.kind = 'office' or ${b}.kind = 'industrial'
		or (${b}.kind = 'commercial' and ${b}.floors >= ${sql.lit(KEY_COMMERCIAL_MIN_FLOORS)}))`;
}

export const GAP_RULE_SPECS: Record<GapRule, GapRuleSpec> = {
	grid_without_branch: {
		key: 'grid_without_branch',
		kind: 'organisation',
		object: 'grid',
		zh: '网格未建党支部',
		en: 'Grid without a party branch',
		query: () => sql`
			select g.code as object_id, g.code as area_code,
			       (select count(*) from household h join building b on b.id = h.building_id where b.grid_code = g.code)::int4 as households,
			       jsonb_build_object('name', g.name) as detail
			from area g
			where g.level = 'grid' and not exists (select 1 from party_org o where o.kind = 'grid_branch' and o.area_code = g.code)`
	},
	member_building_uncovered: {
		key: 'member_building_uncovered',
		kind: 'organisation',
		object: 'building',
		zh: '党员楼栋未建党小组',
		en: 'Building with 3+ members and no party group or branch',
		query: (buildings) => sql`
			with living as (
				select h.building_id, count(*) as n from party_member m join household h on h.id = m.household_id
				${buildings ? sql`where h.building_id = any(${buildings}::int8[])` : sql``} group by 1
			), working as (
				select workplace_building_id as building_id, count(*) as n from party_member
				where workplace_building_id is not null ${buildings ? sql`and workplace_building_id = any(${buildings}::int8[])` : sql``} group by 1
			)
			select b.id::text as object_id, b.grid_code as area_code,
			       (select count(*) from household h where h.building_id = b.id)::int4 as households,
			       jsonb_build_object('living', coalesce(l.n, 0), 'working', coalesce(w.n, 0), 'address', b.address) as detail
			from building b
			left join living l on l.building_id = b.id
			left join working w on w.building_id = b.id
			where coalesce(l.n, 0) + coalesce(w.n, 0) >= ${sql.lit(MEMBER_BUILDING_THRESHOLD)}
			  ${buildings ? sql`and b.id = any(${buildings}::int8[])` : sql``}
			  and not exists (select 1 from party_org o where o.building_id = b.id and o.kind in (${covering}))`
	},
	key_building_unorganised: {
		key: 'key_building_unorganised',
		kind: 'organisation',
		object: 'building',
		zh: '商务楼宇、商圈市场、园区无党组织或联络站',
		en: 'Office, commercial or park building with no organisation or liaison station',
		// a park building is covered by its park's branch (seated in the park's grid)
		query: () => sql`
			select b.id::text as object_id, b.grid_code as area_code,
			       (select count(*) from household h where h.building_id = b.id)::int4 as households,
			       jsonb_build_object('kind', b.kind, 'name', b.name, 'address', b.address) as detail
			from building b
			where ${isKeyBuilding(sql`b`)}
			  and not exists (select 1 from party_org o where o.building_id = b.id)
			  and not (b.kind = 'industrial' and exists (
			    select 1 from party_org o where o.kind = 'park_branch' and o.area_code = b.grid_code))`
	},
	household_uncared: {
		key: 'household_uncared',
		kind: 'work',
		object: 'building',
		zh: '无中心户或楼栋长联系的住户',
		en: 'Households no central household or building leader looks after',
		// one row per building, with the households' ids; a central household looks after itself,
		// a unit leader the households of their unit, a building leader the whole building
		query: () => sql`
			select h.building_id::text as object_id, min(b.grid_code) as area_code, count(*)::int4 as households,
			       jsonb_build_object('household_ids', jsonb_agg(h.id order by h.id)) as detail
			from household h join building b on b.id = h.building_id
			where not exists (select 1 from central_household_link l where l.household_id = h.id)
			  and not exists (select 1 from central_household c where c.household_id = h.id)
			  and not exists (select 1 from building_leader bl where bl.building_id = h.building_id
			                  and (bl.role = 'building' or bl.unit = h.unit))
			group by h.building_id`
	},
	central_household_overloaded: {
		key: 'central_household_overloaded',
		kind: 'work',
		object: 'central_household',
		zh: '党员中心户联系户数超过15户',
		en: `Central household looking after more than ${CENTRAL_HOUSEHOLD_MAX} households`,
		query: () => sql`
			select c.household_id::text as object_id, min(b.grid_code) as area_code, count(*)::int4 as households,
			       jsonb_build_object('member_id', min(c.member_id), 'building_id', min(h.building_id)) as detail
			from central_household c
			join central_household_link l on l.central_household_id = c.household_id
			join household h on h.id = c.household_id
			join building b on b.id = h.building_id
			group by c.household_id
			having count(*) > ${sql.lit(CENTRAL_HOUSEHOLD_MAX)}`
	},
	building_unreachable: {
		key: 'building_unreachable',
		kind: 'service',
		object: 'building',
		zh: '路网不连通、无法步行到达任何服务中心的楼栋（数据缺口）',
		en: 'Building that can walk to no centre at all: its roads are cut off from the network (a data gap)',
		// a data-quality gap, not "beyond 15 minutes": the building's piece of the road network holds
		// no centre (issue 13). It still counts as outside every circle in the figures; this says why.
		// Reads the distances of the generation being written; none is flagged while no building at
		// all reaches a centre (a district with no centres has no road gap to show)
		query: () => sql`
			select bc.building_id::text as object_id, bc.grid_code as area_code, bc.households,
			       jsonb_build_object('name', b.name, 'address', b.address, 'access_m', bc.access_m) as detail
			from building_coverage bc join building b on b.id = bc.building_id
			where bc.any_m is null and exists (select 1 from building_coverage r where r.any_m is not null)`
	},
	secretary_empty: {
		key: 'secretary_empty',
		kind: 'organisation',
		object: 'organisation',
		zh: '党组织书记空缺',
		en: "Organisation whose secretary's seat is empty",
		query: () => sql`
			select o.id::text as object_id, coalesce(o.area_code, b.grid_code) as area_code, 0::int4 as households,
			       jsonb_build_object('kind', o.kind, 'name', o.name) as detail
			from party_org o left join building b on b.id = o.building_id
			where o.secretary_id is null`
	}
};

/**
 * The rules whose rows a party member's write can change, each for the buildings it touched only
 * (the incremental recompute, incremental.ts): one row per building, from that building's members
 * and organisations alone.
 */
export const MEMBER_RULES = ['member_building_uncovered'] as const satisfies readonly GapRule[];

/** the rules that read the walking distances (building_coverage): rewritten whenever they move */
export const DISTANCE_RULES = ['building_unreachable'] as const satisfies readonly GapRule[];

/** One rule's rows, computed now (scope '*' needed for the personal tables). */
export function gapQuery(rule: GapRule): RawBuilder<{ object_id: string; area_code: string; households: number; detail: unknown }> {
	return sql<{ object_id: string; area_code: string; households: number; detail: unknown }>`
		select * from (${GAP_RULE_SPECS[rule].query()}) q order by households desc, area_code, object_id`;
}

/** A stored gap row, as store.ts's gapList reads it. */
interface StoredGap {
	rule: GapRule;
	object_id: string;
	area_code: string;
	households: number;
	detail: Record<string, unknown>;
}

/** what a gap row's detail may hold of persons: ids (persons only) and counts (withheld when small) */
const DETAIL_IDS = ['household_ids', 'member_id'] as const;
const DETAIL_COUNTS = ['living', 'working'] as const;

/**
 * Gap rows as `audience` may see them. Viewers who see persons get them as stored. Others get
 * one row per grid, building or organisation still — where the gaps are — but no row whose object
 * is a person's home (central households), no household or member ids in the detail, and the
 * households touched and members counted withheld when between 0 and the threshold (null, listed
 * in `suppressed`; in the detail, in `detail.suppressed`).
 */
export function gapRowsFor<T extends StoredGap>(rows: readonly T[], audience: CountAudience) {
	if (audience.persons) return rows.map((r) => r as T & { households: number | null; suppressed?: string[] });
	return rows
		.filter((r) => GAP_RULE_SPECS[r.rule].object !== 'central_household')
		.map((r) => {
			const detail: Record<string, unknown> = { ...r.detail };
			for (const k of DETAIL_IDS) delete detail[k];
			return suppressSmallCells({ ...r, detail: suppressSmallCells(detail, { counts: DETAIL_COUNTS }, audience) }, { counts: ['households'] }, audience);
		});
}

/**
 * Per-rule counts (store.ts gapCounts) as `audience` may see them: the households touched, and the
 * central households flagged (persons' homes), withheld when small for viewers who see no persons.
 */
export function gapCountsFor(counts: Record<GapRule, { objects: number; households: number }>, audience: CountAudience) {
	const out = {} as Record<GapRule, { objects: number | null; households: number | null; suppressed?: string[] }>;
	for (const rule of GAP_RULES) {
		const c = counts[rule];
		const objects = GAP_RULE_SPECS[rule].object === 'central_household' ? smallCount(c.objects, audience) : c.objects;
		const households = smallCount(c.households, audience);
		const suppressed = [...(objects === null ? ['objects'] : []), ...(households === null ? ['households'] : [])];
		out[rule] = { objects, households, ...(suppressed.length ? { suppressed } : {}) };
	}
	return out;
}
