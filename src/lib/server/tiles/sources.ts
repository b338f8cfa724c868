// The tile sources, declared Martin-style: one entry per layer with its geometry, zoom range,
// buffer, feature cap, attributes and the SQL that selects its features for one tile. The same
// declaration drives both backends (tile-sql.ts), TileJSON (tilejson.ts) and the tests.
//
// The source-layer inside each tile is named like the layer. Attributes are counts and codes only:
// no names of people, phones or political status (an access-control issue builds on this), and
// every query is restricted to the area-code prefix `scope` ('' = the whole district).
//
// For a viewer without person access (ctx.persons false) every count of persons between 0 and
// the small-cell threshold is left out of the feature, and so is anything computed from it
// (src/lib/server/privacy/small-cells.ts); layers that place households give them nothing.
// A layer that carries persons (`persons: true`) is sent with Cache-Control: no-store (http.ts).
import { sql, type RawBuilder } from 'kysely';
import { areaCoverageTileSource, gapsTileSource, type CoverageTileSource } from '../coverage/tiles.ts';
import { COVERING_KINDS, MEMBER_BUILDING_THRESHOLD } from '../../coverage-rules.ts';
import { SUPPRESSED_TEXT, smallCellSql, unlessSmallSql } from '../privacy/small-cells.ts';
import { OVERDUE } from '../requests/overdue.ts';
import { AREA_CODE_LENGTH } from '../../api/inputs.ts';
import { envelope, householdPoint3857, lineGeom, pointGeom, polygonGeom, tileSpace, toTileSpace, type TileContext } from './tile-sql.ts';

export const LAYER_NAMES = [
	'streets',
	'communities',
	'grids',
	'buildings',
	'roads',
	'service_centres',
	'members',
	'central_links',
	'requests',
	'gaps',
	'coverage_street',
	'coverage_community',
	'coverage_grid'
] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** Whether a tile (or, with `z` null, the layer's TileJSON) places individual households. */
export function placesHouseholds(layer: LayerName, z: number | null): boolean {
	const source = SOURCES[layer];
	if (source.householdsFrom === undefined) return false;
	return z === null ? source.householdsFrom <= source.minzoom : z >= source.householdsFrom;
}

/**
 * Whether a layer's tile is empty whatever the data: below the layer's minzoom, or areas of a level
 * above the viewer's scope (a street's code never starts with a grid leader's grid code). Answered
 * without the database: a grid leader's map asks for such tiles at every pan.
 */
export function emptyByDesign(layer: LayerName, z: number, scope: string): boolean {
	const source = SOURCES[layer];
	return z < source.minzoom || (source.areaCodeLength !== undefined && scope.length > source.areaCodeLength);
}

export function isLayerName(s: string): s is LayerName {
	return (LAYER_NAMES as readonly string[]).includes(s);
}

export interface TileSource {
	name: LayerName;
	description: string;
	geometry: 'polygon' | 'line' | 'point';
	/** below it the layer answers 204 */
	minzoom: number;
	/**
	 * the layer's features are areas of one level, whose codes have this many digits (sql/001's
	 * area_code_shape): in a deeper scope — a grid leader's streets or communities — it has nothing,
	 * and answers 204 without asking the database (see emptyByDesign)
	 */
	areaCodeLength?: number;
	/** announced in TileJSON: above it the map overzooms (the endpoint still serves up to z22) */
	maxzoom: number;
	/** tile units kept around the tile for polygons and lines (default 64 of 4096); points get none */
	buffer: number;
	/** at most this many features per tile, the most important first */
	limit: number;
	/** whether rows carry a `fid` column that becomes the MVT feature id */
	hasId: boolean;
	/**
	 * the layer carries persons: it places households or links them (household ids, members per
	 * household). Its tiles are never stored by a browser (no-store, http.ts); the other layers'
	 * counts (per building at the finest) may be kept a little, per signed-in user.
	 */
	persons: boolean;
	/**
	 * from this zoom the layer places individual households (their spots, links between them):
	 * refused outright to viewers who see no persons — the whole layer, TileJSON included, when
	 * that is its minzoom or below. Absent: it never does.
	 */
	householdsFrom?: number;
	/** attribute name → TileJSON description (every attribute the layer can carry, at some zoom) */
	fields: Record<string, string>;
	/** areas-based layers read area_stats, which must be fresh first */
	usesAreaStats: boolean;
	/** coverage layers read the stored coverage results, which must be fresh first */
	usesCoverage?: boolean;
	/**
	 * its features change without a data version (residents' requests move along their own trail,
	 * and turn amber and red by the clock): its tiles are never kept in the tile LRU (service.ts)
	 */
	live?: boolean;
	/** the rows of one tile: `geom` in tile space, `fid` when hasId, then the fields */
	sql(ctx: TileContext): RawBuilder<unknown>;
}

const POLYGON_BUFFER = 64;
/** a household's spot lies at most 0.3·√area from its building's centroid: 40 m covers that */
const SPOT_MARGIN = 40;
const COVERING_ORGS = sql`(${sql.join(COVERING_KINDS.map((k) => sql.lit(k)))})`;

/** half a screen pixel of a 512-pixel tile below z14, a quarter from z14 */
function areaTolerance(z: number): number {
	return z < 14 ? 4 : 2;
}

/** said of every count a viewer without person access may find withheld */
const WITHHELD = `; left out when ${SUPPRESSED_TEXT} for viewers who see no persons`;

const AREA_FIELDS = {
	code: 'area code (6/9/12/15 digits)',
	name: 'area name',
	households: `households (area_stats)${WITHHELD}`,
	members: `party members living here (area_stats)${WITHHELD}`,
	buildings: 'buildings (area_stats)',
	member_density: `members per km², rounded; left out with members`,
	org_coverage: 'grids with a grid party branch / grids, 0..1, 3 decimals'
};

function areaSource(
	name: 'streets' | 'communities' | 'grids',
	level: 'street' | 'community' | 'grid',
	description: string,
	fields: Record<string, string>
): TileSource {
	return {
		name,
		description,
		geometry: 'polygon',
		minzoom: 8,
		maxzoom: 16,
		areaCodeLength: AREA_CODE_LENGTH[level],
		buffer: POLYGON_BUFFER,
		limit: 10_000,
		hasId: true,
		persons: false,
		fields,
		usesAreaStats: true,
		sql: (ctx) => {
			const kind = level === 'community' ? sql`, a.kind` : sql``;
			const branch = level === 'grid' ? sql`, (coalesce(s.grids_with_branch, 0) > 0)::int4 as has_branch` : sql``;
			const members = sql`coalesce(s.members, 0)`;
			return sql`
				select ${polygonGeom(sql`tt.t`, POLYGON_BUFFER, areaTolerance(ctx.box.z))} as geom,
				       a.code::int8 as fid, a.code, a.name${kind},
				       ${smallCellSql(sql`coalesce(s.households, 0)`, ctx.persons)}::int4 as households,
				       ${smallCellSql(members, ctx.persons)}::int4 as members,
				       coalesce(s.buildings, 0)::int4 as buildings,
				       ${unlessSmallSql([members], sql`coalesce(round((s.members / nullif(s.area_km2, 0))::numeric), 0)`, ctx.persons)}::int4 as member_density,
				       coalesce(round(s.grids_with_branch::numeric / nullif(s.grids, 0), 3), 0)::float8 as org_coverage${branch}
				from (
					select code, name, kind, geom from area
					where level = ${level} and geom && ${envelope(ctx, POLYGON_BUFFER)} and starts_with(code, ${ctx.scope}::text)
					order by code limit ${sql.lit(10_000)}
				) a
				left join area_stats s on s.code = a.code
				cross join lateral (select ${tileSpace(sql`a.geom`, ctx.box)} as t) tt
				order by a.code`;
		}
	};
}

const buildings: TileSource = {
	name: 'buildings',
	description: 'buildings with the party members living or working in them',
	geometry: 'polygon',
	minzoom: 13,
	maxzoom: 17,
	buffer: POLYGON_BUFFER,
	limit: 20_000,
	hasId: true,
	persons: false,
	fields: {
		id: 'building id',
		kind: 'residential | office | commercial | school | public | industrial | mixed',
		floors: 'floors above ground',
		height: 'height in metres, 1 decimal',
		members: `party members living or working here${WITHHELD}, or when those living or those working here are`,
		member_building: `1 when ${MEMBER_BUILDING_THRESHOLD} or more members live or work here (the map's coverage colouring reads it, never the member count)`,
		covered: '1 when a building-level party organisation sits here',
		grid_code: 'the grid it belongs to'
	},
	usesAreaStats: false,
	// per-building counts as correlated lookups down the foreign-key indexes: linear in the
	// buildings of the tile whatever the planner's statistics say (a fresh import has none)
	sql: (ctx) => {
		// the building panel shows those living and those working here apart: when either is withheld,
		// so is their sum, or the difference would give it away; whether the building has enough
		// members to need a party group (the map's coverage colouring) is told instead
		const sum = sql`(c.living + c.working)`;
		const members = unlessSmallSql([sql`c.living`, sql`c.working`, sum], sum, ctx.persons);
		const memberBuilding = sql`, (${sum} >= ${sql.lit(MEMBER_BUILDING_THRESHOLD)})::int4 as member_building`;
		return sql`
		select ${polygonGeom(sql`tt.t`, POLYGON_BUFFER, ctx.box.z < 16 ? 1 : 0)} as geom,
		       b.id as fid, b.id::int8 as id, b.kind, b.floors::int4 as floors,
		       round(b.height::numeric, 1)::float8 as height,
		       ${members}::int4 as members${memberBuilding},
		       (exists (select 1 from party_org o where o.building_id = b.id and o.kind in ${COVERING_ORGS}))::int4 as covered,
		       b.grid_code
		from (
			select id, grid_code, kind, floors, height, geom, ST_Area(geom) as a from building
			where geom && ${envelope(ctx, POLYGON_BUFFER)} and starts_with(grid_code, ${ctx.scope}::text)
			order by a desc, id limit ${sql.lit(20_000)}
		) b
		cross join lateral (select ${livingIn(sql`b.id`)} as living,
		                           (select count(*) from party_member m where m.workplace_building_id = b.id) as working
		                    -- offset 0 keeps the lateral from being inlined: the suppression expressions name
		                    -- c.living and c.working several times, and each would rerun its count
		                    offset 0) c
		cross join lateral (select ${tileSpace(sql`b.geom`, ctx.box)} as t) tt
		order by b.a desc, b.id`;
	}
};

/** members living in a building: the schema's count (sql/025), one row per building, none when 0 */
function livingIn(buildingId: RawBuilder<unknown>): RawBuilder<unknown> {
	return sql`coalesce((select n.living from building_member_count n where n.building_id = ${buildingId}), 0)`;
}

const roads: TileSource = {
	name: 'roads',
	description: 'roads; local streets and footways from z14',
	geometry: 'line',
	minzoom: 10,
	maxzoom: 16,
	buffer: POLYGON_BUFFER,
	limit: 10_000,
	hasId: true,
	persons: false,
	fields: { class: 'arterial | secondary | local | footway', name: 'road name, when it has one' },
	usesAreaStats: false,
	sql: (ctx) => {
		const minor = ctx.box.z >= 14 ? sql`` : sql`and class in ('arterial', 'secondary')`;
		// roads carry no area code: a scoped tile keeps the roads that touch the scope's outline
		const scoped = sql`(${ctx.scope}::text = '' or exists (
			select 1 from area s where s.code = ${ctx.scope}::text and ST_Intersects(s.geom, r.geom)))`;
		return sql`
			select ${lineGeom(sql`tt.t`, POLYGON_BUFFER, areaTolerance(ctx.box.z) / 2)} as geom, r.id as fid, r.class, r.name
			from (
				select id, class, name, geom from road
				where geom && ${envelope(ctx, POLYGON_BUFFER)} ${minor}
				order by case class when 'arterial' then 0 when 'secondary' then 1 when 'local' then 2 else 3 end, id
				limit ${sql.lit(10_000)}
			) r
			cross join lateral (select ${tileSpace(sql`r.geom`, ctx.box)} as t) tt
			where ${scoped}
			order by case r.class when 'arterial' then 0 when 'secondary' then 1 when 'local' then 2 else 3 end, r.id`;
	}
};

const serviceCentres: TileSource = {
	name: 'service_centres',
	description: 'party-mass service centres and convenience stations',
	geometry: 'point',
	minzoom: 10,
	maxzoom: 16,
	buffer: 0,
	limit: 5_000,
	hasId: true,
	persons: false,
	fields: { id: 'service centre id', level: 'district | street | community | station', name: 'centre name' },
	usesAreaStats: false,
	sql: (ctx) => sql`
		select ${pointGeom(sql`tt.t`)} as geom, c.id as fid, c.id::int8 as id, c.level, c.name
		from service_centre c
		cross join lateral (select ${tileSpace(sql`c.geom`, ctx.box)} as t) tt
		where c.geom && ${envelope(ctx, 0)} and starts_with(c.area_code, ${ctx.scope}::text)
		order by c.id limit ${sql.lit(5_000)}`
};

/**
 * z ≤ 13: one point per grid; z14–15: one per building; z ≥ 16: one per household with members
 * (for viewers who see no persons: still one per building, with small counts left out).
 */
const members: TileSource = {
	name: 'members',
	description: 'households with party members: per grid to z13, per building to z15, per household from z16',
	geometry: 'point',
	minzoom: 10,
	maxzoom: 17,
	buffer: 0,
	limit: 20_000,
	hasId: true,
	persons: true,
	householdsFrom: 16,
	fields: {
		kind: 'grid | building | household',
		grid_code: 'the grid (kind grid)',
		building_id: 'the building (kind building and household)',
		household_id: 'the household (kind household; only for viewers who see persons)',
		households: `households with members (kind grid and building)${WITHHELD}`,
		members: `party members living there${WITHHELD}`,
		central: '1 for a central household 党员中心户 (kind household)'
	},
	usesAreaStats: true,
	sql: (ctx) => {
		const z = ctx.box.z;
		const p = ctx.persons;
		if (z <= 13) {
			// the member count is area_stats' (the one source of area figures); households with members
			// are not among its columns, so they are summed here from the schema's per-building counts
			// (sql/032): the grid's rows of one index, where a distinct count over the grid's members
			// took ~50 ms in a chaoyang z12 tile
			return sql`
				select p.geom, p.code::int8 as fid, 'grid' as kind, p.code as grid_code,
				       ${smallCellSql(sql`x.households`, p)}::int4 as households,
				       ${smallCellSql(sql`coalesce(s.members, 0)`, p)}::int4 as members
				from (
					select g.code, ${pointGeom(sql`tt.t`)} as geom
					from area g cross join lateral (select ${tileSpace(sql`ST_PointOnSurface(g.geom)`, ctx.box)} as t) tt
					where g.level = 'grid' and g.geom && ${envelope(ctx, 0)} and starts_with(g.code, ${ctx.scope}::text)
				) p
				cross join lateral (
					select coalesce(sum(n.households), 0) as households from building_member_count n where n.grid_code = p.code
				) x
				left join area_stats s on s.code = p.code
				where p.geom is not null and x.households > 0
				order by p.code limit ${sql.lit(20_000)}`;
		}
		if (z < (members.householdsFrom ?? Infinity) || !p) {
			return sql`
				select ${pointGeom(sql`tt.t`)} as geom, b.id as fid, 'building' as kind, b.id::int8 as building_id,
				       ${smallCellSql(sql`n.households`, p)}::int4 as households,
				       ${smallCellSql(sql`n.living`, p)}::int4 as members
				from (
					-- offset 0: the tile's buildings by the spatial index, then ordered; without it the
					-- planner walked the primary key for the order and filtered every building of the
					-- district by the box (chaoyang, a district admin at z14: 150,000 rows read for 3,600)
					select id, geom from building
					where geom && ${envelope(ctx, 0)} and starts_with(grid_code, ${ctx.scope}::text)
					offset 0
				) b
				-- the schema's counts (sql/025, sql/032): one row per building with members living there,
				-- looked up per building (offset 0: a merge join read the district's 39,000 rows in key
				-- order for a tile of 4,000 buildings)
				cross join lateral (
					select c.households, c.living from building_member_count c where c.building_id = b.id offset 0
				) n
				cross join lateral (select ${tileSpace(sql`ST_Centroid(b.geom)`, ctx.box)} as t) tt
				order by b.id limit ${sql.lit(20_000)}`;
		}
		return sql`
			select ${pointGeom(sql`tt.t`)} as geom, h.id as fid, 'household' as kind,
			       h.id::int8 as household_id, b.id::int8 as building_id, x.n::int4 as members,
			       -- a lookup by key, not exists(): for that the planner hashed all the central households
			       -- (50,000 at chaoyang) for every tile
			       ((select 1 from central_household c where c.household_id = h.id) is not null)::int4 as central
			from (
				select id, ST_Transform(geom, 3857) as g3 from building
				where geom && ${envelope(ctx, SPOT_MARGIN * ctx.box.scale)} and starts_with(grid_code, ${ctx.scope}::text)
			) b
			join household h on h.building_id = b.id
			cross join lateral (select count(*) as n from party_member m where m.household_id = h.id) x
			cross join lateral (select ${toTileSpace(householdPoint3857(sql`b.g3`, sql`h.id`), ctx.box)} as t) tt
			where x.n > 0
			order by h.id limit ${sql.lit(20_000)}`;
	}
};

/**
 * Links join neighbours: a link longer than LINK_REACH metres (Web Mercator) may be missing from
 * tiles that hold neither of its ends. Any link that crosses a tile has its central end within its
 * own length of the tile, so searching the central ends within that reach is enough.
 */
const LINK_REACH = 800;

const centralLinks: TileSource = {
	name: 'central_links',
	description: 'a line from each central household 党员中心户 to each household it looks after',
	geometry: 'line',
	minzoom: 17,
	maxzoom: 18,
	buffer: POLYGON_BUFFER,
	limit: 20_000,
	hasId: false,
	householdsFrom: 0,
	persons: true,
	fields: { central_household_id: 'the central household', household_id: 'the household it looks after' },
	usesAreaStats: false,
	// households' ids: nothing at all for a viewer who sees no persons
	sql: (ctx) => sql`
		with ends as (
			select l.central_household_id, l.household_id, bc.geom as cg, bo.geom as og
			from building bc
			join household hc on hc.building_id = bc.id
			join central_household_link l on l.central_household_id = hc.id
			join household ho on ho.id = l.household_id
			join building bo on bo.id = ho.building_id
			where ${ctx.persons ? sql`true` : sql`false`} and bc.geom && ${envelope(ctx, LINK_REACH * ctx.box.scale)}
			  and starts_with(bc.grid_code, ${ctx.scope}::text) and starts_with(bo.grid_code, ${ctx.scope}::text)
			  -- boxes first: only links whose two buildings' box reaches the tile get a line
			  and ST_CombineBBox(bc.geom::box2d, bo.geom)::geometry && ${envelope(ctx, POLYGON_BUFFER + SPOT_MARGIN * ctx.box.scale)}
			order by l.central_household_id, l.household_id limit ${sql.lit(20_000)}
		)
		select ${lineGeom(sql`tt.t`, POLYGON_BUFFER, 0)} as geom,
		       e.central_household_id::int8 as central_household_id, e.household_id::int8 as household_id
		from ends e
		cross join lateral (select ${toTileSpace(
			sql`ST_MakeLine(
				${householdPoint3857(sql`ST_Transform(e.cg, 3857)`, sql`e.central_household_id`)},
				${householdPoint3857(sql`ST_Transform(e.og, 3857)`, sql`e.household_id`)})`,
			ctx.box
		)} as t) tt
		order by e.central_household_id, e.household_id`
};

/**
 * Residents' requests 群众诉求 (issue 11 part 3): open ones (not yet confirmed by the resident).
 * z ≤ 13: one point per grid (at the grid's ST_PointOnSurface) with its open, amber and red counts;
 * from z14 one point per open request — the request's own place is a household's building, so
 * from there the layer is refused to viewers who see no persons (for them, still one per grid).
 * Never the description, the photo or the household.
 */
const requests: TileSource = {
	name: 'requests',
	description: "residents' open requests: per grid (open and overdue counts) to z13, one per request from z14",
	geometry: 'point',
	minzoom: 10,
	maxzoom: 17,
	buffer: 0,
	limit: 20_000,
	hasId: true,
	persons: true,
	householdsFrom: 14,
	live: true,
	fields: {
		kind: 'grid | request',
		grid_code: 'the grid',
		open: `open requests, not yet confirmed by the resident (kind grid)${WITHHELD}`,
		amber: `open requests past their time limit, not yet twice it (kind grid)${WITHHELD}`,
		red: `open requests past twice their time limit (kind grid)${WITHHELD}`,
		id: 'the request (kind request)',
		state: 'submitted | accepted | in_progress | resolved | reopened (kind request)',
		level: 'grid | community | street: who holds it (kind request)',
		category: 'environment | facilities | safety | neighbours | welfare | other (kind request)',
		urgency: 'normal | urgent | critical (kind request)',
		overdue: 'none | amber | red (kind request)'
	},
	usesAreaStats: false,
	sql: (ctx) => {
		const p = ctx.persons;
		if (ctx.box.z < (requests.householdsFrom ?? Infinity) || !p) {
			return sql`
				select p.geom, p.code::int8 as fid, 'grid' as kind, p.code as grid_code,
				       ${smallCellSql(sql`x.open`, p)}::int4 as open,
				       ${smallCellSql(sql`x.amber`, p)}::int4 as amber,
				       ${smallCellSql(sql`x.red`, p)}::int4 as red
				from (
					select g.code, ${pointGeom(sql`tt.t`)} as geom
					from area g cross join lateral (select ${tileSpace(sql`ST_PointOnSurface(g.geom)`, ctx.box)} as t) tt
					where g.level = 'grid' and g.geom && ${envelope(ctx, 0)} and starts_with(g.code, ${ctx.scope}::text)
				) p
				cross join lateral (
					select count(*) as open, count(*) filter (where q.o = 'amber') as amber, count(*) filter (where q.o = 'red') as red
					from (select ${OVERDUE} as o from request r join request_time_limit l using (category, urgency)
					      where r.grid_code = p.code and r.state <> 'confirmed' offset 0) q
				) x
				where p.geom is not null and x.open > 0
				order by p.code limit ${sql.lit(20_000)}`;
		}
		return sql`
			select ${pointGeom(sql`tt.t`)} as geom, r.id as fid, 'request' as kind, r.id::int8 as id, r.grid_code,
			       r.state, r.level, r.category, r.urgency, ${OVERDUE} as overdue
			from request r join request_time_limit l using (category, urgency)
			cross join lateral (select ${tileSpace(sql`r.geom`, ctx.box)} as t) tt
			where r.geom && ${envelope(ctx, 0)} and starts_with(r.grid_code, ${ctx.scope}::text) and r.state <> 'confirmed'
			order by r.id limit ${sql.lit(20_000)}`;
	}
};

export const SOURCES: Record<LayerName, TileSource> = {
	streets: areaSource('streets', 'street', 'streets 街道 with their figures', AREA_FIELDS),
	communities: areaSource('communities', 'community', 'communities 社区 and villages 村 with their figures', {
		...AREA_FIELDS,
		kind: 'community | village'
	}),
	grids: areaSource('grids', 'grid', 'grids 网格 with their figures', {
		...AREA_FIELDS,
		has_branch: '1 when a grid party branch 网格党支部 covers it'
	}),
	buildings,
	roads,
	service_centres: serviceCentres,
	members,
	central_links: centralLinks,
	requests,
	gaps: coverageSource(gapsTileSource),
	coverage_street: coverageSource(areaCoverageTileSource('street')),
	coverage_community: coverageSource(areaCoverageTileSource('community')),
	coverage_grid: coverageSource(areaCoverageTileSource('grid'))
};

/** The coverage results' sources (src/lib/server/coverage/tiles.ts) in this module's terms. */
function coverageSource<N extends LayerName>(c: CoverageTileSource): TileSource {
	return { ...c, name: c.name as N, persons: false, usesAreaStats: false, usesCoverage: true };
}
