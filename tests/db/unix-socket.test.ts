// A PostgreSQL on the same machine is reached through its Unix socket (README, "A server PostGIS"):
// DATABASE_URL names the socket's directory with `?host=`. The configuration takes that form, the
// app's pools (main and priority lane) connect through the socket as the app role, and a backup's
// pg_dump does too. The socket directory is the test server's own (`unix_socket_directories`);
// a test server on another machine (TEST_DATABASE_URL) has none here, and these tests skip.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { freshDb, serverUrl, type TestDb } from '../helpers/backends.ts';
import { readDbConfig } from '../../src/lib/server/db/config.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import { priorityLane } from '../../src/lib/server/db/lanes.ts';
import { dumpServer } from '../../src/lib/server/backup/server.ts';

/** `url` through the server's first socket directory (the same login, port and database), null when that socket is not on this machine */
async function socketUrl(url: string): Promise<string | null> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		const { rows } = await c.query<{ dirs: string }>(`select current_setting('unix_socket_directories') as dirs`);
		const dir = rows[0].dirs.split(',')[0].trim();
		const u = new URL(url);
		if (!dir || !existsSync(join(dir, `.s.PGSQL.${u.port || 5432}`))) return null;
		u.searchParams.set('host', dir);
		return u.toString();
	} finally {
		await c.end();
	}
}

describe('DATABASE_URL through a Unix socket', () => {
	it('is a configuration the app accepts, with or without a host name beside the socket', () => {
		for (const url of ['postgres:///atlas?host=/var/run/postgresql', 'postgres://atlas@localhost:5433/atlas?host=/var/run/postgresql']) {
			const config = readDbConfig({ DATABASE_URL: url });
			expect(config).toMatchObject({ backend: 'server', url });
		}
		expect(() => readDbConfig({ DATABASE_URL: 'postgres:///atlas' })).toThrow(/names no host/);
	});
});

describe.skipIf(!serverUrl)('the server through its Unix socket', () => {
	let db: TestDb;
	let url: string | null;
	let dir: string;
	beforeAll(async () => {
		// made here, not when the suite is collected: a skipped suite would leave it behind
		dir = mkdtempSync(join(tmpdir(), 'jiceng-socket-'));
		db = await freshDb('server');
		url = await socketUrl(db.url!);
	}, 120_000);
	afterAll(async () => {
		await db?.drop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('connects the pool and the priority lane through the socket, as the app role', async ({ skip }) => {
		if (url === null) return skip();
		expect(new URL(url).searchParams.get('host')).toMatch(/^\//);
		const app = await openDb(readDbConfig({ DATABASE_URL: url, DB_POOL_SIZE: '2' }), { appRole: true });
		try {
			for (const kysely of [app.kysely, priorityLane(app.kysely)]) {
				const { rows } = await sql<{ addr: string | null; role: string }>`select inet_client_addr()::text as addr, current_user as role`.execute(kysely);
				// a TCP connection has a client address; a socket one has none
				expect(rows[0]).toEqual({ addr: null, role: 'jiceng_app' });
			}
		} finally {
			await app.close();
		}
	});

	it('backs up through the socket (pg_dump takes the same URL)', async ({ skip }) => {
		if (url === null) return skip();
		const out = join(dir, 'socket.dump');
		const manifest = await dumpServer(url, out, () => {});
		expect(manifest.backend).toBe('server');
		expect(manifest.bytes).toBeGreaterThan(1000);
		expect(manifest.migrations.length).toBeGreaterThan(30);
	}, 120_000);
});
