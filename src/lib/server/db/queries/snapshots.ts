// Daily snapshots (sql/018): each area's figures as they stood on a day, read by the big screen's
// 30-day trends and the planner map's time slider. The figures are copied from the one query path
// (area_stats and areaCoverageSql, the same rows the panel and the tiles read), never recomputed.
import { sql } from 'kysely';
import { scopePrefix, type Scoped } from '../scoped.ts';
import { areaCoverageSql, areaPrefix } from './coverage.ts';

/** the figures a snapshot keeps of each area (counts of persons are small-cell checked when read) */
export interface SnapshotFigures {
	households: number;
	members: number;
	organisations: number;
	service_centres: number;
	share_5min: number | null;
	share_10min: number | null;
	share_15min: number | null;
	coverage_index: number | null;
	rank: number | null;
	rectify: boolean | null;
	blind_spots: number | null;
	hh_in_blind_spots: number | null;
}

/**
 * Writes the snapshot of `day` (default: today, server time zone) for every area, replacing one
 * taken earlier that day. Must run as the system (SYSTEM scope): it copies every area.
 * Returns the number of areas and blind spots kept.
 */
export async function takeSnapshot(trx: Scoped, day?: string): Promise<{ day: string; areas: number; blind_spots: number }> {
	if (scopePrefix(trx) !== '') throw new Error("a snapshot is the system's work: open it with SYSTEM scope");
	const d = day ?? (await sql<{ d: string }>`select current_date::text as d`.execute(trx)).rows[0].d;
	await sql`delete from area_snapshot where day = ${d}::date`.execute(trx);
	await sql`delete from blind_spot_snapshot where day = ${d}::date`.execute(trx);
	const {
		rows: [a]
	} = await sql<{ n: number }>`
		with ins as (
			insert into area_snapshot (day, code, level, figures, data_version)
			select ${d}::date, s.code, s.level,
			       jsonb_build_object(
			         'households', s.households, 'members', s.members, 'organisations', s.organisations, 'service_centres', s.service_centres,
			         'share_5min', c.share_5min, 'share_10min', c.share_10min, 'share_15min', c.share_15min,
			         'coverage_index', c.coverage_index, 'rank', c.rank, 'rectify', c.rectify,
			         'blind_spots', c.blind_spots, 'hh_in_blind_spots', c.hh_in_blind_spots),
			       (select version from data_version where id = 1)
			from area_stats s left join (${areaCoverageSql('', { requests: false })}) c on c.code = s.code
			returning 1)
		select count(*)::int as n from ins`.execute(trx);
	const {
		rows: [b]
	} = await sql<{ n: number }>`
		with ins as (
			insert into blind_spot_snapshot (day, grid_code, seq, households, buildings, geom)
			select ${d}::date, grid_code, (row_number() over (partition by grid_code order by households desc, id))::int, households, buildings, geom
			from blind_spot
			returning 1)
		select count(*)::int as n from ins`.execute(trx);
	return { day: d, areas: Number(a.n), blind_spots: Number(b.n) };
}

/** Whether `day` (default today) has a snapshot already. */
export async function hasSnapshot(trx: Scoped, day?: string): Promise<boolean> {
	const { rows } = day
		? await sql`select 1 from area_snapshot where day = ${day}::date limit 1`.execute(trx)
		: await sql`select 1 from area_snapshot where day = current_date limit 1`.execute(trx);
	return rows.length > 0;
}

/** The days with a snapshot, newest last, at most `limit` of them. */
export async function snapshotDays(trx: Scoped, limit = 366): Promise<string[]> {
	const { rows } = await sql<{ d: string }>`
		select d from (select distinct day::text as d from area_snapshot order by d desc limit ${limit}) q order by d`.execute(trx);
	return rows.map((r) => r.d);
}

/** One area's figures over the last `days` days (oldest first); the area must lie in the caller's scope. */
export async function snapshotTrend(trx: Scoped, code: string, days = 30): Promise<{ day: string; figures: SnapshotFigures }[]> {
	if (!code.startsWith(scopePrefix(trx))) return [];
	const { rows } = await sql<{ day: string; figures: SnapshotFigures }>`
		select day::text as day, figures from area_snapshot
		where code = ${code} and day > current_date - ${days}::int order by day`.execute(trx);
	return rows.map((r) => ({ day: r.day, figures: typeof r.figures === 'string' ? JSON.parse(r.figures) : r.figures }));
}

/** The areas of one level in the caller's scope as they stood on `day` (the time slider's choropleth). */
export async function snapshotAreas(
	trx: Scoped,
	day: string,
	level: 'street' | 'community' | 'grid'
): Promise<{ code: string; name: string; figures: SnapshotFigures }[]> {
	const { rows } = await sql<{ code: string; name: string; figures: SnapshotFigures }>`
		select s.code, a.name, s.figures from area_snapshot s join area a on a.code = s.code
		where s.day = ${day}::date and s.level = ${level} and starts_with(s.code, ${areaPrefix(scopePrefix(trx))}::text)
		order by s.code`.execute(trx);
	return rows.map((r) => ({ ...r, figures: typeof r.figures === 'string' ? JSON.parse(r.figures) : r.figures }));
}

/** The blind spots in the caller's scope as they stood on `day`, as GeoJSON text per hull (the time slider's replay). */
export async function snapshotBlindSpots(
	trx: Scoped,
	day: string,
	limit = 2000
): Promise<{ grid_code: string; households: number; buildings: number; geojson: string }[]> {
	const { rows } = await sql<{ grid_code: string; households: number; buildings: number; geojson: string }>`
		select grid_code, households, buildings, ST_AsGeoJSON(geom, 6) as geojson from blind_spot_snapshot
		where day = ${day}::date and starts_with(grid_code, ${areaPrefix(scopePrefix(trx))}::text)
		order by households desc, grid_code, seq limit ${limit}`.execute(trx);
	return rows;
}
