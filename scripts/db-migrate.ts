// `npm run db:migrate`: apply any new files in sql/ and list what is applied.
import { ConfigError } from '../src/lib/server/db/config.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { appliedMigrations, migrate } from '../src/lib/server/db/migrate.ts';

try {
	const db = await openDb();
	const applied = await migrate(db, (line) => console.log(line));
	const all = await appliedMigrations(db);
	console.log(`db:migrate: ${applied.length} applied now, ${all.length} in all (${db.backend})`);
	await db.close();
} catch (e) {
	console.error(`db:migrate: ${e instanceof ConfigError ? e.message : (e as Error).message.split('\n')[0]}`);
	process.exit(e instanceof ConfigError ? 2 : 1);
}
