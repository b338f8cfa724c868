// npm run backup [-- --out <file or folder>]
// Backs up the database the environment names (DATABASE_URL: pg_dump of the server; else the
// embedded folder PGLITE_DIR, default data/pglite — through the running app when it has the
// folder open). Writes <file> and <file>.manifest.json; default folder data/backups/.
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { backup, backupTarget, BackupError } from '../src/lib/server/backup/index.ts';
import { FolderLockedError } from '../src/lib/server/db/folder-lock.ts';
import { EmbeddedFolderError } from '../src/lib/server/db/embedded.ts';

function fail(message: string, code = 1): never {
	process.stderr.write(`backup: ${message}\n`);
	process.exit(code);
}

const argv = process.argv.slice(2);
let out: string | undefined;
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
	else if (argv[i].startsWith('--out=')) out = argv[i].slice(6);
	else fail(`unknown argument ${argv[i]} (usage: npm run backup -- [--out <file or folder>])`, 2);
}

try {
	const config = readDbConfig();
	const target = backupTarget(config, out);
	const started = performance.now();
	const manifest = await backup(config, target, (line) => console.log(`[backup] ${line}`));
	const rows = Object.values(manifest.fingerprint.tables).reduce((n, t) => n + t.rows, 0);
	console.log(
		`[backup] ${target}: ${(manifest.bytes / 1e6).toFixed(1)} MB, ${Object.keys(manifest.fingerprint.tables).length} tables, ${rows} rows ` +
			`(audit log ${manifest.fingerprint.audit.rows} rows) in ${((performance.now() - started) / 1000).toFixed(1)} s; manifest ${target}.manifest.json`
	);
} catch (e) {
	if (e instanceof BackupError || e instanceof FolderLockedError || e instanceof EmbeddedFolderError) fail(e.message);
	if (e instanceof ConfigError) fail(e.message, 2);
	throw e;
}
