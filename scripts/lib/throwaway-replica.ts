// A throwaway primary and a hot-standby streaming replica of it, both on this machine, for the
// replica test (tests/replica) and for trying DATABASE_REPLICA_URL by hand. Debian's
// /usr/lib/postgresql/<v>/bin binaries, as in throwaway-postgis.ts: a fresh primary cluster
// (wal_level=replica, WAL senders, initdb's own `host replication … 127.0.0.1/32 trust` line), then
// `pg_basebackup -R` of it into a second folder (-R writes primary_conninfo and standby.signal),
// started on a port of its own. Both are removed by stop().
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPair {
	primaryUrl: string;
	replicaUrl: string;
	/** Stops the replica (pg_ctl stop -m fast), keeping its folder. */
	haltReplica(): void;
	/** Starts the replica again; it reconnects to the primary and catches up. */
	resumeReplica(): void;
	stop(): void;
}

/** The newest PostgreSQL with PostGIS and pg_basebackup, or null (the test then skips). */
export function replicaBin(): string | null {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	for (const v of versions) {
		const bin = join(root, v, 'bin');
		if (['initdb', 'pg_ctl', 'pg_basebackup'].every((c) => existsSync(join(bin, c))) && existsSync(join(root, v, 'lib', 'postgis-3.so'))) return bin;
	}
	return null;
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

export async function startThrowawayPair(log: (line: string) => void = () => {}): Promise<ThrowawayPair> {
	const bin = replicaBin();
	if (!bin) throw new Error('no PostgreSQL server with PostGIS and pg_basebackup found: apt-get install postgresql-15-postgis-3');
	const dir = mkdtempSync(join(tmpdir(), 'jiceng-replica-'));
	const isRoot = process.getuid?.() === 0;
	if (isRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
	const run = (cmd: string, args: string[]) => {
		const argv = isRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
		const result = spawnSync(isRoot ? 'runuser' : join(bin, cmd), argv, { encoding: 'utf8' });
		if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
	};
	const primaryData = join(dir, 'primary');
	const replicaData = join(dir, 'replica');
	const [primaryPort, replicaPort] = [await freePort(), await freePort()];
	run('initdb', ['-D', primaryData, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '-N']);
	// durability off for speed (as throwaway-postgis.ts); streaming replication on
	const common = `-k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=128MB`;
	const primaryOptions = `-p ${primaryPort} ${common} -c wal_level=replica -c max_wal_senders=5 -c wal_keep_size=256MB`;
	const replicaOptions = `-p ${replicaPort} ${common} -c hot_standby=on -c hot_standby_feedback=on -c max_standby_streaming_delay=5s`;
	const startPrimary = () => run('pg_ctl', ['-D', primaryData, '-o', primaryOptions, '-l', join(dir, 'primary.log'), '-w', 'start']);
	const startReplica = () => run('pg_ctl', ['-D', replicaData, '-o', replicaOptions, '-l', join(dir, 'replica.log'), '-w', 'start']);
	startPrimary();
	try {
		// -R: standby.signal + primary_conninfo; -X stream: the WAL of the copy comes along
		run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaData, '-R', '-X', 'stream', '-c', 'fast']);
		startReplica();
	} catch (e) {
		run('pg_ctl', ['-D', primaryData, '-m', 'immediate', '-w', 'stop']);
		rmSync(dir, { recursive: true, force: true });
		throw e;
	}
	log(`[postgis] throwaway primary on 127.0.0.1:${primaryPort}, streaming replica on 127.0.0.1:${replicaPort} (${dir})`);
	let stopped = false;
	return {
		primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
		replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
		haltReplica: () => run('pg_ctl', ['-D', replicaData, '-m', 'fast', '-w', 'stop']),
		resumeReplica: startReplica,
		stop() {
			if (stopped) return;
			stopped = true;
			try {
				for (const data of [replicaData, primaryData]) {
					if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
				}
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		}
	};
}
