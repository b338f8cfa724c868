// A backup of the embedded database while the app runs. Only the process that has the folder
// open may read it consistently, so the backup command asks that process: it writes a request
// beside the folder (`<folder>.backup-request`: where to write, and an id) and sends SIGUSR2 to
// the pid in the folder's lock file; the app holds its one connection, writes the dump and its
// manifest, and answers in `<folder>.backup-response-<id>`. Signals reach a process only from
// its own user (or root), who can read the folder anyway: no endpoint, no credentials.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { holderAlive, type LockInfo } from '../db/folder-lock.ts';
import { dumpOpenEmbedded } from './embedded.ts';
import { BackupError, readManifest, type Manifest } from './manifest.ts';

const requestPath = (dataDir: string) => `${dataDir}.backup-request`;
const responsePath = (dataDir: string, id: string) => `${dataDir}.backup-response-${id}`;

interface Request {
	id: string;
	out: string;
	from: number;
}
interface Response {
	ok: boolean;
	error?: string;
}

function writeAtomically(path: string, value: unknown): void {
	writeFileSync(`${path}.part`, JSON.stringify(value));
	renameSync(`${path}.part`, path);
}

/** In the process holding the folder: answer backup requests until the returned function is called. */
export function serveOnlineBackups(dataDir: string, kysely: Kysely<Database>): () => void {
	let busy = false;
	const onSignal = () => {
		let request: Request;
		try {
			request = JSON.parse(readFileSync(requestPath(dataDir), 'utf8')) as Request;
			rmSync(requestPath(dataDir), { force: true });
		} catch {
			console.warn(`[backup] SIGUSR2 but no readable ${requestPath(dataDir)}: ignored`);
			return;
		}
		if (busy) {
			writeAtomically(responsePath(dataDir, request.id), { ok: false, error: 'a backup is already being written' } satisfies Response);
			return;
		}
		busy = true;
		const log = (line: string) => console.log(`[backup] ${line}`);
		log(`writing ${request.out} for process ${request.from}`);
		dumpOpenEmbedded(kysely, dataDir, request.out, log)
			.then((m) => {
				log(`${request.out} written (${(m.bytes / 1e6).toFixed(1)} MB in ${m.seconds} s)`);
				writeAtomically(responsePath(dataDir, request.id), { ok: true } satisfies Response);
			})
			.catch((e: Error) => {
				log(`failed: ${e.message}`);
				writeAtomically(responsePath(dataDir, request.id), { ok: false, error: e.message } satisfies Response);
			})
			.finally(() => (busy = false));
	};
	process.on('SIGUSR2', onSignal);
	return () => process.off('SIGUSR2', onSignal);
}

/** In the backup command: ask the process holding the folder to write `out`. */
export async function requestOnlineBackup(
	dataDir: string,
	holder: LockInfo,
	out: string,
	log: (line: string) => void,
	timeoutMs = 30 * 60_000
): Promise<Manifest> {
	const id = randomBytes(8).toString('hex');
	const response = responsePath(dataDir, id);
	writeAtomically(requestPath(dataDir), { id, out, from: process.pid } satisfies Request);
	log(`the app (process ${holder.pid}) has ${dataDir} open: asking it to write the backup`);
	process.kill(holder.pid, 'SIGUSR2');
	const started = Date.now();
	let lastReport = started;
	try {
		for (;;) {
			await new Promise((r) => setTimeout(r, 200));
			if (existsSync(response)) {
				const answer = JSON.parse(readFileSync(response, 'utf8')) as Response;
				if (!answer.ok) throw new BackupError(`the app (process ${holder.pid}) could not write ${out}: ${answer.error}`);
				return readManifest(out);
			}
			if (!holderAlive(holder)) {
				// what it left half-done goes
				rmSync(`${out}.staging`, { recursive: true, force: true });
				rmSync(`${out}.part`, { force: true });
				throw new BackupError(`process ${holder.pid} ended before it wrote ${out}`);
			}
			// the app takes the request file at once; one left there means nobody is listening
			if (Date.now() - started > 15_000 && existsSync(requestPath(dataDir))) {
				throw new BackupError(
					`process ${holder.pid} holds ${dataDir} but did not take the backup request in 15 s (still starting, before its database is open, or busy that long): run npm run backup again once it serves`
				);
			}
			if (Date.now() - started > timeoutMs)
				throw new BackupError(`no answer from process ${holder.pid} in ${timeoutMs / 1000} s (is it a Jiceng app of this version?)`);
			if (Date.now() - lastReport >= 5000) {
				lastReport = Date.now();
				log(`waiting for process ${holder.pid}: ${Math.round((Date.now() - started) / 1000)} s (its log shows the steps)`);
			}
		}
	} finally {
		rmSync(response, { force: true });
		// a request nobody took (the process died or is not ours) must not trigger a later backup
		rmSync(requestPath(dataDir), { force: true });
	}
}
