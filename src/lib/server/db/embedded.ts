// The embedded backend: PGlite with PostGIS in this process, persisted in a folder.
// PGlite is a single connection: Kysely's PGlite adapter declares that, and Kysely then hands
// the connection (and any transaction on it) to one caller at a time — a queue, not a crash.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';

export async function openPglite(dataDir: string): Promise<PGlite> {
	if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
	// same JS types as the server backend: int8/numeric as numbers, dates as ISO strings
	const pglite = await PGlite.create({
		dataDir,
		extensions: { postgis },
		parsers: { 20: Number, 1700: Number, 1082: String }
	});
	await pglite.exec('create extension if not exists postgis');
	return pglite;
}
