// One process per embedded database folder. PGlite is PostgreSQL in single-user mode inside this
// process: a second process opening the same folder would write the same files with no shared
// lock and corrupt them. So the folder gets a lock file beside it (`<folder>.lock`, not inside:
// a backup of the folder must not carry it) holding the owner's pid. A lock whose pid is gone
// (kill -9, a crash, a power cut) is stale and taken over; a live one refuses the open with a
// message that says who holds it and what to do.
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';

export interface LockInfo {
	pid: number;
	host: string;
	since: string;
	command: string;
	/** the process's start time in clock ticks since boot (Linux): a reused pid has another */
	started?: number | null;
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or null off Linux. */
export function processStart(pid: number): number | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
	} catch {
		return null;
	}
}

/** Is the process that wrote this lock still running — that pid, and not a later process given it? */
export function holderAlive(info: LockInfo): boolean {
	if (!pidAlive(info.pid)) return false;
	const now = info.started == null ? null : processStart(info.pid);
	return now == null || now === info.started;
}

export class FolderLockedError extends Error {
	readonly dataDir: string;
	readonly holder: LockInfo;
	constructor(dataDir: string, holder: LockInfo) {
		super(
			`the embedded database ${dataDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}). ` +
				`Only one process may open it: stop that one first (kill ${holder.pid}). ` +
				`If ${holder.pid} is not a Jiceng process, remove ${lockPath(dataDir)} and start again.`
		);
		this.dataDir = dataDir;
		this.holder = holder;
	}
}

export const lockPath = (dataDir: string) => `${dataDir.replace(/\/+$/, '')}.lock`;

/** Is a process with this pid running (on this machine)? EPERM means it exists but is not ours. */
export function pidAlive(pid: number): boolean {
	if (!Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
	// a killed process is a zombie until its parent reaps it: dead all the same (Linux)
	try {
		return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return true;
	}
}

/** The lock's holder, or null when there is no lock file (or it is unreadable garbage). */
export function readLock(dataDir: string): LockInfo | null {
	try {
		const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
		return Number.isInteger(info.pid) ? info : null;
	} catch {
		return null;
	}
}

/** The live process holding the folder, other than this one; null when free or held by us. */
export function liveHolder(dataDir: string): LockInfo | null {
	const info = readLock(dataDir);
	return info && info.pid !== process.pid && holderAlive(info) ? info : null;
}

// the folders this process holds, with how many open handles each
const held = new Map<string, number>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// `npm run backup` signals the lock's holder (backup/online.ts); a holder that has not opened
	// the database yet (npm start while it builds) must not die of it, as SIGUSR2 unheard would
	process.on('SIGUSR2', () => {});
	process.on('exit', () => {
		for (const dir of held.keys()) removeIfOurs(dir);
	});
}

function removeIfOurs(dataDir: string): void {
	if (readLock(dataDir)?.pid === process.pid) {
		try {
			unlinkSync(lockPath(dataDir));
		} catch {
			// already gone
		}
	}
}

/**
 * Takes the folder's lock for this process (re-entrant: each call needs one release). Throws
 * FolderLockedError when another live process holds it; a stale lock is taken over, and `log`
 * says so.
 */
export function acquireFolderLock(dataDir: string, log: (line: string) => void = (l) => console.warn(l)): () => void {
	const count = held.get(dataDir) ?? 0;
	if (count === 0) takeLock(dataDir, log);
	held.set(dataDir, count + 1);
	releaseAllOnExit();
	let released = false;
	return () => {
		if (released) return;
		released = true;
		const left = (held.get(dataDir) ?? 1) - 1;
		if (left > 0) return void held.set(dataDir, left);
		held.delete(dataDir);
		removeIfOurs(dataDir);
	};
}

function takeLock(dataDir: string, log: (line: string) => void): void {
	const path = lockPath(dataDir);
	const mine: LockInfo = {
		pid: process.pid,
		host: hostname(),
		since: new Date().toISOString(),
		command: process.argv.slice(1).join(' ') || 'node',
		started: processStart(process.pid)
	};
	// write the whole content first, then link it into place: link fails if the name exists, so
	// no reader ever sees a half-written lock and two starters cannot both win
	const temp = `${path}.${process.pid}.tmp`;
	// the lock sits beside the folder: on a fresh clone the folder's parent (data/) is not there yet
	mkdirSync(dirname(path), { recursive: true });
	const fd = openSync(temp, 'w');
	try {
		writeSync(fd, JSON.stringify(mine) + '\n');
	} finally {
		closeSync(fd);
	}
	try {
		for (let attempt = 0; attempt < 3; attempt++) {
			try {
				linkSync(temp, path);
				return;
			} catch (e) {
				if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
			}
			const holder = readLock(dataDir);
			if (holder && holder.pid === process.pid) return;
			if (holder && holderAlive(holder)) throw new FolderLockedError(dataDir, holder);
			// stale (or unreadable): move it aside atomically, so of two processes taking over the
			// same stale lock only one removes it; then check what was moved really was stale
			const aside = `${path}.stale.${process.pid}`;
			try {
				renameSync(path, aside);
			} catch {
				continue; // someone else moved it first: try again
			}
			const moved = (() => {
				try {
					return JSON.parse(readFileSync(aside, 'utf8')) as LockInfo;
				} catch {
					return null;
				}
			})();
			if (moved && moved.pid !== process.pid && holderAlive(moved)) {
				// a live process's fresh lock, taken between our read and our rename: give it back
				renameSync(aside, path);
				throw new FolderLockedError(dataDir, moved);
			}
			unlinkSync(aside);
			log(
				moved
					? `[db] ${dataDir}: process ${moved.pid} (${moved.command}, since ${moved.since}) ended without closing the database (killed or crashed); taking over its stale lock — PostgreSQL recovers the folder from its write-ahead log`
					: `[db] ${dataDir}: removing an unreadable lock file`
			);
		}
		throw new Error(`could not take the lock ${path}: other processes keep taking it`);
	} finally {
		try {
			unlinkSync(temp);
		} catch {
			// linked or not, the temp name goes
		}
	}
}
