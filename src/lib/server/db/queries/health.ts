// What /api/health reports. Anyone may ask whether the service is up (a load balancer, a monitor):
// they get `{"status":"ok"}` or, when the database does not answer, a 503 `{"status":"down"}`.
// Backend, PostGIS version, migrations, the loaded demo dataset and the data version describe the
// installation, so only administrators (HEALTH_DETAIL_ROLES) are shown them.
import { sql } from 'kysely';
import type { Db } from '../open.ts';
import { appliedMigrations } from '../migrate.ts';
import type { Role } from '../../auth/roles.ts';

export const HEALTH_DETAIL_ROLES: readonly Role[] = ['system_admin', 'security_admin', 'district_admin'];

/** Whether the database answers a trivial query within `timeoutMs`. */
export async function databaseUp(db: Db, timeoutMs = 5_000): Promise<boolean> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	try {
		const timeout = new Promise<false>((ok) => (timer = setTimeout(() => ok(false), timeoutMs)));
		const probe = sql<{ up: number }>`select 1 as up`.execute(db.kysely).then(({ rows }) => rows[0]?.up === 1);
		return await Promise.race([probe, timeout]);
	} catch {
		return false;
	} finally {
		clearTimeout(timer);
	}
}

export async function healthReport(db: Db) {
	const {
		rows: [{ postgis }]
	} = await sql<{ postgis: string }>`select postgis_lib_version() as postgis`.execute(db.kysely);
	const migrations = await appliedMigrations(db);
	const dataset = await db.kysely.selectFrom('dataset').select(['scale', 'seed', 'loaded_at', 'seconds', 'counts']).executeTakeFirst();
	const version = await db.kysely.selectFrom('data_version').select('version').executeTakeFirst();
	return {
		status: 'ok' as const,
		backend: db.backend,
		postgis,
		migrations: migrations.map((m) => ({ name: m.name, applied_at: m.applied_at })),
		dataset: dataset ?? null,
		data_version: version?.version ?? null
	};
}
