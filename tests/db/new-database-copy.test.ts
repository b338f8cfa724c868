// A new embedded database starts from a kept copy of an empty one with PostGIS installed
// (db/embedded.ts): the copy is made by the first new database, and one that cannot be loaded is
// dropped and made again, never served half.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDb } from '../../src/lib/server/db/open.ts';
import { newDatabaseTemplate } from '../../src/lib/server/db/embedded.ts';

describe('the kept copy of a new embedded database', () => {
	const path = newDatabaseTemplate()!;
	let kept: Buffer | null = null;
	afterAll(() => {
		// the copy as it was (other test files use it)
		if (kept) writeFileSync(path, kept);
	});

	it('is made by a new database, and a new database from it has PostGIS', async () => {
		expect(path).toMatch(/node_modules\/\.cache\/jiceng\/new-database-pglite-[\d.]+-postgis-[\d.]+\.tar\.gz$/);
		const first = await openDb({ backend: 'embedded', dataDir: 'memory://' });
		await first.close();
		expect(existsSync(path)).toBe(true);
		kept = readFileSync(path);
		const db = await openDb({ backend: 'embedded', dataDir: 'memory://' });
		const { rows } = await sql<{ p: string }>`select ST_AsText(ST_Transform(ST_SetSRID(ST_MakePoint(116, 39), 4326), 4547)) as p`.execute(db.kysely);
		expect(rows[0].p).toMatch(/^POINT\(673260\.\d+ 4320407\.\d+\)$/);
		await db.close();
	});

	it('that cannot be loaded is dropped and made again; the database opens all the same', async () => {
		writeFileSync(path, 'not a tar');
		const db = await openDb({ backend: 'embedded', dataDir: 'memory://' });
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from spatial_ref_sys where srid in (4490, 4547)`.execute(db.kysely);
		expect(rows[0].n).toBe(2);
		await db.close();
		expect(statSync(path).size).toBeGreaterThan(1_000_000);
	});
});
