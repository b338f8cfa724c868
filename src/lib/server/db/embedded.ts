// The embedded backend: PGlite with PostGIS in this process, persisted in a folder.
// PGlite is a single connection: Kysely's PGlite adapter declares that, and Kysely then hands
// the connection (and any transaction on it) to one caller at a time — a queue, not a crash.
//
// The folder is PostgreSQL's data directory, opened by one process at a time (folder-lock.ts).
// A process killed mid-write leaves it as a crashed server would: the next open replays the
// write-ahead log, so committed transactions are there and a half-done one is not. What it must
// never do is start empty on a folder that held a database: a folder with files but no
// PG_VERSION (a first start killed during initdb, or files removed by hand) is refused, not
// initialised over, and an open that fails says what to do instead of starting afresh.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { acquireFolderLock } from './folder-lock.ts';

export class EmbeddedFolderError extends Error {}

/** What is in the folder: nothing yet, a database, or files that are not (or no longer) one. */
export function folderState(dataDir: string): 'absent' | 'empty' | 'database' | 'not-a-database' {
	if (!existsSync(dataDir)) return 'absent';
	const entries = readdirSync(dataDir);
	if (entries.length === 0) return 'empty';
	return existsSync(join(dataDir, 'PG_VERSION')) ? 'database' : 'not-a-database';
}

export async function openPglite(dataDir: string): Promise<PGlite> {
	if (dataDir.startsWith('memory://')) return create(dataDir, true);
	const release = acquireFolderLock(dataDir);
	try {
		const state = folderState(dataDir);
		if (state === 'not-a-database') {
			throw new EmbeddedFolderError(
				`${dataDir} holds files but no database (its PG_VERSION is missing: a first start killed while creating it, or files removed). ` +
					`Nothing was changed. Move it aside (mv ${dataDir} ${dataDir}.broken) and start again for a new database, ` +
					`or restore a backup into it (npm run restore -- --force <backup>).`
			);
		}
		mkdirSync(dataDir, { recursive: true });
		let pglite: PGlite;
		try {
			pglite = await create(dataDir, state !== 'database');
		} catch (e) {
			if (state !== 'database') throw e;
			throw new EmbeddedFolderError(
				`the embedded database in ${dataDir} could not be opened: ${(e as Error).message.replace(/\.+$/, '')}. ` +
					`It was left as it is. Keep a copy of the folder (cp -a ${dataDir} ${dataDir}.damaged), then restore the latest backup ` +
					`(npm run restore -- --force <backup>); the app does not start on an empty database in its place.`
			);
		}
		// the lock goes with the handle (Kysely's destroy closes it)
		const close = pglite.close.bind(pglite);
		pglite.close = async () => {
			try {
				await close();
			} finally {
				release();
			}
		};
		return pglite;
	} catch (e) {
		release();
		throw e;
	}
}

async function create(dataDir: string, isNew: boolean): Promise<PGlite> {
	const template = isNew ? newDatabaseTemplate() : undefined;
	const copy = template ? readTemplate(template) : undefined;
	if (template && copy) {
		try {
			return await start(dataDir, copy);
		} catch (e) {
			// a copy this version cannot load: drop it and make the database the long way
			console.warn(`[db] the kept new-database copy could not be loaded (${(e as Error).message}); creating from scratch`);
			rmSync(template, { force: true });
			if (!dataDir.startsWith('memory://')) for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
		}
	}
	const pglite = await start(dataDir);
	if (template) await keepTemplate(pglite, template);
	return pglite;
}

async function start(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
	// same JS types as the server backend: int8/numeric as numbers, dates as ISO strings
	const pglite = await PGlite.create({
		dataDir,
		extensions: { postgis },
		parsers: { 20: Number, 1700: Number, 1082: String },
		...(loadDataDir ? { loadDataDir } : {})
	});
	await pglite.exec('create extension if not exists postgis');
	return pglite;
}

// A new database starts as a copy of an empty one with PostGIS installed, kept from the first
// one made: PostGIS's install script is half of the 13 s a new database takes (3 s from the
// copy). Kept per PGlite and PostGIS version, next to the packages (node_modules/.cache); a
// machine where that cannot be written simply makes every new database the long way.
/** Where the copy of a new database is kept (undefined: the packages' versions cannot be read). */
export function newDatabaseTemplate(): string | undefined {
	const versionOf = (pkg: string) => {
		try {
			return (JSON.parse(readFileSync(join(process.cwd(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
		} catch {
			return undefined;
		}
	};
	const pglite = versionOf('@electric-sql/pglite');
	const postgisVersion = versionOf('@electric-sql/pglite-postgis');
	if (!pglite || !postgisVersion) return undefined;
	return join(process.cwd(), 'node_modules', '.cache', 'jiceng', `new-database-pglite-${pglite}-postgis-${postgisVersion}.tar.gz`);
}

function readTemplate(path: string): Blob | undefined {
	try {
		return existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
	} catch {
		return undefined;
	}
}

async function keepTemplate(pglite: PGlite, path: string): Promise<void> {
	if (existsSync(path)) return;
	try {
		const tar = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
		mkdirSync(join(path, '..'), { recursive: true });
		// written aside and renamed: a process killed meanwhile leaves no half copy
		const part = `${path}.${process.pid}.part`;
		writeFileSync(part, tar);
		renameSync(part, path);
	} catch (e) {
		console.warn(`[db] could not keep a copy of the new database (${(e as Error).message}); new databases are made from scratch`);
	}
}
