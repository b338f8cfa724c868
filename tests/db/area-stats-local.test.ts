// The local refresh of area_stats (sql/024, issue 9 part 3): after writes to party members and
// service centres only, the figures are brought up to date from the change log — touching only the
// rows that move — and equal what a full refresh computes; any other write refreshes everything.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { SYSTEM, withScope } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { ensureAreaStats } from '../../src/lib/server/db/queries/area-stats.ts';
import { COVERING_KINDS, MEMBER_BUILDING_THRESHOLD } from '../../src/lib/coverage-rules.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';

describe.each(backends)('area_stats refreshed locally on %s PostGIS', (backend) => {
	let db: TestDb;
	/** the refresh's handle as the web server opens it: on a server, the app role, row-level security on */
	let app: Db;
	const system = (q: ReturnType<typeof sql>) => withScope(db, SYSTEM, (trx) => q.execute(trx));

	/** every row of area_stats, and which physical row version each is (xmin) */
	async function rows() {
		const { rows } = await sql<{ code: string; xmin: string; figures: string }>`
			select code, xmin::text as xmin, row(s.*)::text as figures from area_stats s order by code`.execute(db.kysely);
		return rows;
	}
	/** the figures a full refresh computes, in a transaction rolled back */
	async function fullRefresh() {
		let figures: string[] = [];
		await db.kysely
			.transaction()
			.execute(async (trx) => {
				await sql`select refresh_area_stats(${MEMBER_BUILDING_THRESHOLD}::int, string_to_array(${COVERING_KINDS.join(',')}::text, ','))`.execute(trx);
				figures = (await sql<{ figures: string }>`select row(s.*)::text as figures from area_stats s order by code`.execute(trx)).rows.map((r) => r.figures);
				throw new Error('rollback');
			})
			.catch((e: Error) => {
				if (e.message !== 'rollback') throw e;
			});
		return figures;
	}

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 7 });
		await ensureAreaStats(db);
		app = backend === 'server' ? await openDb({ backend: 'server', url: db.url!, poolSize: 4 }, { appRole: true }) : db;
	}, 240_000);
	afterAll(async () => {
		if (app !== db) await app?.close();
		await db?.drop();
	});

	it('member and centre writes move only the rows they touch, to the figures a full refresh gives', async () => {
		const before = await rows();
		// a member of one grid moves to a household of another grid and starts working in a third
		// building; another member is deleted; a new member joins; a station opens
		await system(sql`update party_member set household_id = (select max(id) from household),
			workplace_building_id = (select min(id) from building) where id = (select min(id) from party_member)`);
		await system(sql`delete from party_member where id = (select max(id) from party_member)`);
		await system(sql`insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id, workplace_building_id)
			select '新党员', gender, birth_year, status, joined_on, org_id, household_id, (select max(id) from building)
			from party_member where id = (select min(id) from party_member) + 1`);
		await system(sql`insert into service_centre (level, name, area_code, geom)
			select 'station', '新站点', code, ST_PointOnSurface(geom) from area where level = 'grid' order by code limit 1`);
		await ensureAreaStats(app);
		const after = await rows();
		expect(after.map((r) => r.figures)).toEqual(await fullRefresh());
		expect(after.map((r) => r.figures)).not.toEqual(before.map((r) => r.figures));
		// the local refresh rewrote a few rows (the areas above the grids touched), not all of them
		const rewritten = after.filter((r, i) => r.xmin !== before[i].xmin).length;
		expect(rewritten).toBeGreaterThan(0);
		expect(rewritten).toBeLessThan(after.length / 2);
	});

	it('any other write refreshes everything, to the same figures', async () => {
		const before = await rows();
		await system(sql`update party_member set workplace_building_id = null where id = (select min(id) from party_member)`);
		await system(sql`update household set residents = residents + 1 where id = (select min(id) from household)`);
		await ensureAreaStats(app);
		const after = await rows();
		expect(after.map((r) => r.figures)).toEqual(await fullRefresh());
		expect(after.filter((r, i) => r.xmin === before[i].xmin)).toEqual([]);
	});
});
