// A PostgreSQL + PostGIS server of our own for tests and benchmarks: a fresh cluster in a temp
// folder on a free port, removed afterwards. Debian's initdb refuses root, so as root it runs
// as the postgres user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgis {
	url: string;
	/** the cluster's folder (data/ inside, server.log beside it) */
	dir: string;
	/** Stops the server and keeps the cluster (pg_ctl stop; 'fast' ends sessions, 'immediate' is a crash). */
	halt(mode?: 'fast' | 'immediate'): void;
	/** Starts it again on the same port after halt(), waiting until it accepts connections. */
	resume(): void;
	stop(): void;
}

function pgBin(): string {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	for (const v of versions) {
		const bin = join(root, v, 'bin');
		if (existsSync(join(bin, 'initdb')) && existsSync(join(root, v, 'lib', 'postgis-3.so'))) return bin;
	}
	throw new Error('no PostgreSQL server with PostGIS found: apt-get install postgresql-15-postgis-3 (.ci/run does it)');
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

export async function startThrowawayPostgis(log: (line: string) => void = () => {}): Promise<ThrowawayPostgis> {
	const bin = pgBin();
	const dir = mkdtempSync(join(tmpdir(), 'jiceng-pg-'));
	const isRoot = process.getuid?.() === 0;
	const uid = isRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString()) : undefined;
	if (isRoot && uid !== undefined) chownSync(dir, uid, Number(execFileSync('id', ['-g', 'postgres']).toString()));
	const run = (cmd: string, args: string[]) => {
		const argv = isRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
		const result = spawnSync(isRoot ? 'runuser' : join(bin, cmd), argv, { encoding: 'utf8' });
		if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
	};
	const data = join(dir, 'data');
	const port = await freePort();
	run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '-N']);
	// tuned for throwaway speed, not durability
	const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB -c work_mem=32MB`;
	run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
	log(`[postgis] throwaway server on 127.0.0.1:${port} (${dir})`);
	let stopped = false;
	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		dir,
		halt(mode = 'fast') {
			run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
		},
		resume() {
			run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
		},
		stop() {
			if (stopped) return;
			stopped = true;
			try {
				// halted already: nothing to stop
				if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		}
	};
}
