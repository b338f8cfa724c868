// Areas of the hierarchy: outlines for the map and the one summary every panel, screen and
// report reads its figures from.
import { sql } from 'kysely';
import type { Db } from '../open.ts';

export const AREA_LEVELS = ['district', 'street', 'community', 'grid'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export function isAreaLevel(value: string): value is AreaLevel {
	return (AREA_LEVELS as readonly string[]).includes(value);
}

/** All areas of one level as a GeoJSON FeatureCollection, built by PostGIS as text. */
export async function areaOutlinesGeoJson(db: Db, level: AreaLevel): Promise<string> {
	const { rows } = await sql<{ fc: string }>`
		select json_build_object(
			'type', 'FeatureCollection',
			'features', coalesce(json_agg(json_build_object(
				'type', 'Feature',
				'id', a.code,
				'properties', json_build_object('code', a.code, 'name', a.name, 'level', a.level,
					'kind', a.kind, 'parent_code', a.parent_code),
				'geometry', ST_AsGeoJSON(a.geom, 6)::json
			) order by a.code), '[]'::json)
		)::text as fc
		from area a where a.level = ${level}`.execute(db.kysely);
	return rows[0].fc;
}

export interface AreaRef {
	code: string;
	name: string;
	level: AreaLevel;
	kind: 'community' | 'village' | null;
}

export interface AreaFigures {
	streets: number;
	communities: number;
	villages: number;
	grids: number;
	buildings: number;
	households: number;
	residents: number;
	members: number;
	organisations: number;
	service_centres: number;
}

export interface AreaSummary extends AreaRef {
	breadcrumb: AreaRef[];
	figures: AreaFigures;
	bbox: [number, number, number, number];
	children: (AreaRef & { households: number; members: number })[];
}

/**
 * The figures of one area and its children. Area codes are hierarchical, so "inside the area"
 * is a prefix match on the grid code every building carries.
 */
export async function areaSummary(db: Db, code: string): Promise<AreaSummary | undefined> {
	const area = await db.kysely
		.selectFrom('area')
		.select(['code', 'name', 'level', 'kind', sql<string>`ST_AsText(ST_Envelope(geom))`.as('envelope'),
			sql<string>`ST_XMin(geom)`.as('xmin'), sql<string>`ST_YMin(geom)`.as('ymin'),
			sql<string>`ST_XMax(geom)`.as('xmax'), sql<string>`ST_YMax(geom)`.as('ymax')])
		.where('code', '=', code)
		.executeTakeFirst();
	if (!area) return undefined;
	const prefix = `${code}%`;

	const breadcrumb = await db.kysely
		.selectFrom('area')
		.select(['code', 'name', 'level', 'kind'])
		.where(sql<boolean>`${code} like code || '%'`)
		.orderBy(sql`length(code)`)
		.execute();

	const { rows: [figures] } = await sql<AreaFigures>`
		with b as (select id from building where grid_code like ${prefix}),
		     h as (select h.id, h.residents from household h join b on b.id = h.building_id)
		select
			(select count(*) from area where code like ${prefix} and level = 'street')::int as streets,
			(select count(*) from area where code like ${prefix} and level = 'community' and kind = 'community')::int as communities,
			(select count(*) from area where code like ${prefix} and level = 'community' and kind = 'village')::int as villages,
			(select count(*) from area where code like ${prefix} and level = 'grid')::int as grids,
			(select count(*) from b)::int as buildings,
			(select count(*) from h)::int as households,
			(select coalesce(sum(residents), 0) from h)::int as residents,
			(select count(*) from party_member m join h on h.id = m.household_id)::int as members,
			(select count(*) from party_org o
			   where o.area_code like ${prefix} or o.building_id in (select id from b))::int as organisations,
			(select count(*) from service_centre where area_code like ${prefix})::int as service_centres
	`.execute(db.kysely);

	const childLength = code.length + 3;
	const { rows: children } = await sql<AreaRef & { households: number; members: number }>`
		with hh as (
			select left(b.grid_code, ${childLength}) as code, count(h.id)::int as households,
			       count(m.id)::int as members
			from building b
			join household h on h.building_id = b.id
			left join party_member m on m.household_id = h.id
			where b.grid_code like ${prefix}
			group by 1
		)
		select a.code, a.name, a.level, a.kind,
		       coalesce(hh.households, 0) as households, coalesce(hh.members, 0) as members
		from area a left join hh on hh.code = a.code
		where a.parent_code = ${code}
		order by a.code`.execute(db.kysely);

	return {
		code: area.code,
		name: area.name,
		level: area.level,
		kind: area.kind,
		breadcrumb,
		figures,
		bbox: [Number(area.xmin), Number(area.ymin), Number(area.xmax), Number(area.ymax)],
		children
	};
}

/** The root of the hierarchy (the district), if any data is loaded. */
export async function rootArea(db: Db): Promise<AreaRef | undefined> {
	return db.kysely
		.selectFrom('area')
		.select(['code', 'name', 'level', 'kind'])
		.where('level', '=', 'district')
		.orderBy('code')
		.executeTakeFirst();
}
