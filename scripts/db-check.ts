// npm run db:check — checks the geometry invariants of the loaded data; exits 1 on any violation.
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { checkDatabase, summarise } from '../src/lib/server/db/check.ts';

let config: ReturnType<typeof readDbConfig>;
try {
	config = readDbConfig();
} catch (e) {
	if (e instanceof ConfigError) {
		process.stderr.write(`db:check: ${e.message}\n`);
		process.exit(2);
	}
	throw e;
}
const db = await openDb(config);
try {
	await migrate(db);
	const started = performance.now();
	const violations = await checkDatabase(db);
	const s = await summarise(db);
	for (const v of violations) console.log(`${v.rule}: [${v.codes.join(', ')}] ${v.detail}`);
	console.log(
		`db:check: ${violations.length} violation${violations.length === 1 ? '' : 's'} in ${s.streets} streets, ${s.communities} communities, ${s.grids} grids, ${s.buildings} buildings (${((performance.now() - started) / 1000).toFixed(1)} s)`
	);
	process.exitCode = violations.length ? 1 : 0;
} finally {
	await db.close();
}
