// /api/health: up or down for anyone, the installation's details for administrators only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import type { Db } from '../../src/lib/server/db/open.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import type { SessionUser } from '../../src/lib/server/auth/sessions.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';
import * as health from '../../src/routes/api/health/+server.ts';
import { account, branch } from './helpers.ts';

const DB_KEY = Symbol.for('jiceng.db');
const holder = globalThis as Record<symbol, unknown>;

async function ask(user: SessionUser | null) {
	const response = await health.GET({ locals: { user, viewer: null } } as never);
	return { status: response.status, body: await response.json(), cacheControl: response.headers.get('cache-control') };
}

describe.each(backends)('/api/health (%s)', (backend) => {
	let db: TestDb;
	const users = {} as Record<Role, SessionUser>;
	let previous: unknown;

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		const b = await branch(db.kysely);
		const areaOf: Record<Role, string> = {
			district_admin: b.district,
			street_secretary: b.street,
			community_secretary: b.community,
			grid_leader: b.grid,
			planner: b.street,
			auditor: b.district,
			system_admin: b.district,
			security_admin: b.district
		};
		for (const role of Object.keys(areaOf) as Role[]) users[role] = await account(db.kysely, `h.${role}`, role, areaOf[role]);
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
	});
	afterAll(async () => {
		holder[DB_KEY] = previous;
		await db?.drop();
	});

	it('tells an anonymous caller only that it is up', async () => {
		const r = await ask(null);
		expect(r.status).toBe(200);
		expect(r.body).toEqual({ status: 'ok' });
		expect(r.cacheControl).toBe('no-store');
	});

	it('shows the details to administrators only', async () => {
		for (const role of ['system_admin', 'security_admin', 'district_admin'] as const) {
			const r = await ask(users[role]);
			expect(r.status, role).toBe(200);
			expect(r.body, role).toMatchObject({ status: 'ok', backend, dataset: { scale: 'small' } });
			expect(r.body.postgis, role).toMatch(/^\d+\.\d+/);
			expect(r.body.migrations.length, role).toBeGreaterThan(0);
			expect(typeof r.body.data_version, role).toBe('number');
		}
		for (const role of ['street_secretary', 'community_secretary', 'grid_leader', 'planner', 'auditor'] as const) {
			expect((await ask(users[role])).body, role).toEqual({ status: 'ok' });
		}
		// an administrator who has yet to change the password is not fully signed in
		expect((await ask({ ...users.system_admin, mustChangePassword: true })).body).toEqual({ status: 'ok' });
		expect((await ask({ ...users.district_admin, passwordExpired: true })).body).toEqual({ status: 'ok' });
	});
});

describe('/api/health when the database does not answer', () => {
	let previous: unknown;
	let silent: Server;
	const sockets: Socket[] = [];
	const pools: pg.Pool[] = [];
	const unanswering = (port: number): Db => {
		const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', password: 'x' });
		pool.on('error', () => {});
		pools.push(pool);
		return { backend: 'server', kysely: new Kysely({ dialect: new PostgresDialect({ pool }) }) } as unknown as Db;
	};
	beforeAll(async () => {
		previous = holder[DB_KEY];
		// accepts connections and never says a word
		silent = createServer((socket) => sockets.push(socket));
		await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
	});
	afterAll(async () => {
		holder[DB_KEY] = previous;
		for (const socket of sockets) socket.destroy();
		await new Promise((ok) => silent.close(ok));
		await Promise.allSettled(pools.map((p) => p.end()));
	});

	it('answers 503 "down" to anyone: refused, silent, or never opened', async () => {
		const closedPort = await new Promise<number>((ok) => {
			const s = createServer();
			s.listen(0, '127.0.0.1', () => {
				const port = (s.address() as AddressInfo).port;
				s.close(() => ok(port));
			});
		});
		holder[DB_KEY] = Promise.resolve(unanswering(closedPort));
		const admin = {
			accountId: 1,
			username: 'a',
			displayName: 'a',
			role: 'district_admin',
			areaCode: '420105',
			canViewPersons: false,
			mustChangePassword: false,
			passwordExpired: false,
			demo: false
		} as SessionUser;
		for (const user of [null, admin]) {
			const r = await ask(user);
			expect(r.status).toBe(503);
			expect(r.body).toEqual({ status: 'down' });
		}
		holder[DB_KEY] = Promise.resolve(unanswering((silent.address() as AddressInfo).port));
		const started = Date.now();
		expect(await ask(null)).toMatchObject({ status: 503, body: { status: 'down' } });
		expect(Date.now() - started).toBeLessThan(15_000);
		const never = Promise.reject(new Error('cannot open'));
		never.catch(() => {});
		holder[DB_KEY] = never;
		expect(await ask(null)).toMatchObject({ status: 503, body: { status: 'down' } });
	}, 30_000);
});
