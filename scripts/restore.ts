// npm run restore -- [--force] <backup file>
// Restores a backup made by `npm run backup` into the database the environment names (an empty
// server database, or the embedded folder PGLITE_DIR), then checks every table's rows and the
// audit log's hash chain against the backup's manifest. Refuses a database that already holds
// data unless --force (server: the tables are replaced in one transaction; embedded: the old
// folder is moved aside, not deleted).
import { resolve } from 'node:path';
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { FolderLockedError } from '../src/lib/server/db/folder-lock.ts';
import { EmbeddedFolderError } from '../src/lib/server/db/embedded.ts';
import { restore, BackupError } from '../src/lib/server/backup/index.ts';

function fail(message: string, code = 1): never {
	process.stderr.write(`restore: ${message}\n`);
	process.exit(code);
}

const argv = process.argv.slice(2);
const force = argv.includes('--force');
const files = argv.filter((a) => a !== '--force');
if (files.length !== 1 || files[0].startsWith('--')) fail('usage: npm run restore -- [--force] <backup file (.dump or .tar.gz)>', 2);

try {
	const config = readDbConfig();
	const started = performance.now();
	const result = await restore(config, resolve(files[0]), { force }, (line) => console.log(`[restore] ${line}`));
	console.log(
		`[restore] done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.tables} tables, ${result.rows} rows match the manifest; ` +
			`audit log (${result.auditRows} rows) hash chain verified${result.movedAside ? `; the previous folder is at ${result.movedAside}` : ''}`
	);
} catch (e) {
	if (e instanceof BackupError || e instanceof FolderLockedError || e instanceof EmbeddedFolderError) fail(e.message);
	if (e instanceof ConfigError) fail(e.message, 2);
	throw e;
}
