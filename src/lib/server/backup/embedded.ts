// Backup and restore of the embedded database (PGlite). PGlite is PostgreSQL in single-user mode
// inside one process, so a consistent copy is taken *by that process*: it holds its one
// connection (nothing else runs meanwhile), checkpoints, checksums every table and copies its
// data folder, then lets go and packs the copy as a .tar.gz (the `tar` command). When the app is
// running, the backup command asks it to do so (online.ts); otherwise it opens the folder itself.
// A restore unpacks the tarball into a new folder beside the target, opens it, checks it against
// the manifest, and only then moves it into place (the old folder, with --force, is kept aside).
// PGlite 0.5 also offers dumpDataDir() (the same tar, built in memory in JavaScript: 13 s of the
// 263 MB demo district against about 1 s for the copy, all of it with the app stalled) and
// pglite-tools' pg_dump (WASM, --inserts SQL; a peer of another PGlite version).
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { execFile } from 'node:child_process';
import { Kysely, PGliteDialect, sql } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from '../db/schema.ts';
import { folderState, openPglite } from '../db/embedded.ts';
import { acquireFolderLock, liveHolder } from '../db/folder-lock.ts';
import { verifyAuditChain } from '../auth/audit.ts';
import { compareFingerprints, fingerprint, type Fingerprint } from './fingerprint.ts';
import { BackupError, MANIFEST_FORMAT, writeManifest, type Manifest } from './manifest.ts';
import type { RestoreResult } from './server.ts';

type Log = (line: string) => void;

/** Writes `out` and its manifest from an open embedded database, holding its one connection throughout. */
export async function dumpOpenEmbedded(kysely: Kysely<Database>, dataDir: string, out: string, log: Log): Promise<Manifest> {
	const started = performance.now();
	const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
	const staging = `${out}.staging`;
	rmSync(staging, { recursive: true, force: true });
	let taken: { migrations: string[]; fp: Fingerprint };
	try {
		taken = await kysely.connection().execute(async (conn) => {
			log('holding the database (other requests wait) and checkpointing');
			await sql`checkpoint`.execute(conn);
			const migrations = (await sql<{ name: string }>`select name from schema_migration order by name`.execute(conn).catch(() => ({ rows: [] }))).rows.map(
				(r) => r.name
			);
			log(`checksumming every table (${at()})`);
			const fp = await fingerprint(conn, log);
			// PGlite writes straight through to the folder's files; with its one connection held
			// after a checkpoint nothing is in flight, so a file copy is the database as of now
			// (PGlite's dumpDataDir makes the same tar in JavaScript, several times slower)
			log(`copying the data folder (${at()})`);
			cpSync(dataDir, staging, { recursive: true });
			return { migrations, fp };
		});
		log(`database released (${at()}); compressing`);
		await tarGz(staging, `${out}.part`).catch((e: Error) => {
			throw new BackupError(`cannot write ${out}: ${e.message}`);
		});
		renameSync(`${out}.part`, out);
	} finally {
		rmSync(staging, { recursive: true, force: true });
		rmSync(`${out}.part`, { force: true });
	}
	const manifest: Manifest = {
		format: MANIFEST_FORMAT,
		backend: 'embedded',
		createdAt: new Date().toISOString(),
		file: basename(out),
		bytes: statSync(out).size,
		seconds: Math.round((performance.now() - started) / 100) / 10,
		migrations: taken.migrations,
		fingerprint: taken.fp
	};
	writeManifest(out, manifest);
	return manifest;
}

function tarGz(folder: string, file: string): Promise<void> {
	return new Promise((resolve, reject) => {
		execFile('tar', ['-C', folder, '--use-compress-program=gzip -1', '-cf', file, '.'], (e, _out, stderr) =>
			e ? reject(new Error(stderr.trim() || e.message)) : resolve()
		);
	});
}

function untarGz(file: string, folder: string): Promise<void> {
	mkdirSync(folder, { recursive: true });
	return new Promise((resolve, reject) => {
		execFile('tar', ['-C', folder, '-xzf', file], (e, _out, stderr) => (e ? reject(new Error(stderr.trim() || e.message)) : resolve()));
	});
}

/** The backup command on a folder no process has open: open it, dump, close. */
export async function dumpClosedEmbedded(dataDir: string, out: string, log: Log): Promise<Manifest> {
	if (folderState(dataDir) !== 'database') throw new BackupError(`${dataDir} holds no embedded database (set PGLITE_DIR, or DATABASE_URL for a server)`);
	log(`opening ${dataDir} (no process has it open)`);
	const pglite = await openPglite(dataDir);
	const kysely = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: pglite as never }) });
	try {
		return await dumpOpenEmbedded(kysely, dataDir, out, log);
	} finally {
		await kysely.destroy();
	}
}

export async function restoreEmbedded(dataDir: string, file: string, manifest: Manifest, opts: { force: boolean }, log: Log): Promise<RestoreResult> {
	const holder = liveHolder(dataDir);
	if (holder) {
		throw new BackupError(`${dataDir} is open in process ${holder.pid} (${holder.command}): stop the app first; a restore replaces the whole folder`);
	}
	const release = acquireFolderLock(dataDir, log);
	const temp = `${dataDir}.restoring`;
	try {
		const state = folderState(dataDir);
		if ((state === 'database' || state === 'not-a-database') && !opts.force) {
			throw new BackupError(
				`${dataDir} already holds a database: not restoring over it. Pass --force to move it aside (to ${dataDir}.before-restore-<time>) and restore, or point PGLITE_DIR at an empty folder`
			);
		}
		const head = Buffer.alloc(2);
		try {
			const fd = openSync(file, 'r');
			readSync(fd, head, 0, 2, 0);
			closeSync(fd);
		} catch (e) {
			throw new BackupError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
		if (head[0] !== 0x1f || head[1] !== 0x8b)
			throw new BackupError(`${file} is not a gzip file: not an embedded backup (a server backup is restored with DATABASE_URL set)`);
		rmSync(temp, { recursive: true, force: true });
		log(`unpacking ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB) into ${temp}`);
		await untarGz(file, temp).catch((e: Error) => {
			throw new BackupError(`${file} could not be unpacked: ${e.message}`);
		});
		if (folderState(temp) !== 'database') throw new BackupError(`${file} holds no database folder (no PG_VERSION at its top)`);
		let pglite: PGlite;
		try {
			pglite = await openPglite(temp);
		} catch (e) {
			throw new BackupError(`the database in ${file} could not be opened: ${(e as Error).message}`);
		}
		const kysely = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: pglite as never }) });
		let problems: string[];
		let brokenAt: number | null;
		try {
			log('checking every table against the manifest');
			const fp = await fingerprint(kysely, log);
			problems = compareFingerprints(manifest.fingerprint, fp);
			brokenAt = fp.tables.audit_log ? await verifyAuditChain(kysely) : null;
		} finally {
			await kysely.destroy();
		}
		if (brokenAt !== null) problems.push(`the audit log's hash chain breaks at seq ${brokenAt}`);
		if (problems.length)
			throw new BackupError(`the restored copy of ${file} does not match its manifest:\n  ${problems.join('\n  ')}\n${dataDir} was not changed`);
		let movedAside: string | undefined;
		if (existsSync(dataDir) && state !== 'absent') {
			movedAside = `${dataDir}.before-restore-${new Date()
				.toISOString()
				.replace(/[-:]/g, '')
				.replace(/\.\d+Z$/, 'Z')}`;
			renameSync(dataDir, movedAside);
			log(`moved the previous folder aside to ${movedAside}`);
		} else if (existsSync(dataDir)) {
			rmSync(dataDir, { recursive: true });
		}
		renameSync(temp, dataDir);
		const rows = Object.values(manifest.fingerprint.tables).reduce((n, t) => n + t.rows, 0);
		return { tables: Object.keys(manifest.fingerprint.tables).length, rows, auditRows: manifest.fingerprint.audit.rows, movedAside };
	} finally {
		rmSync(temp, { recursive: true, force: true });
		release();
	}
}
