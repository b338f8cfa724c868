// The demo district: `seedDemo(db, { scale, seed })` replaces all data with a generated,
// believable Chinese urban district — the same data for the same seed — in one transaction.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { Rng } from './random.ts';
import { ensureAreaStats } from '../db/queries/area-stats.ts';
import { SCALES, isScaleName, type ScaleName, type ScaleSpec } from './scales.ts';
import { buildLayout } from './layout.ts';
import { generateBuildings, type BuildingPlan } from './buildings.ts';
import { partition } from './areas.ts';
import { generateHouseholds, generateResidentMembers, generateCare } from './people.ts';
import { generateOrgs } from './orgs.ts';
import { generateServices } from './services.ts';
import { insertRows, resetIdentity } from './insert.ts';
import { projector, multiPolygonWkt, polygonWkt, lineWkt, pointWkt } from './geo.ts';

export { SCALES, type ScaleName, type ScaleSpec } from './scales.ts';
export { FAKE_PHONE_PREFIX, FAKE_PHONE_PATTERN } from './names.ts';

export interface SeedOptions {
	scale: ScaleName;
	seed: number;
	log?: (line: string) => void;
}

export const DATA_TABLES = [
	'area',
	'road',
	'building',
	'household',
	'party_org',
	'party_member',
	'central_household',
	'central_household_link',
	'building_leader',
	'service_centre',
	'dataset'
];

export class SeedArgsError extends Error {}

/** `--scale small|district|chaoyang --seed N` (also `--scale=…`); throws SeedArgsError with a one-line message */
export function parseSeedArgs(argv: readonly string[]): { scale: ScaleName; seed: number } {
	let scale: ScaleName = 'small';
	let seed = 1;
	for (let k = 0; k < argv.length; k++) {
		const arg = argv[k];
		const eq = arg.indexOf('=');
		const flag = eq > 0 ? arg.slice(0, eq) : arg;
		const value = () => {
			if (eq > 0) return arg.slice(eq + 1);
			const v = argv[++k];
			if (v === undefined) throw new SeedArgsError(`seed: ${flag} needs a value`);
			return v;
		};
		if (flag === '--scale') {
			const v = value();
			if (!isScaleName(v)) throw new SeedArgsError(`seed: unknown scale "${v}" (expected small, district or chaoyang)`);
			scale = v;
		} else if (flag === '--seed') {
			const v = value();
			if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < 0 || Number(v) > 2_147_483_647) {
				throw new SeedArgsError(`seed: --seed must be an integer from 0 to 2147483647, not "${v}"`);
			}
			seed = Number(v);
		} else {
			throw new SeedArgsError(`seed: unknown argument "${arg}" (usage: npm run seed -- --scale small|district|chaoyang --seed N)`);
		}
	}
	return { scale, seed };
}

export async function seedDemo(db: Db, opts: SeedOptions): Promise<{ seconds: number; counts: Record<string, number> }> {
	const log = opts.log ?? (() => {});
	const spec = SCALES[opts.scale];
	if (!spec) throw new Error(`unknown scale "${opts.scale}"`);
	if (spec.name === 'chaoyang' && db.backend === 'embedded') {
		throw new Error('the chaoyang scale needs a server PostGIS: set DATABASE_URL (the embedded database would run out of memory)');
	}
	const started = performance.now();
	const seed = opts.seed;
	const stamp = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

	// ---- generate in memory ----
	const layout = buildLayout(spec, Rng.stream(seed, 'layout'));
	const { buildings, cellCapacity, parkNames } = generateBuildings(spec, layout, Rng.stream(seed, 'buildings'));
	const part = partition(spec, layout.cells, cellCapacity, Rng.stream(seed, 'areas'));
	for (const b of buildings) b.gridCode = part.grids[part.gridOfCell[b.cell]].code;
	assignAddresses(spec, layout, part, buildings);
	log(`[seed] ${spec.name} seed ${seed}: ${layout.cells.length} blocks, ${layout.roads.length} roads, ${buildings.length} buildings planned (${stamp()})`);
	const households = generateHouseholds(buildings, Rng.stream(seed, 'households'));
	const offices = buildings.filter((b) => b.type === 'office').map((b) => b.id);
	const members = generateResidentMembers(buildings, households, Math.round(spec.members * 0.94), offices, Rng.stream(seed, 'members'));
	const parks = layout.patches
		.filter((p) => p.use === 'industrial')
		.map((p) => {
			const office = buildings.find((b) => b.type === 'parkOffice' && b.cell === p.cells[0]) ?? null;
			return { name: parkNames.get(p.id) ?? '产业园', office, gridCode: part.grids[part.gridOfCell[p.cells[0]]].code };
		});
	const orgs = generateOrgs(spec, part, buildings, households, members, parks, Rng.stream(seed, 'orgs'));
	const gridIndex = new Map(part.grids.map((g, k) => [g.code, k]));
	const care = generateCare(buildings, households, members, (b) => gridIndex.get(b.gridCode)!, Rng.stream(seed, 'care'));
	const services = generateServices(spec, part, layout.cells, buildings, Rng.stream(seed, 'services'));
	log(`[seed] ${households.count} households, ${members.count} members, ${orgs.length} organisations generated (${stamp()})`);

	// ---- write, all or nothing ----
	const p = projector(spec.centre);
	const { vx, vy } = layout;
	const residents = households.residents.reduce((a, b) => a + b, 0);
	const counts: Record<string, number> = {
		streets: part.streets.length,
		communities: part.communities.length,
		villages: part.communities.filter((c) => c.kind === 'village').length,
		grids: part.grids.length,
		roads: layout.roads.length,
		buildings: buildings.length,
		households: households.count,
		residents,
		party_orgs: orgs.length,
		party_members: members.count,
		central_households: care.central.length,
		central_household_links: care.links.length,
		building_leaders: care.leaders.length,
		service_centres: services.length
	};
	for (const o of orgs) counts[`orgs_${o.kind}`] = (counts[`orgs_${o.kind}`] ?? 0) + 1;

	await db.kysely.transaction().execute(async (trx: Kysely<Database>) => {
		// the system's own work: row-level security (sql/006) is forced even on the owner
		await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
		await sql.raw(`truncate ${DATA_TABLES.join(', ')} restart identity cascade`).execute(trx);
		// areas: each the exact union of its blocks (shared vertices: levels tile exactly)
		await sql`create temp table seed_cell (grid_code text not null, geom geometry not null) on commit drop`.execute(trx);
		await insertRows(trx, 'seed_cell', layout.cells.length, (i) => {
			const c = layout.cells[i];
			const xy: number[] = [];
			for (const v of c.v) xy.push(vx[v], vy[v]);
			return { grid_code: part.grids[part.gridOfCell[i]].code, geom: polygonWkt(p, xy) };
		});
		const levels = [[part.district], part.streets, part.communities, part.grids] as const;
		for (const list of levels) {
			const len = list[0].code.length;
			const meta = JSON.stringify(list.map((a) => ({ code: a.code, level: a.level, kind: a.kind, name: a.name, parent_code: a.parent })));
			const r = await sql`insert into area (code, level, kind, name, parent_code, geom)
				select m.code, m.level, m.kind, m.name, m.parent_code, u.geom
				from json_populate_recordset(null::area, ${meta}::json) m
				join (select left(grid_code, ${len}) as code, ST_Multi(ST_Union(geom)) as geom from seed_cell group by 1) u on u.code = m.code
				order by m.code`.execute(trx);
			// the embedded PostGIS answers a failed union with no rows rather than an error
			if (Number(r.numAffectedRows ?? 0) !== list.length)
				throw new Error(`seed: ${list.length} ${list[0].level} areas planned but ${r.numAffectedRows} written`);
		}
		log(`[seed] areas: ${part.streets.length} streets, ${part.communities.length} communities, ${part.grids.length} grids (${stamp()})`);
		await insertRows(
			trx,
			'road',
			layout.roads.length,
			(i) => {
				const r = layout.roads[i];
				return {
					id: i + 1,
					class: r.cls,
					name: r.name,
					geom: lineWkt(
						p,
						r.vertices.map((v) => vx[v]),
						r.vertices.map((v) => vy[v])
					)
				};
			},
			{ identity: true, log }
		);
		await insertRows(
			trx,
			'building',
			buildings.length,
			(i) => {
				const b = buildings[i];
				return {
					id: b.id,
					grid_code: b.gridCode,
					kind: b.kind,
					name: b.name,
					address: b.address,
					floors: b.floors,
					height: b.height,
					units: b.units,
					geom: multiPolygonWkt(p, b.xy)
				};
			},
			{ identity: true, log, chunk: 10_000 }
		);
		// every protected row carries its scope key (sql/009): given here, so no trigger has to look it up
		const gridOfBuilding: string[] = [];
		for (const b of buildings) gridOfBuilding[b.id] = b.gridCode;
		const h = households;
		const gridOfHousehold = (id: number) => gridOfBuilding[h.building[id - 1]];
		await insertRows(
			trx,
			'household',
			h.count,
			(i) => ({
				id: i + 1,
				building_id: h.building[i],
				grid_code: gridOfBuilding[h.building[i]],
				unit: h.unit[i],
				floor: h.floor[i],
				room: h.room[i],
				residents: h.residents[i]
			}),
			{ identity: true, log, chunk: 25_000 }
		);
		await insertRows(
			trx,
			'party_org',
			orgs.length,
			(i) => {
				const o = orgs[i];
				return { id: o.id, kind: o.kind, name: o.name, parent_id: o.parent, area_code: o.area, building_id: o.building, secretary_id: o.secretary };
			},
			{ identity: true, log }
		);
		const m = members;
		// a member with no household belongs where their organisation is: its area, or its building's grid
		const scopeOfOrg = new Map(orgs.map((o) => [o.id, o.area ?? gridOfBuilding[o.building!]]));
		await insertRows(
			trx,
			'party_member',
			m.count,
			(i) => ({
				id: i + 1,
				name: m.name[i],
				gender: m.gender[i],
				birth_year: m.birthYear[i],
				phone: m.phone[i],
				status: m.status[i],
				joined_on: m.joinedOn[i],
				org_id: m.org[i],
				household_id: m.household[i] || null,
				workplace_building_id: m.workplace[i] || null,
				reported_to_community: m.reported[i],
				mobile: m.mobile[i],
				scope_code: m.household[i] ? gridOfHousehold(m.household[i]) : scopeOfOrg.get(m.org[i])
			}),
			{ identity: true, log, chunk: 25_000 }
		);
		await insertRows(
			trx,
			'central_household',
			care.central.length,
			(i) => ({ household_id: care.central[i].household, member_id: care.central[i].member, grid_code: gridOfHousehold(care.central[i].household) }),
			{ log, chunk: 25_000 }
		);
		await insertRows(
			trx,
			'central_household_link',
			care.links.length,
			(i) => ({ central_household_id: care.links[i].central, household_id: care.links[i].household, grid_code: gridOfHousehold(care.links[i].household) }),
			{ log, chunk: 50_000 }
		);
		await insertRows(
			trx,
			'building_leader',
			care.leaders.length,
			(i) => {
				const l = care.leaders[i];
				return {
					id: i + 1,
					role: l.role,
					building_id: l.building,
					grid_code: gridOfBuilding[l.building],
					unit: l.unit,
					name: l.name,
					phone: l.phone,
					member_id: l.member
				};
			},
			{ identity: true, log, chunk: 25_000 }
		);
		await insertRows(
			trx,
			'service_centre',
			services.length,
			(i) => {
				const s = services[i];
				return {
					id: i + 1,
					level: s.level,
					name: s.name,
					area_code: s.area,
					building_id: s.building,
					services: s.services,
					opening_hours: s.hours,
					geom: pointWkt(p, s.x, s.y)
				};
			},
			{ identity: true, log }
		);
		for (const t of ['road', 'building', 'household', 'party_org', 'party_member', 'building_leader', 'service_centre']) await resetIdentity(trx, t);
		const seconds = Math.round((performance.now() - started) / 100) / 10;
		await sql`insert into dataset (id, scale, seed, seconds, counts) values (1, ${spec.name}, ${seed}, ${seconds}, ${JSON.stringify(counts)}::jsonb)`.execute(
			trx
		);
	});
	// fresh planner statistics and area figures, so the first map request is not the slow one
	await sql`analyze`.execute(db.kysely);
	await ensureAreaStats(db);
	const seconds = Math.round((performance.now() - started) / 100) / 10;
	log(`[seed] done: ${spec.name} seed ${seed} loaded in ${seconds.toFixed(1)} s (statistics included)`);
	return { seconds, counts };
}

/** 汉阳区晴川街道琴台路12号3栋: district, street, road, number, building */
function assignAddresses(spec: ScaleSpec, layout: ReturnType<typeof buildLayout>, part: ReturnType<typeof partition>, buildings: BuildingPlan[]) {
	const streetName = new Map(part.streets.map((s) => [s.code, s.name]));
	const community = new Map(part.communities.map((c) => [c.code, c]));
	const roadNumber = new Map<number, number>();
	const villageNumber = new Map<string, number>();
	const cellNumber = new Map<number, number>();
	let lastCell = -1;
	let shop = 0;
	for (const b of buildings) {
		const cell = layout.cells[b.cell];
		if (!cellNumber.has(cell.idx)) {
			const n = (roadNumber.get(cell.road) ?? -1) + 2 + 2 * ((cell.idx * 7) % 3);
			roadNumber.set(cell.road, n);
			cellNumber.set(cell.idx, n);
		}
		if (b.cell !== lastCell) shop = 0;
		lastCell = b.cell;
		const prefix = `${spec.districtName}${streetName.get(b.gridCode.slice(0, 9))}`;
		const road = layout.roads[cell.road]?.name ?? '';
		const cm = community.get(b.gridCode.slice(0, 12))!;
		if (b.type === 'villageHouse' && cm.kind === 'village') {
			const n = (villageNumber.get(cm.code) ?? 0) + 1;
			villageNumber.set(cm.code, n);
			b.address = `${prefix}${cm.name}${n}号`;
		} else if (b.no > 0 && b.group) {
			b.address = `${prefix}${road}${cellNumber.get(cell.idx)}号${b.group}${b.no}栋`;
		} else if (b.name) {
			b.address = `${prefix}${road}${cellNumber.get(cell.idx)}号`;
		} else {
			b.address = `${prefix}${road}${cellNumber.get(cell.idx)}号附${++shop}号`;
		}
	}
}
