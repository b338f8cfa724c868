// What /api/health reports: backend, PostGIS, migrations, the loaded demo dataset.
import { sql } from 'kysely';
import type { Db } from '../open.ts';
import { appliedMigrations } from '../migrate.ts';

export async function healthReport(db: Db) {
	const { rows: [{ postgis }] } = await sql<{ postgis: string }>`select postgis_lib_version() as postgis`.execute(db.kysely);
	const migrations = await appliedMigrations(db);
	const dataset = await db.kysely
		.selectFrom('dataset')
		.select(['scale', 'seed', 'loaded_at', 'seconds', 'counts'])
		.executeTakeFirst();
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
