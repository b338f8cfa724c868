// A tiny hand-made district for the tile tests: every figure in it is known by construction.
// Coordinates are metres around a centre in Hanyang; ids are fixed (overriding the identities).
import { freshDb, type TestDb } from '../helpers/backends.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import type { BackendKind } from '../../src/lib/server/db/config.ts';

export const CENTRE: [number, number] = [114.2185, 30.5545];
const MX = 111_320 * Math.cos((CENTRE[1] * Math.PI) / 180);
const MY = 110_574;

export function lonLat(x: number, y: number): [number, number] {
	return [CENTRE[0] + x / MX, CENTRE[1] + y / MY];
}
const pt = (x: number, y: number) =>
	lonLat(x, y)
		.map((v) => v.toFixed(7))
		.join(' ');
function rect(x0: number, y0: number, x1: number, y1: number): string {
	return `SRID=4326;MULTIPOLYGON(((${[pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1), pt(x0, y0)].join(',')})))`;
}
const box = (cx: number, cy: number, w: number, h: number) => rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);

export const GRID_WS = '420105001001001';
export const GRID_WN = '420105001001002';
export const GRID_E = '420105002001001';

/** building id → where it stands, what it holds (members living + working) */
export const BUILDINGS = {
	1: { grid: GRID_WS, centre: [-500, -500], kind: 'residential', floors: 18, height: 54.3, members: 4, covered: 1 },
	2: { grid: GRID_WS, centre: [-300, -300], kind: 'office', floors: 9, height: 30, members: 1, covered: 1 },
	3: { grid: GRID_WN, centre: [-500, 500], kind: 'residential', floors: 6, height: 18, members: 2, covered: 0 },
	4: { grid: GRID_E, centre: [500, 0], kind: 'residential', floors: 6, height: 18, members: 1, covered: 0 }
} as const;

export const FIXTURE_SQL = `
insert into area (code, level, kind, name, parent_code, geom) values
 ('420105', 'district', null, '汉阳区', null, '${rect(-1000, -1000, 1000, 1000)}'),
 ('420105001', 'street', null, '西街道', '420105', '${rect(-1000, -1000, 0, 1000)}'),
 ('420105002', 'street', null, '东街道', '420105', '${rect(0, -1000, 1000, 1000)}'),
 ('420105001001', 'community', 'community', '西社区', '420105001', '${rect(-1000, -1000, 0, 1000)}'),
 ('420105002001', 'community', 'village', '东村', '420105002', '${rect(0, -1000, 1000, 1000)}'),
 ('${GRID_WS}', 'grid', null, '西南网格', '420105001001', '${rect(-1000, -1000, 0, 0)}'),
 ('${GRID_WN}', 'grid', null, '西北网格', '420105001001', '${rect(-1000, 0, 0, 1000)}'),
 ('${GRID_E}', 'grid', null, '东网格', '420105002001', '${rect(0, -1000, 1000, 1000)}');

insert into road (id, class, name, geom) overriding system value values
 (1, 'arterial', '汉阳大道', 'SRID=4326;LINESTRING(${pt(-1000, 10)},${pt(1000, 10)})'),
 (2, 'local', null, 'SRID=4326;LINESTRING(${pt(-400, -1000)},${pt(-400, 1000)})');

insert into building (id, grid_code, kind, address, floors, height, geom) overriding system value values
 (1, '${GRID_WS}', 'residential', '1号楼', 18, 54.3, '${box(-500, -500, 30, 30)}'),
 (2, '${GRID_WS}', 'office', '2号楼', 9, 30, '${box(-300, -300, 20, 40)}'),
 (3, '${GRID_WN}', 'residential', '3号楼', 6, 18, '${box(-500, 500, 40, 12)}'),
 (4, '${GRID_E}', 'residential', '4号楼', 6, 18, '${box(500, 0, 40, 12)}');

insert into household (id, building_id, unit, floor, room, residents) overriding system value values
 (1, 1, 1, 1, '101', 3), (2, 1, 1, 1, '102', 2), (3, 1, 1, 2, '201', 4), (4, 1, 1, 2, '202', 1),
 (5, 1, 1, 3, '301', 2), (6, 1, 1, 3, '302', 2),
 (7, 3, 1, 1, '101', 3), (8, 3, 1, 1, '102', 2), (9, 3, 1, 2, '201', 2),
 (10, 4, 1, 1, '101', 1), (11, 4, 1, 1, '102', 2), (12, 4, 1, 2, '201', 3), (13, 4, 1, 2, '202', 2);

insert into party_org (id, kind, name, parent_id, area_code, building_id) overriding system value values
 (1, 'district_committee', '区委', null, '420105', null),
 (2, 'grid_branch', '西南网格党支部', 1, '${GRID_WS}', null),
 (3, 'building_group', '1号楼党小组', 2, null, 1),
 (4, 'office_branch', '2号楼楼宇党支部', 1, null, 2);

insert into party_member (id, name, gender, birth_year, status, joined_on, org_id, household_id, workplace_building_id) overriding system value values
 (1, '甲', 'male', 1960, 'formal', '1990-07-01', 3, 1, null),
 (2, '乙', 'female', 1965, 'formal', '1995-07-01', 3, 1, null),
 (3, '丙', 'male', 1970, 'formal', '2000-07-01', 3, 2, null),
 (4, '丁', 'female', 1980, 'formal', '2005-07-01', 1, 7, null),
 (5, '戊', 'male', 1985, 'probationary', '2024-07-01', 1, 10, null),
 (6, '己', 'female', 1990, 'formal', '2015-07-01', 4, null, 2),
 (7, '庚', 'male', 1975, 'formal', '2001-07-01', 3, 8, 1);

insert into central_household (household_id, member_id) values (1, 1);
insert into central_household_link (central_household_id, household_id) values (1, 3), (1, 4), (1, 9);

-- residents' requests: 西南 three open (one red, one amber, one on time) and one confirmed, 西北 and
-- 东 one open each (times relative to now, far from any limit; the request layer's counts)
insert into request (id, client_id, grid_code, household_id, geom, category, urgency, description, state, level, created_at) overriding system value values
 (1, 'fixture-req-1', '${GRID_WS}', 1, 'SRID=4326;POINT(${pt(-500, -500)})', 'environment', 'normal', '楼道堆物', 'submitted', 'grid', now() - interval '30 days'),
 (2, 'fixture-req-2', '${GRID_WS}', 2, 'SRID=4326;POINT(${pt(-500, -500)})', 'facilities', 'normal', '路灯坏了', 'accepted', 'community', now() - interval '200 hours'),
 (3, 'fixture-req-3', '${GRID_WS}', 3, 'SRID=4326;POINT(${pt(-500, -500)})', 'safety', 'normal', '井盖松动', 'in_progress', 'grid', now() - interval '1 hour'),
 (4, 'fixture-req-4', '${GRID_WS}', 5, 'SRID=4326;POINT(${pt(-500, -500)})', 'other', 'normal', '已办结', 'confirmed', 'grid', now() - interval '30 days'),
 (5, 'fixture-req-5', '${GRID_WN}', 7, 'SRID=4326;POINT(${pt(-500, 500)})', 'welfare', 'urgent', '独居老人', 'submitted', 'grid', now() - interval '1 hour'),
 (6, 'fixture-req-6', '${GRID_E}', null, 'SRID=4326;POINT(${pt(600, -200)})', 'neighbours', 'critical', '噪音', 'resolved', 'street', now() - interval '10 days');

insert into service_centre (id, level, name, area_code, geom) overriding system value values
 (1, 'street', '西街道党群服务中心', '420105001', 'SRID=4326;POINT(${pt(-200, -20)})'),
 (2, 'station', '东村便民服务站', '420105002001', 'SRID=4326;POINT(${pt(600, 300)})');
`;

/**
 * Residents' requests on a seeded demo district (the demo seed makes none), the same on every run
 * and both backends: every fifth household, with categories, urgencies, states and levels in turn
 * and ages (1 h, 30 h, 200 h, 1000 h before now) far from any time limit, so the overdue colours
 * do not move while a test runs.
 */
export const DEMO_REQUESTS_SQL = `
insert into request (client_id, grid_code, household_id, geom, category, urgency, description, state, level, created_at)
select 'tile-test-' || h.id, h.grid_code, h.id, ST_PointOnSurface(b.geom),
       (array['environment', 'facilities', 'safety', 'neighbours', 'welfare', 'other'])[1 + h.id % 6],
       (array['normal', 'urgent', 'critical'])[1 + h.id % 3], 'tile test',
       (array['submitted', 'accepted', 'in_progress', 'resolved', 'confirmed', 'reopened'])[1 + (h.id / 5) % 6],
       (array['grid', 'community', 'street'])[1 + (h.id / 5) % 3],
       now() - make_interval(hours => (array[1, 30, 200, 1000])[1 + (h.id / 5) % 4])
from household h join building b on b.id = h.building_id
where h.id % 5 = 0 order by h.id;
`;

/** A fresh database holding the fixture, its area figures and coverage results computed. */
export async function freshFixtureDb(backend: BackendKind): Promise<TestDb> {
	const db = await freshDb(backend);
	await db.runScript(FIXTURE_SQL);
	await ensureAreaStats(db);
	await coverageEngine(db).ensure();
	return db;
}
