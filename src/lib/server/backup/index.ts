// `npm run backup` / `npm run restore` for whichever database the environment names.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DbConfig } from '../db/config.ts';
import { liveHolder } from '../db/folder-lock.ts';
import { dumpClosedEmbedded, restoreEmbedded } from './embedded.ts';
import { requestOnlineBackup } from './online.ts';
import { dumpServer, restoreServer, type RestoreResult } from './server.ts';
import { BackupError, defaultBaseName, readManifest, type Manifest } from './manifest.ts';

export { BackupError } from './manifest.ts';
export type { RestoreResult } from './server.ts';

type Log = (line: string) => void;

/** Where a backup goes: `out` as given (a folder gets a dated name inside), else data/backups/. */
export function backupTarget(config: DbConfig, out?: string, at = new Date()): string {
	const ext = config.backend === 'server' ? '.dump' : '.tar.gz';
	const target = out ? resolve(out) : resolve('data/backups');
	const isDir = out ? existsSync(target) && statSync(target).isDirectory() : true;
	return isDir ? resolve(target, defaultBaseName(config.backend, at) + ext) : target;
}

export async function backup(config: DbConfig, out: string, log: Log): Promise<Manifest> {
	mkdirSync(dirname(out), { recursive: true });
	if (existsSync(out)) throw new BackupError(`${out} already exists: not overwriting a backup`);
	if (config.backend === 'server') return dumpServer(config.url, out, log);
	if (config.dataDir.startsWith('memory://')) throw new BackupError('PGLITE_DIR is in memory: nothing to back up');
	const holder = liveHolder(config.dataDir);
	return holder ? requestOnlineBackup(config.dataDir, holder, out, log) : dumpClosedEmbedded(config.dataDir, out, log);
}

export async function restore(config: DbConfig, file: string, opts: { force: boolean }, log: Log): Promise<RestoreResult> {
	if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
	const manifest = readManifest(file);
	if (manifest.backend !== config.backend) {
		throw new BackupError(
			`${file} is a backup of ${manifest.backend === 'server' ? 'a server PostGIS' : 'the embedded database'}; restore it with ${manifest.backend === 'server' ? 'DATABASE_URL set' : 'DATABASE_URL unset (PGLITE_DIR names the folder)'}`
		);
	}
	if (statSync(file).size !== manifest.bytes) {
		throw new BackupError(
			`${file} has ${statSync(file).size} bytes, its manifest says ${manifest.bytes}: the file is truncated or not the one the manifest describes`
		);
	}
	log(
		`${file}: ${manifest.backend} backup of ${manifest.createdAt}, ${Object.keys(manifest.fingerprint.tables).length} tables, ${manifest.migrations.length} migrations`
	);
	if (config.backend === 'server') return restoreServer(config.url, file, manifest, opts, log);
	if (config.dataDir.startsWith('memory://')) throw new BackupError('PGLITE_DIR is in memory: restore into a folder');
	return restoreEmbedded(config.dataDir, file, manifest, opts, log);
}
