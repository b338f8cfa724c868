// Both backends for integration tests: a fresh in-memory PGlite, and a fresh database on the
// throwaway server PostGIS that `npm test` starts (TEST_DATABASE_URL names its admin database).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import type { BackendKind } from '../../src/lib/server/db/config.ts';

export const serverUrl = process.env.TEST_DATABASE_URL;

/** The backends to run against: embedded always; server when the test command started one. */
export const backends: BackendKind[] = serverUrl ? ['embedded', 'server'] : ['embedded'];

if (!serverUrl && process.env.CI) {
	throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`, which starts a server PostGIS');
}

export interface TestDb extends Db {
	/** the connection string of the server database, for tests that start a second process */
	url?: string;
	drop(): Promise<void>;
}

/** A fresh, migrated database on the given backend. */
export async function freshDb(backend: BackendKind, { migrated = true } = {}): Promise<TestDb> {
	if (backend === 'embedded') {
		const db = await openDb({ backend: 'embedded', dataDir: 'memory://' });
		if (migrated) await migrate(db);
		return Object.assign(db, { drop: () => db.close() });
	}
	if (!serverUrl) throw new Error('no server PostGIS for this test run');
	const name = `t_${randomBytes(6).toString('hex')}`;
	await adminQuery(`create database ${name}`);
	const url = withDatabase(serverUrl, name);
	const db = await openDb({ backend: 'server', url, poolSize: 4 });
	if (migrated) await migrate(db);
	return Object.assign(db, {
		url,
		drop: async () => {
			await db.close();
			await adminQuery(`drop database if exists ${name} with (force)`);
		}
	});
}

export function withDatabase(url: string, database: string): string {
	const u = new URL(url);
	u.pathname = `/${database}`;
	return u.toString();
}

async function adminQuery(text: string): Promise<void> {
	const client = new pg.Client({ connectionString: serverUrl });
	await client.connect();
	try {
		await client.query(text);
	} finally {
		await client.end();
	}
}
