// Tile sources of the coverage results, declared like src/lib/server/tiles/sources.ts (same
// shape, same tile-space SQL helpers) for the lead to register: `gaps` (blind spots) and
// `coverage_<level>` (areas with their shares and index). Their attributes are selected from the
// same SQL as the panels and exports (store.ts: areaCoverageSql, blindSpotSql), so a share on the
// map is the share in the panel and in the CSV. Counts only: no persons. For viewers who see no
// persons, household counts below the small-cell threshold are left out, with the shares computed
// from them (src/lib/server/privacy/small-cells.ts), as in the panels and exports.
import { sql, type RawBuilder } from 'kysely';
import { envelope, polygonGeom, tileSpace, type TileContext } from '../tiles/tile-sql.ts';
import { SUPPRESSED_TEXT, smallCellSql, unlessSmallSql } from '../privacy/small-cells.ts';
import { areaCoverageSql, blindSpotSql } from '../db/queries/coverage.ts';
import { AREA_CODE_LENGTH } from '../../api/inputs.ts';

export interface CoverageTileSource {
	name: string;
	description: string;
	geometry: 'polygon';
	minzoom: number;
	maxzoom: number;
	/** areas of one level: their codes' digits (tiles/sources.ts emptyByDesign) */
	areaCodeLength?: number;
	buffer: number;
	limit: number;
	hasId: boolean;
	fields: Record<string, string>;
	/** reads coverage results: call ensureCoverage (CoverageEngine.ensure) before serving */
	usesCoverage: true;
	sql(ctx: TileContext): RawBuilder<unknown>;
}

const BUFFER = 64;
const tolerance = (z: number) => (z < 14 ? 4 : 2);

export const AREA_COVERAGE_FIELDS = {
	code: 'area code',
	name: 'area name',
	households: `households; left out when ${SUPPRESSED_TEXT} for viewers who see no persons`,
	share_5min: 'share of households within the 5-minute circle, 0..1, 4 decimals; left out when the households in it or in the area are',
	share_10min: 'share within the 10-minute circle (left out likewise)',
	share_15min: 'share within the 15-minute circle (left out likewise)',
	coverage_index: 'coverage index 0..100 (ranking.ts INDEX_FORMULA)',
	rank: 'rank among areas of the level (1 = best)',
	rectify: '1 when marked for rectification (bottom of the ranking)',
	blind_spots: 'blind spots in the area'
};

export function areaCoverageTileSource(level: 'street' | 'community' | 'grid'): CoverageTileSource {
	return {
		name: `coverage_${level}`,
		description: `${level} coverage: living-circle shares and the coverage index`,
		geometry: 'polygon',
		minzoom: 8,
		maxzoom: 16,
		areaCodeLength: AREA_CODE_LENGTH[level],
		buffer: BUFFER,
		limit: 10_000,
		hasId: true,
		fields: AREA_COVERAGE_FIELDS,
		usesCoverage: true,
		sql: (ctx) => {
			const share = (n: '5' | '10' | '15') => unlessSmallSql([sql`c.households`, sql.ref(`c.hh_${n}min`)], sql.ref(`c.share_${n}min`), ctx.persons);
			return sql`
			select ${polygonGeom(sql`tt.t`, BUFFER, tolerance(ctx.box.z))} as geom, c.code::int8 as fid,
			       c.code, c.name, ${smallCellSql(sql`c.households`, ctx.persons)} as households,
			       ${share('5')} as share_5min, ${share('10')} as share_10min, ${share('15')} as share_15min, c.coverage_index,
			       c.rank, c.rectify::int4 as rectify, c.blind_spots
			from (${areaCoverageSql(ctx.scope, { requests: false })}) c
			join area a on a.code = c.code
			cross join lateral (select ${tileSpace(sql`a.geom`, ctx.box)} as t) tt
			where c.level = ${level} and a.geom && ${envelope(ctx, BUFFER)}
			order by c.code limit ${sql.lit(10_000)}`;
		}
	};
}

export const gapsTileSource: CoverageTileSource = {
	name: 'gaps',
	description: 'blind spots: uncovered buildings grouped within each grid',
	geometry: 'polygon',
	minzoom: 10,
	maxzoom: 17,
	buffer: BUFFER,
	limit: 10_000,
	hasId: true,
	fields: {
		id: 'blind spot id (rank by households affected)',
		households: `households affected; left out when ${SUPPRESSED_TEXT} for viewers who see no persons`,
		buildings: 'buildings in it',
		gap_kinds: 'service, organisation, work (comma-separated)',
		grid_code: 'the grid it lies in'
	},
	usesCoverage: true,
	sql: (ctx) => sql`
		select ${polygonGeom(sql`tt.t`, BUFFER, tolerance(ctx.box.z))} as geom, s.id::int8 as fid, s.id,
		       ${smallCellSql(sql`s.households`, ctx.persons)} as households, s.buildings,
		       array_to_string(s.gap_kinds, ',') as gap_kinds, s.grid_code
		from (${blindSpotSql(ctx.scope)}) s
		join blind_spot b on b.id = s.id
		cross join lateral (select ${tileSpace(sql`b.geom`, ctx.box)} as t) tt
		where b.geom && ${envelope(ctx, BUFFER)}
		order by s.households desc, s.id limit ${sql.lit(10_000)}`
};
