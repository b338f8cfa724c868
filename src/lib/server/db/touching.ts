// Which of many polygons touch or overlap another one: the candidates of a pairwise overlap check.
//
// A self-join on `&&` probes the GiST index once per row (~11 µs: Chaoyang's 153,722 buildings,
// 1.8 s, for 3,526 pairs of boxes and not one overlap). ST_ClusterDBSCAN at distance 0 answers the
// same question with a tree built in memory (0.5 s, cell by cell): a row gets a cluster only when
// some other geometry lies at distance 0 from it, which every pair whose interiors meet does. The
// check then joins only those rows.
//
// The embedded PostGIS answers a GEOS error with no rows instead of raising, so two squares that
// touch, far from any real coordinate, go in with the rows: unless both come out clustered the
// answer is not trusted and the caller checks every row, as before.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';

// two small squares sharing an edge, a billion units from the origin, in one cell
const SENTINELS = sql.raw(
	`select -1::bigint, 'POLYGON((1e9 1e9,1000000000.001 1e9,1000000000.001 1000000000.001,1e9 1000000000.001,1e9 1e9))'::geometry
	union all select -2::bigint, 'POLYGON((1000000000.001 1e9,1000000000.002 1e9,1000000000.002 1000000000.001,1000000000.001 1000000000.001,1000000000.001 1e9))'::geometry`
);

/**
 * Creates the temp table `name (id bigint primary key)` of the ids among `rows` (a query of `id,
 * geometry`, in lon/lat (SRID 4326) or in metres (SRID 0)) whose geometry lies at distance 0 from
 * another's. Returns false, leaving no table, when the answer cannot be trusted: then every row is
 * a candidate. The caller drops the table.
 *
 * Clustered cell by cell (0.01° or 1 km; a geometry goes to every cell its box covers, so two that
 * meet share a cell): the server holds one cell's geometries at a time, not the whole set. The cell
 * grows to the widest geometry's box, so that none spreads over more than 2 × 2 cells: one huge
 * polygon (a bad row in db:check's whole run) costs a coarser partition, not millions of copies.
 */
export async function createTouching(conn: Kysely<Database>, name: string, rows: RawBuilder<unknown>, units: 'degrees' | 'metres'): Promise<boolean> {
	const table = sql.raw(name);
	const srid = units === 'degrees' ? 4326 : 0;
	const cell = units === 'degrees' ? 0.01 : 1000;
	await sql`create temp table ${table} as
		with x as materialized (
			select id::bigint as id, g from (${rows}) r(id, g)
			union all select id, ST_SetSRID(g, ${srid}::int) from (${SENTINELS}) s(id, g)
		), size as (
			select greatest(${cell}::float8, max(ST_XMax(g) - ST_XMin(g)), max(ST_YMax(g) - ST_YMin(g))) as cell from x
		)
		select distinct id from (
			select id, ST_ClusterDBSCAN(g, 0, 2) over (partition by cx, cy) as cluster
			from x, size,
				generate_series(floor(ST_XMin(g) / size.cell)::bigint, floor(ST_XMax(g) / size.cell)::bigint) cx,
				generate_series(floor(ST_YMin(g) / size.cell)::bigint, floor(ST_YMax(g) / size.cell)::bigint) cy
		) c where cluster is not null`.execute(conn);
	const { rows: found } = await sql<{ n: number }>`select count(*)::int as n from ${table} where id < 0`.execute(conn);
	if (Number(found[0].n) !== 2) {
		await sql`drop table ${table}`.execute(conn);
		return false;
	}
	await sql`delete from ${table} where id < 0`.execute(conn);
	await sql`alter table ${table} add primary key (id)`.execute(conn);
	await sql`analyze ${table}`.execute(conn);
	return true;
}
