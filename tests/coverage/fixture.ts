// A hand-built district in metres (east, north of a point in Wuhan), inserted into a fresh
// migrated database: roads with a loop, a dead end and a disconnected part; centres; buildings
// with known walking distances; organisations, members and carers planted for each gap rule.
//
//   y
//  1000 ┌─────────────── street 001 ───────────────┬──── street 002 ────┐
//       │ grid 001001002        │                  │                    │
//   700 │   B6 ·    ┌──┐        │          ┆ dead end (1500,700)     │
//   500 │───────────│  │ loop ──┼──────────┆───────│   ── R4 (disconnected, y=500, 2200–2800)
//   450 │     ┌─────┘  └─┐      │          ┆       │     B4 ·           │
//   250 │ C1 ═╪══ R1 (y=250, 0–2000, a vertex every 100 m) ══ C3 ══════│                    │
//     0 └─────┴─────────────────┴──────────────────┴────────────────────┘
//        community 001001 (x 0–1000)   community 001002 (1000–2000)   community 002001
import { sql } from 'kysely';
import type { Db } from '../../src/lib/server/db/open.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { degreeLengths } from '../../src/lib/server/coverage/graph.ts';

export const ORIGIN: [number, number] = [114.2, 30.55];
const { mx, my } = degreeLengths(ORIGIN[1]);
/** metres → lon/lat with the same degree lengths the graph measures with (so metres here are metres there) */
export const lon = (x: number) => ORIGIN[0] + x / mx;
export const lat = (y: number) => ORIGIN[1] + y / my;
const pt = (x: number, y: number) => `${lon(x)} ${lat(y)}`;
const rect = (x0: number, y0: number, x1: number, y1: number) =>
	`SRID=4326;MULTIPOLYGON(((${pt(x0, y0)},${pt(x1, y0)},${pt(x1, y1)},${pt(x0, y1)},${pt(x0, y0)})))`;
const square = (x: number, y: number, h = 5) => rect(x - h, y - h, x + h, y + h);
const line = (xy: [number, number][]) => `SRID=4326;LINESTRING(${xy.map(([x, y]) => pt(x, y)).join(',')})`;

export const D = '420105';
export const S1 = '420105001';
export const S2 = '420105002';
export const C11 = '420105001001';
export const C12 = '420105001002';
export const C21 = '420105002001';
export const G111 = '420105001001001';
export const G112 = '420105001001002';
export const G121 = '420105001002001';
export const G211 = '420105002001001';

/** building id → [x, y, households, kind, grid, floors] */
export const BUILDINGS: Record<number, [number, number, number, string, string, number]> = {
	1: [300, 270, 10, 'residential', G111, 6],
	2: [500, 470, 20, 'residential', G111, 18],
	3: [1500, 720, 5, 'residential', G121, 6], // nearest road: the dead end of R3
	4: [2500, 520, 7, 'residential', G211, 6], // on the disconnected road
	5: [160, 240, 3, 'residential', G111, 3], // on the same edge as C1
	6: [300, 600, 4, 'residential', G112, 6], // joins the loop at its corner (400, 450)
	7: [700, 300, 0, 'office', G111, 20], // office, no organisation
	8: [1200, 300, 0, 'office', G121, 20], // office with a liaison station
	9: [1700, 300, 0, 'industrial', G121, 2], // park building, the grid's park branch covers it
	10: [2500, 300, 0, 'industrial', G211, 2], // park building, no park branch
	11: [800, 200, 0, 'commercial', G111, 2], // a corner shop: not a key building
	12: [900, 200, 0, 'commercial', G111, 5] // a market hall without organisation
};

/** centre id → [x, y, level, area] */
export const CENTRES: Record<number, [number, number, string, string]> = {
	1: [130, 250, 'community', C11], // on R1, 30 m along the edge 100–200
	3: [1000, 230, 'district', D] // 20 m off R1
};

/** walking metres to the nearest centre of any level, worked out by hand */
export const EXPECTED_ANY: Record<number, number | null> = {
	1: 170 + 20,
	2: 270 + 200 + 100 + 20,
	3: 20 + 500 + 450 + 20, // via C3; via C1 it is 1370 + 450 + 20
	4: null,
	5: 30 + 10,
	6: 270 + 200 + Math.hypot(100, 150)
};

export async function insertFixture(db: Db): Promise<void> {
	await withScope(db, '*', async (trx) => {
		const areas: [string, string, string | null, string | null, string][] = [
			[D, 'district', null, null, rect(0, 0, 3000, 1000)],
			[S1, 'street', null, D, rect(0, 0, 2000, 1000)],
			[S2, 'street', null, D, rect(2000, 0, 3000, 1000)],
			[C11, 'community', 'community', S1, rect(0, 0, 1000, 1000)],
			[C12, 'community', 'community', S1, rect(1000, 0, 2000, 1000)],
			[C21, 'community', 'village', S2, rect(2000, 0, 3000, 1000)],
			[G111, 'grid', null, C11, rect(0, 0, 1000, 500)],
			[G112, 'grid', null, C11, rect(0, 500, 1000, 1000)],
			[G121, 'grid', null, C12, rect(1000, 0, 2000, 1000)],
			[G211, 'grid', null, C21, rect(2000, 0, 3000, 1000)]
		];
		for (const [code, level, kind, parent, geom] of areas) {
			await sql`insert into area (code, level, kind, name, parent_code, geom) values (${code}, ${level}, ${kind}, ${'区域' + code.slice(-3)}, ${parent}, ${geom}::geometry)`.execute(
				trx
			);
		}
		const r1: [number, number][] = [];
		for (let x = 0; x <= 2000; x += 100) r1.push([x, 250]);
		const roads: [number, string, [number, number][]][] = [
			[1, 'arterial', r1],
			[
				2,
				'local',
				[
					[400, 250],
					[400, 450],
					[600, 450],
					[600, 250]
				]
			],
			[
				3,
				'local',
				[
					[1500, 250],
					[1500, 700]
				]
			],
			[
				4,
				'local',
				[
					[2200, 500],
					[2800, 500]
				]
			]
		];
		for (const [id, cls, xy] of roads) {
			await sql`insert into road (id, class, name, geom) overriding system value values (${id}, ${cls}, ${'路' + id}, ${line(xy)}::geometry)`.execute(trx);
		}
		for (const [id, [x, y, , kind, grid, floors]] of Object.entries(BUILDINGS)) {
			await sql`insert into building (id, grid_code, kind, name, address, floors, height, units, geom) overriding system value
				values (${Number(id)}, ${grid}, ${kind}, ${'楼' + id}, ${'地址' + id}, ${floors}, ${floors * 3}, 2, ${square(x, y)}::geometry)`.execute(trx);
		}
		// households: building b's k-th household has id b*100 + k; units of 5
		for (const [id, [, , n]] of Object.entries(BUILDINGS)) {
			for (let k = 1; k <= n; k++) {
				const unit = Math.ceil(k / 5);
				await sql`insert into household (id, building_id, unit, floor, room, residents) overriding system value
					values (${Number(id) * 100 + k}, ${Number(id)}, ${unit}, 1, ${`${unit}-${k}`}, 2)`.execute(trx);
			}
		}
		for (const [id, [x, y, level, area]] of Object.entries(CENTRES)) {
			await sql`insert into service_centre (id, level, name, area_code, geom) overriding system value
				values (${Number(id)}, ${level}, ${'中心' + id}, ${area}, ST_SetSRID(ST_MakePoint(${lon(x)}, ${lat(y)}), 4326))`.execute(trx);
		}
		// organisations (secretaries set below, once members exist)
		const orgs: [number, string, number | null, string | null, number | null][] = [
			[1, 'district_committee', null, D, null],
			[2, 'street_committee', 1, S1, null],
			[3, 'street_committee', 1, S2, null],
			[4, 'community_committee', 2, C11, null],
			[5, 'community_committee', 2, C12, null],
			[6, 'village_committee', 3, C21, null],
			[7, 'grid_branch', 4, G111, null],
			[8, 'grid_branch', 5, G121, null], // secretary seat left empty
			[9, 'building_group', 7, null, 2],
			[10, 'liaison_station', 2, null, 8],
			[11, 'park_branch', 5, G121, 9]
		];
		for (const [id, kind, parent, area, building] of orgs) {
			await sql`insert into party_org (id, kind, name, parent_id, area_code, building_id) overriding system value
				values (${id}, ${kind}, ${'组织' + id}, ${parent}, ${area}, ${building})`.execute(trx);
		}
		// members: 3 living in B1 (no party group: a gap), 2 living in B2 + 1 working there (covered),
		// 2 living in B5 (fewer than 3: not a member building)
		const members: [number, number | null, number | null][] = [
			[1, 101, null],
			[2, 102, null],
			[3, 106, null],
			[4, 201, null],
			[5, 202, null],
			[6, 401, 2],
			[7, 501, null],
			[8, 502, null]
		];
		for (const [id, household, work] of members) {
			await sql`insert into party_member (id, name, gender, birth_year, status, joined_on, org_id, household_id, workplace_building_id)
				overriding system value values (${id}, ${'党员' + id}, 'male', 1980, 'formal', '2000-07-01', 7, ${household}, ${work})`.execute(trx);
		}
		for (const org of [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]) await sql`update party_org set secretary_id = ${org <= 8 ? org : 1} where id = ${org}`.execute(trx);
		// care: B1 unit 1 has a unit leader; in unit 2, household 106 is a central household
		// looking after 107 and 108, so 109 and 110 are looked after by no one; B3 has no one at all;
		// B2's central household 201 looks after 16 households (overloaded)
		await sql`insert into building_leader (role, building_id, unit, name) values ('unit', 1, 1, '单元长')`.execute(trx);
		for (const b of [2, 4, 5, 6]) await sql`insert into building_leader (role, building_id, name) values ('building', ${b}, '楼栋长')`.execute(trx);
		await sql`insert into central_household (household_id, member_id) values (106, 3), (201, 4)`.execute(trx);
		await sql`insert into central_household_link (central_household_id, household_id) values (106, 107), (106, 108)`.execute(trx);
		for (let k = 2; k <= 17; k++) await sql`insert into central_household_link (central_household_id, household_id) values (201, ${200 + k})`.execute(trx);
		for (const t of ['road', 'building', 'household', 'party_org', 'party_member', 'service_centre']) {
			await sql`select setval(pg_get_serial_sequence(${t}, 'id'), (select max(id) + 1 from ${sql.table(t)}), false)`.execute(trx);
		}
	});
}
