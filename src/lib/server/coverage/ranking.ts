// The coverage index (覆盖指数) and the rankings built on it: areas at each level and
// organisations of each kind, the bottom 10% marked for rectification (排名靠后, 软弱涣散).
//
// index = 100 × (0.4·S + 0.3·O + 0.3·W) / (the weights of the components that exist), to one
// decimal — as it is shown, so two areas that read the same rank by code, not by a hidden digit
//   S  service:      share of households whose nearest centre is within the 15-minute circle
//   O  organisation: mean of the shares that apply — grids with a branch, member buildings with a
//                    building-level organisation, key (office, market, park) buildings with an
//                    organisation or liaison station, organisations with a secretary in the seat
//   W  work:         mean of the share of households a central household or building leader looks
//                    after and the share visited (走访) in the last 90 days (coverage-rules.ts)
// A component with nothing to measure (an area with no households has no S or W) is left out and
// the other weights carry the index, so an office district is not ranked down for having no homes.
// Service weighs most because it is the household's own experience of reach (seed 001: "让老百姓只
// 进一个门"); organisation and work coverage weigh the same, as seed 003 lists them side by side.
// Looking after and visiting are both work coverage (seed 003: "关爱在网格"): a household someone
// is named to look after but nobody has visited is half covered.
// An organisation is scored on the area it answers for (its area, or its building's households
// when it sits in a building that has some), with O = the mean of its own secretary seat (0 or 1)
// and its area's O: an empty seat is the commonest mark of a weak organisation.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { VISIT_INDEX_WINDOW_DAYS } from '../../coverage-rules.ts';

export const INDEX_WEIGHTS = { service: 0.4, organisation: 0.3, work: 0.3 } as const;
/** share of each ranking marked for rectification, from the bottom (rounded) */
export const RECTIFY_SHARE = 0.1;
/** rankings of fewer than this many are too small to mark anyone */
export const RECTIFY_MIN_GROUP = 5;

export const INDEX_FORMULA = {
	zh: '覆盖指数 = 100 ×（0.4 × 服务覆盖 + 0.3 × 组织覆盖 + 0.3 × 工作覆盖）。服务覆盖：步行15分钟生活圈（约1000米）内有党群服务中心或便民服务站的户数占比；组织覆盖：网格党支部覆盖率、党员楼栋党组织覆盖率、商务楼宇/商圈市场/园区党组织（含联络站）覆盖率、书记到位率中适用各项的平均；工作覆盖：有党员中心户或楼栋长联系的户数占比与近90天走访户数占比的平均。无可计项（如无住户）不计入，其余权重按比例折算。组织排名时，组织覆盖取本组织书记到位（0或1）与所在区域组织覆盖的平均。同级（同类）排名后10%（四舍五入，参评不足5个不标记）标记为整顿对象（排名靠后、软弱涣散）。',
	en: "Coverage index = 100 × (0.4 × service + 0.3 × organisation + 0.3 × work). Service: share of households within the 15-minute living circle (≈1000 m walk) of a party-mass service centre or convenience station. Organisation: mean of the shares that apply — grids with a party branch, buildings with 3+ members covered by a building-level organisation, office/market/park buildings with an organisation or liaison station, organisations with a secretary. Work: mean of the share of households looked after by a central household or building leader and the share visited in the last 90 days. A component with nothing to measure (e.g. no households) is left out and the remaining weights are rescaled. For organisations, organisation = mean of its own secretary seat (0 or 1) and its area's organisation share. The bottom 10% of each level (or kind), rounded, is marked for rectification (排名靠后, 软弱涣散); rankings of fewer than 5 mark none."
} as const;

const W = INDEX_WEIGHTS;

/** the index is shown with one decimal: it is stored so (numeric(5,1), sql/011) and ranked so */
export const INDEX_DECIMALS = 1;

/** the index of three nullable 0..1 columns, weights rescaled over the ones present, rounded as shown */
export function indexSql(s: string, o: string, w: string) {
	const num = `${W.service} * coalesce(${s}, 0) + ${W.organisation} * coalesce(${o}, 0) + ${W.work} * coalesce(${w}, 0)`;
	const den = `${W.service} * (${s} is not null)::int + ${W.organisation} * (${o} is not null)::int + ${W.work} * (${w} is not null)::int`;
	return sql.raw(`case when (${den}) > 0 then round((100 * (${num}) / (${den}))::numeric, ${INDEX_DECIMALS}) end`);
}

/** the visit share the index counts: the column of its window (sql/023) */
const VISITED = `hh_visited_${VISIT_INDEX_WINDOW_DAYS}d`;

/** the three scores of an area_coverage row from its counts (unqualified column names) */
function areaScoresSql() {
	return sql`
		case when households > 0 then hh_15min::real / households end as service_score,
		(select avg(v)::real from unnest(array[
			case when grids > 0 then grids_with_branch::real / grids end,
			case when member_buildings > 0 then member_buildings_covered::real / member_buildings end,
			case when key_buildings > 0 then key_buildings_covered::real / key_buildings end,
			case when orgs > 0 then orgs_with_secretary::real / orgs end]) v) as organisation_score,
		case when households > 0 then (hh_cared::real / households + ${sql.ref(VISITED)}::real / households) / 2 end as work_score`;
}

/**
 * Scores and index of area_coverage's rows (all, or the areas `codes`), from their counts: a visit
 * (coverage/visits.ts) rescores the areas above it, then ranks again (rankAreaRows).
 */
export async function scoreAreas(trx: Kysely<Database>, codes?: readonly string[]): Promise<void> {
	// scored only where asked: a visit rescores a handful of areas, not all 5,000 of a district
	const only = codes ? sql`where code = any(${[...codes]}::text[])` : sql``;
	await sql`
		update area_coverage t set service_score = s.service_score, organisation_score = s.organisation_score,
			work_score = s.work_score, coverage_index = s.coverage_index
		from (${scoredSql(sql`select code, ${areaScoresSql()} from area_coverage ${only}`)}) s
		where t.code = s.code`.execute(trx);
}

/**
 * Scores, index, rank and rectification flags of every area_coverage row (its counts already
 * written), in one statement: the recompute's (three updates of every row cost three times one).
 */
export async function rankAreas(trx: Kysely<Database>): Promise<void> {
	await sql`
		update area_coverage t set service_score = r.service_score, organisation_score = r.organisation_score,
			work_score = r.work_score, coverage_index = r.coverage_index, rank = r.rank, rank_of = r.rank_of, rectify = r.rectify
		from (${rankedSql(scoredSql(sql`select code, level, ${areaScoresSql()} from area_coverage`), 'level', 'code')}) r
		where t.code = r.code`.execute(trx);
}

/** The ranks of area_coverage from the index its rows hold (only rows whose rank moves are written). */
export async function rankAreaRows(trx: Kysely<Database>): Promise<void> {
	await rank(trx, 'area_coverage', 'code', 'level');
}

/**
 * Rows with service_score, organisation_score and work_score, and their index as coverage_index,
 * computed from the scores as stored (real): the index a later rescoring computes from the stored
 * scores is then the same to the last digit.
 */
function scoredSql(rows: RawBuilder<unknown>) {
	return sql`select x.*, ${indexSql('(x.service_score)::real', '(x.organisation_score)::real', '(x.work_score)::real')} as coverage_index from (${rows}) x`;
}

/**
 * Rows with coverage_index, and rank, rank_of, rectify: rank 1 = best within each `group`, ties
 * by `tie`; rows without an index unranked and not flagged; the bottom RECTIFY_SHARE (rounded)
 * flagged in groups of RECTIFY_MIN_GROUP or more. The one rule of both rankings.
 */
function rankedSql(rows: RawBuilder<unknown>, group: string, tie: string) {
	const within = sql`partition by w.${sql.ref(group)}, w.coverage_index is null`;
	return sql`
		select v.*, coalesce(v.rank > v.rank_of - case when v.rank_of >= ${RECTIFY_MIN_GROUP} then round(${RECTIFY_SHARE}::float8 * v.rank_of) else 0 end, false) as rectify
		from (
			select w.*,
			       case when w.coverage_index is not null then row_number() over (${within} order by w.coverage_index desc, w.${sql.ref(tie)}) end::int as rank,
			       case when w.coverage_index is not null then count(*) over (${within}) end::int as rank_of
			from (${rows}) w
		) v`;
}

/**
 * Each organisation's scores, as rankOrganisations stores them: one select, so a visit's rescoring
 * (rescoreOrganisations) applies the same rule as the recompute.
 */
function organisationScoresSql() {
	return sql<{ org_id: number; kind: string; area_code: string; service_score: number | null; organisation_score: number; work_score: number | null }>`
		select o.id as org_id, o.kind, coalesce(o.area_code, b.grid_code) as area_code,
		       case when own then (bc.circle between 1 and 3)::int::real else a.service_score end as service_score,
		       ((o.secretary_id is not null)::int + coalesce(a.organisation_score, (o.secretary_id is not null)::int)) / 2.0 as organisation_score,
		       case when own then 1 - coalesce(u.households, 0)::real / bc.households else a.work_score end as work_score
		from party_org o
		left join building b on b.id = o.building_id
		left join area_coverage a on a.code = coalesce(o.area_code, b.grid_code)
		left join building_coverage bc on bc.building_id = o.building_id
		left join coverage_gap u on u.rule = 'household_uncared' and u.object_id = o.building_id::text
		cross join lateral (select o.area_code is null and coalesce(bc.households, 0) > 0 as own) x`;
}

/** Organisation scores from area_coverage and building_coverage, their index and ranks within each kind, in one statement. */
export async function rankOrganisations(trx: Kysely<Database>): Promise<void> {
	await sql`
		insert into org_coverage (org_id, kind, area_code, service_score, organisation_score, work_score, coverage_index, rank, rank_of, rectify)
		select org_id, kind, area_code, service_score, organisation_score, work_score, coverage_index, rank, rank_of, rectify
		from (${rankedSql(scoredSql(organisationScoresSql()), 'kind', 'org_id')}) r`.execute(trx);
}

/**
 * The organisations answering for the areas `codes` scored again from their areas' scores (all
 * when `codes` is null), with their index, then ranks within each kind: after a visit moved the
 * areas' work coverage.
 */
export async function rescoreOrganisations(trx: Kysely<Database>, codes: readonly string[] | null, { rank: ranked = true } = {}): Promise<void> {
	const only = sql`(${codes === null} or t.area_code = any(${codes ? [...codes] : []}::text[]))`;
	await sql`
		update org_coverage t set service_score = s.service_score, organisation_score = s.organisation_score, work_score = s.work_score
		from (${organisationScoresSql()}) s
		where t.org_id = s.org_id and ${only}
		  and t.work_score is distinct from s.work_score`.execute(trx);
	await sql`update org_coverage t set coverage_index = ${indexSql('service_score', 'organisation_score', 'work_score')}
		where ${only} and coverage_index is distinct from ${indexSql('service_score', 'organisation_score', 'work_score')}`.execute(trx);
	if (ranked) await rankOrganisationRows(trx);
}

/** The ranks of org_coverage from the index its rows hold (only rows whose rank moves are written). */
export async function rankOrganisationRows(trx: Kysely<Database>): Promise<void> {
	await rank(trx, 'org_coverage', 'org_id', 'kind');
}

/** The ranks of `table` from the index its rows hold (rankedSql's rule, ties by `key`); only rows whose rank moves are written. */
async function rank(trx: Kysely<Database>, table: string, key: string, group: string) {
	await sql`
		update ${sql.table(table)} t set rank = r.rank, rank_of = r.rank_of, rectify = r.rectify
		from (${rankedSql(sql`select ${sql.ref(key)}, ${sql.ref(group)}, coverage_index from ${sql.table(table)}`, group, key)}) r
		where t.${sql.ref(key)} = r.${sql.ref(key)}
		  and (t.rank, t.rank_of, t.rectify) is distinct from (r.rank, r.rank_of, r.rectify)`.execute(trx);
}
