// The embedded database's folder with real processes: one process at a time (a second one, and a
// second `npm start`, is refused with the holder's pid), a process killed with SIGKILL in the
// middle of writing leaves a folder the next process opens with every committed transaction and
// no partial one (its stale lock taken over, and said so), and a folder that holds files but no
// database, or a damaged one, is refused untouched rather than initialised empty.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireFolderLock, pidAlive, processStart } from '../../src/lib/server/db/folder-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'jiceng-folder-'));
const children: ChildProcess[] = [];
afterAll(() => {
	for (const c of children) c.kill('SIGKILL');
	rmSync(dir, { recursive: true, force: true });
});

const CHILD = 'tests/helpers/embedded-child.ts';

function start(folder: string, mode: 'hold' | 'write') {
	const child = spawn(process.execPath, [CHILD, folder, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
	children.push(child);
	let out = '';
	child.stdout.on('data', (d: Buffer) => (out += d.toString()));
	child.stderr.on('data', (d: Buffer) => (out += d.toString()));
	// 'close', not 'exit': the lines still in the pipe when the process died are read by then
	const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
	const waitFor = (pattern: RegExp, timeoutMs = 120_000) =>
		new Promise<void>((resolve, reject) => {
			const started = Date.now();
			const poll = setInterval(() => {
				if (pattern.test(out)) {
					clearInterval(poll);
					resolve();
				} else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
					clearInterval(poll);
					reject(new Error(`no ${pattern} (exit ${child.exitCode}): ${out}`));
				}
			}, 50);
		});
	return { child, exited, waitFor, output: () => out };
}

function runAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; out: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
		children.push(child);
		let out = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (out += d.toString())));
		const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
		child.on('close', (status) => {
			clearTimeout(timer);
			resolve({ status, out, stderr });
		});
	});
}

function runOnce(folder: string, mode: 'hold' | 'check') {
	const r = spawnSync(process.execPath, [CHILD, folder, mode], { encoding: 'utf8', timeout: 120_000 });
	return { status: r.status, out: r.stdout + r.stderr };
}

describe('the embedded database folder', () => {
	it('takes its lock when the folder’s parent does not exist yet (a fresh clone has no data/)', () => {
		const root = mkdtempSync(join(tmpdir(), 'jiceng-fresh-'));
		try {
			const release = acquireFolderLock(join(root, 'data', 'pglite'), () => {});
			expect(existsSync(join(root, 'data', 'pglite.lock'))).toBe(true);
			release();
			expect(existsSync(join(root, 'data', 'pglite.lock'))).toBe(false);
		} finally {
			rmSync(root, { recursive: true, force: true });
		}
	});

	it('is opened by one process at a time; after kill -9 mid-write the next start has every committed batch and no partial one', async () => {
		const folder = join(dir, 'db');
		const writer = start(folder, 'write');
		await writer.waitFor(/committed 30\b/);

		// a second process on the same folder, and a second `npm start`, are refused
		// (run without blocking this process, which must keep reading the writer's pipe)
		const second = await runAsync([CHILD, folder, 'hold']);
		expect(second.status).toBe(3);
		expect(second.out).toContain(`is in use by process ${writer.child.pid}`);
		const npmStart = await runAsync(['scripts/start.ts'], { DATABASE_URL: '', PGLITE_DIR: folder });
		expect(npmStart.status).toBe(2);
		expect(npmStart.stderr.trim()).toMatch(
			new RegExp(`^start: the embedded database ${folder} is in use by process ${writer.child.pid} .*kill ${writer.child.pid}`)
		);

		writer.child.kill('SIGKILL');
		await writer.exited;
		const committed = Math.max(...[...writer.output().matchAll(/committed (\d+)/g)].map((m) => Number(m[1])));
		expect(existsSync(`${folder}.lock`)).toBe(true); // left behind by the killed process

		const after = runOnce(folder, 'check');
		expect(after.status).toBe(0);
		expect(after.out).toMatch(new RegExp(`process ${writer.child.pid} .*ended without closing the database.*taking over its stale lock`));
		const [, last, partial] = /batches (\d+) partial (\d+)/.exec(after.out)!;
		// every batch it reported committed is there (one more may have committed unreported)
		expect(Number(last)).toBeGreaterThanOrEqual(committed);
		expect(Number(last)).toBeLessThanOrEqual(committed + 1);
		expect(Number(partial)).toBe(0);
		// closed cleanly: the lock went with it
		expect(existsSync(`${folder}.lock`)).toBe(false);
	}, 300_000);

	it('takes over a lock whose pid now belongs to another process (pid reused), and leaves that process alone', async () => {
		const folder = join(dir, 'db');
		const other = spawn('sleep', ['60']);
		children.push(other);
		const started = processStart(other.pid!);
		expect(started).not.toBeNull();
		writeFileSync(`${folder}.lock`, JSON.stringify({ pid: other.pid, host: 'x', since: 'earlier', command: 'an app long gone', started: started! - 1 }));
		const r = await runAsync([CHILD, folder, 'check']);
		expect(r.status).toBe(0);
		expect(r.out).toMatch(/taking over its stale lock/);
		expect(other.exitCode).toBeNull();
		expect(pidAlive(other.pid!)).toBe(true);
		// the same pid with its own start time is a live holder
		writeFileSync(`${folder}.lock`, JSON.stringify({ pid: other.pid, host: 'x', since: 'now', command: 'sleep 60', started }));
		const refused = await runAsync([CHILD, folder, 'check']);
		expect(refused.status).toBe(3);
		expect(refused.out).toContain(`is in use by process ${other.pid}`);
		other.kill();
		rmSync(`${folder}.lock`);
	}, 120_000);

	it('refuses a damaged database folder (no pg_control) with what to do, and leaves it as it was', () => {
		const folder = join(dir, 'damaged');
		cpSync(join(dir, 'db'), folder, { recursive: true });
		rmSync(join(folder, 'global', 'pg_control'));
		const files = readdirSync(folder).sort();
		const r = runOnce(folder, 'check');
		expect(r.status).toBe(3);
		expect(r.out).toMatch(new RegExp(`the embedded database in ${folder} could not be opened: .*left as it is.*npm run restore -- --force`));
		// (PostgreSQL's own postmaster.pid, written at every open, aside)
		expect(
			readdirSync(folder)
				.filter((f) => f !== 'postmaster.pid')
				.sort()
		).toEqual(files);
		expect(existsSync(join(folder, 'global', 'pg_control'))).toBe(false);
		expect(existsSync(`${folder}.lock`)).toBe(false);
	}, 120_000);

	it('refuses a folder that holds files but no database, and leaves it as it was', () => {
		const folder = join(dir, 'half');
		mkdirSync(folder);
		writeFileSync(join(folder, 'postgresql.conf'), '# left by a first start that was killed\n');
		const r = runOnce(folder, 'hold');
		expect(r.status).toBe(3);
		expect(r.out).toMatch(new RegExp(`${folder} holds files but no database.*mv ${folder} ${folder}.broken`));
		expect(readdirSync(folder)).toEqual(['postgresql.conf']);
		expect(existsSync(`${folder}.lock`)).toBe(false);
	}, 120_000);
});
