// The demo district generator on the small scale, on each backend: geometry invariants, counts,
// determinism, the planted gaps, fictional phones, all-or-nothing loading; and the seed script's
// handling of bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo, parseSeedArgs, SCALES } from '../../src/lib/server/seed/index.ts';
import { checkDatabase } from '../../src/lib/server/db/check.ts';

const TABLES: [string, string][] = [
	['area', 'code'],
	['road', 'id'],
	['building', 'id'],
	['household', 'id'],
	['party_org', 'id'],
	['party_member', 'id'],
	['central_household', 'household_id'],
	['central_household_link', 'central_household_id, household_id'],
	['building_leader', 'id'],
	['service_centre', 'id']
];

async function digest(db: TestDb): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const [t, key] of TABLES) {
		const { rows } = await sql<{ d: string }>`select md5(coalesce(string_agg(x::text, '|' order by ${sql.raw(
			key
				.split(', ')
				.map((k) => `x.${k}`)
				.join(', ')
		)}), '')) as d from ${sql.raw(t)} x`.execute(db.kysely);
		out[t] = rows[0].d;
	}
	return out;
}

async function one<T = number>(db: TestDb, q: string): Promise<T> {
	const { rows } = await sql.raw<{ v: T }>(q).execute(db.kysely);
	return rows[0].v;
}

describe.each(backends)('seedDemo small (%s)', (backend) => {
	let db: TestDb;
	let first: Record<string, string>;
	let result: Awaited<ReturnType<typeof seedDemo>>;
	const lines: string[] = [];

	beforeAll(async () => {
		db = await freshDb(backend);
		result = await seedDemo(db, { scale: 'small', seed: 1, log: (l) => lines.push(l) });
		first = await digest(db);
	});
	afterAll(async () => {
		await db?.drop();
	});

	it('prints progress and the time it took', () => {
		expect(lines.some((l) => /^\[seed\] building \d+/.test(l))).toBe(true);
		expect(lines.at(-1)).toMatch(/^\[seed\] done: small seed 1 loaded in \d+\.\d s \(statistics included\)$/);
		expect(result.seconds).toBeGreaterThan(0);
	});

	it('satisfies every geometry invariant (db:check finds nothing)', async () => {
		expect(await checkDatabase(db)).toEqual([]);
	});

	it('nests the hierarchy: codes, parents and containment', async () => {
		expect(await one(db, `select count(*)::int as v from area where level = 'district'`)).toBe(1);
		expect(
			await one(
				db,
				`select count(*)::int as v from area c join area p on p.code = c.parent_code
			where not ST_Covers(ST_Buffer(p.geom::geography, 1)::geometry, c.geom)`
			)
		).toBe(0);
		// every building's grid is a grid, and it covers the building
		expect(
			await one(
				db,
				`select count(*)::int as v from building b join area g on g.code = b.grid_code
			where g.level <> 'grid' or not ST_Covers(g.geom, b.geom)`
			)
		).toBe(0);
	});

	it('has counts within the documented ranges', async () => {
		const spec = SCALES.small;
		const c = result.counts;
		expect(c.streets).toBe(spec.streets);
		expect(c.communities).toBe(spec.communities);
		expect(c.grids).toBe(spec.grids);
		expect(c.buildings).toBeGreaterThanOrEqual(spec.expect.buildings[0]);
		expect(c.buildings).toBeLessThanOrEqual(spec.expect.buildings[1]);
		expect(c.households).toBeGreaterThanOrEqual(spec.expect.households[0]);
		expect(c.households).toBeLessThanOrEqual(spec.expect.households[1]);
		expect(c.party_members).toBeGreaterThan(spec.members * 0.85);
		expect(c.party_members).toBeLessThan(spec.members * 1.15);
		expect(c.residents / c.households).toBeGreaterThan(2.4);
		expect(c.residents / c.households).toBeLessThan(2.8);
		// the database agrees with the reported counts, and the dataset row records them
		expect(await one(db, 'select count(*)::int as v from building')).toBe(c.buildings);
		expect(await one(db, 'select count(*)::int as v from household')).toBe(c.households);
		expect(await one(db, 'select count(*)::int as v from party_member')).toBe(c.party_members);
		const ds = await one<{ scale: string; seed: number; counts: Record<string, number> }>(db, `select row_to_json(d) as v from dataset d`);
		expect(ds.scale).toBe('small');
		expect(ds.seed).toBe(1);
		expect(ds.counts.buildings).toBe(c.buildings);
		// about 5% probationary, a few per cent mobile
		const prob = await one(db, `select avg((status = 'probationary')::int)::float as v from party_member`);
		expect(prob).toBeGreaterThan(0.02);
		expect(prob).toBeLessThan(0.1);
		expect(await one(db, `select count(*)::int as v from party_member where mobile`)).toBeGreaterThan(0);
		// most organisations have a secretary, some seats are empty
		const withSecretary = await one(db, `select avg((secretary_id is not null)::int)::float as v from party_org`);
		expect(withSecretary).toBeGreaterThan(0.7);
		expect(withSecretary).toBeLessThan(1);
	});

	it('plants the coverage gaps', async () => {
		// a grid without a branch
		expect(
			await one(
				db,
				`select count(*)::int as v from area g where level = 'grid'
			and not exists (select 1 from party_org o where o.kind = 'grid_branch' and o.area_code = g.code)`
			)
		).toBeGreaterThan(0);
		// an office tower with no organisation at all
		expect(
			await one(
				db,
				`select count(*)::int as v from building b where kind = 'office' and floors >= 20
			and not exists (select 1 from party_org o where o.building_id = b.id)`
			)
		).toBeGreaterThan(0);
		// a building with three or more resident members and no group
		expect(
			await one(
				db,
				`select count(*)::int as v from (select h.building_id from party_member m join household h on h.id = m.household_id
			group by h.building_id having count(*) >= 3) b
			where not exists (select 1 from party_org o where o.kind = 'building_group' and o.building_id = b.building_id)`
			)
		).toBeGreaterThan(0);
		// and some that do have one
		expect(await one(db, `select count(*)::int as v from party_org where kind = 'building_group'`)).toBeGreaterThan(0);
		// a household nobody looks after, and central households looking after 10–15 (a few more)
		expect(
			await one(
				db,
				`select count(*)::int as v from household h where not exists (select 1 from central_household_link l where l.household_id = h.id)
			and not exists (select 1 from central_household c where c.household_id = h.id)`
			)
		).toBeGreaterThan(0);
		const sizes = await one<number[]>(
			db,
			`select array_agg(n order by n) as v from (select count(*)::int as n from central_household_link group by central_household_id) s`
		);
		expect(sizes.length).toBeGreaterThan(0);
		const typical = sizes.filter((n) => n >= 10 && n <= 15).length / sizes.length;
		expect(typical).toBeGreaterThan(0.6);
	});

	it('uses phone numbers no carrier issues, and Chinese names and addresses', async () => {
		expect(await one(db, `select count(*)::int as v from party_member where phone is null or phone !~ '^100[0-9]{8}$'`)).toBe(0);
		expect(await one(db, `select count(*)::int as v from building_leader where phone !~ '^100[0-9]{8}$'`)).toBe(0);
		expect(await one(db, `select count(*)::int as v from party_member where name !~ '^[一-龥]{2,4}$'`)).toBe(0);
		expect(await one(db, `select count(*)::int as v from building where address !~ '^汉阳区[一-龥]+街道'`)).toBe(0);
		expect(await one(db, `select count(*)::int as v from area where level = 'street' and name !~ '街道$'`)).toBe(0);
		expect(await one(db, `select count(*)::int as v from area where level = 'community' and name !~ '(社区|村)$'`)).toBe(0);
	});

	it('places the district near Hanyang', async () => {
		const c = await one<{ x: number; y: number }>(
			db,
			`select json_build_object('x', ST_X(ST_Centroid(geom)), 'y', ST_Y(ST_Centroid(geom))) as v from area where level = 'district'`
		);
		expect(c.x).toBeGreaterThan(114.1);
		expect(c.x).toBeLessThan(114.35);
		expect(c.y).toBeGreaterThan(30.45);
		expect(c.y).toBeLessThan(30.65);
	});

	it('gives the same data for the same seed and different data for another', async () => {
		await seedDemo(db, { scale: 'small', seed: 2 });
		const second = await digest(db);
		for (const [t] of TABLES) expect(second[t], t).not.toBe(first[t]);
		await seedDemo(db, { scale: 'small', seed: 1 });
		expect(await digest(db)).toEqual(first);
	});

	it('leaves the previous data untouched when loading fails half way', async () => {
		await sql
			.raw(
				`create function seed_test_fail() returns trigger language plpgsql as $$ begin raise exception 'planted failure'; end $$;
			create trigger seed_test_fail before insert on service_centre for each statement execute function seed_test_fail()`
			)
			.execute(db.kysely)
			.catch(async () => {
				// PGlite's extended protocol takes one statement at a time
				await sql
					.raw(`create function seed_test_fail() returns trigger language plpgsql as $$ begin raise exception 'planted failure'; end $$`)
					.execute(db.kysely);
				await sql.raw(`create trigger seed_test_fail before insert on service_centre for each statement execute function seed_test_fail()`).execute(db.kysely);
			});
		try {
			await expect(seedDemo(db, { scale: 'small', seed: 5 })).rejects.toThrow(/planted failure/);
			expect(await digest(db)).toEqual(first);
			expect(await one(db, `select seed as v from dataset`)).toBe(1);
		} finally {
			await sql.raw(`drop trigger seed_test_fail on service_centre`).execute(db.kysely);
		}
	});

	if (backend === 'embedded') {
		it('refuses the chaoyang scale on the embedded backend', async () => {
			await expect(seedDemo(db, { scale: 'chaoyang', seed: 1 })).rejects.toThrow(/DATABASE_URL/);
			expect(await one(db, `select seed as v from dataset`)).toBe(1);
		});
	}
});

describe('parseSeedArgs', () => {
	it('reads scale and seed', () => {
		expect(parseSeedArgs(['--scale', 'district', '--seed', '42'])).toEqual({ scale: 'district', seed: 42 });
		expect(parseSeedArgs(['--scale=small', '--seed=7'])).toEqual({ scale: 'small', seed: 7 });
		expect(parseSeedArgs([])).toEqual({ scale: 'small', seed: 1 });
	});
	it('names the problem in one line', () => {
		expect(() => parseSeedArgs(['--scale', 'huge'])).toThrow('seed: unknown scale "huge" (expected small, district or chaoyang)');
		expect(() => parseSeedArgs(['--seed', '1.5'])).toThrow(/--seed must be an integer/);
		expect(() => parseSeedArgs(['--seed', 'abc'])).toThrow(/--seed must be an integer/);
		expect(() => parseSeedArgs(['--seed'])).toThrow(/needs a value/);
		expect(() => parseSeedArgs(['--fast'])).toThrow(/unknown argument "--fast"/);
	});
});

describe('npm run seed: bad input', () => {
	const run = (args: string[], env: Record<string, string> = {}) => {
		const r = spawnSync(process.execPath, ['scripts/seed.ts', ...args], {
			encoding: 'utf8',
			env: { ...process.env, DATABASE_URL: '', PGLITE_DIR: 'memory://', ...env }
		});
		return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
	};
	it.each([
		[['--scale', 'huge'], /^seed: unknown scale "huge" \(expected small, district or chaoyang\)$/],
		[['--seed', 'x1'], /^seed: --seed must be an integer/],
		[['--verbose'], /^seed: unknown argument "--verbose"/],
		[['--scale', 'chaoyang'], /^seed: the chaoyang scale .* set DATABASE_URL/]
	])('%j exits 2 with one line', (args, message) => {
		const r = run(args as string[]);
		expect(r.status).toBe(2);
		expect(r.stderr.split('\n')).toHaveLength(1);
		expect(r.stderr).toMatch(message);
	});
	it('a malformed DATABASE_URL exits 2 with one line', () => {
		const r = run(['--scale', 'small'], { DATABASE_URL: 'not a url' });
		expect(r.status).toBe(2);
		expect(r.stderr.split('\n')).toHaveLength(1);
		expect(r.stderr).toMatch(/DATABASE_URL/);
	});
});
