// Which database the process talks to, decided once from the environment.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

export type BackendKind = 'embedded' | 'server';

export type DbConfig =
	| { backend: 'embedded'; dataDir: string }
	/** acquireTimeoutMs: how long a query waits for a free connection (or a new one) before it fails */
	| {
			backend: 'server';
			url: string;
			poolSize: number;
			acquireTimeoutMs?: number;
			/** a hot standby of `url` for read-only work (DATABASE_REPLICA_URL; db/replica.ts) */
			replicaUrl?: string;
			/** how long a failed replica is left alone, ms (DB_REPLICA_RETRY_MS) */
			replicaRetryMs?: number;
	  };

export class ConfigError extends Error {}

/**
 * The server pool's size when DB_POOL_SIZE is not set: two connections per core, 4 to 10.
 * PostgreSQL does most with about two queries running per core; more only share the cores and all
 * slow down alike, while a request waiting in the app's own queue is lent a connection by urgency
 * (deadline-pool.ts). The app cannot see the database's cores, so it counts its own: right when
 * both run on one machine, as `npm start` does; set DB_POOL_SIZE to about twice the database
 * server's cores when it runs elsewhere. bench:load at chaoyang on 2 cores, EDF queue, interleaved:
 * 4 connections 349–380 requests/s, JSON p99 270–352 ms; 10 connections 326–343, 532–582 ms.
 */
export function defaultPoolSize(cores = availableParallelism()): number {
	return Math.min(10, Math.max(4, 2 * cores));
}

/** Reads `DATABASE_URL` (server PostGIS; `DB_POOL_SIZE`, `DB_ACQUIRE_TIMEOUT_MS`, `DATABASE_REPLICA_URL`, `DB_REPLICA_RETRY_MS`) or `PGLITE_DIR` (embedded; default `data/pglite`). */
export function readDbConfig(env: NodeJS.ProcessEnv = process.env): DbConfig {
	const url = env.DATABASE_URL?.trim();
	if (url) {
		checkUrl('DATABASE_URL', url);
		const replicaUrl = env.DATABASE_REPLICA_URL?.trim() || undefined;
		if (replicaUrl) checkUrl('DATABASE_REPLICA_URL', replicaUrl);
		const retry = env.DB_REPLICA_RETRY_MS?.trim();
		const replicaRetryMs = retry ? Number(retry) : undefined;
		if (replicaRetryMs !== undefined && (!Number.isInteger(replicaRetryMs) || replicaRetryMs < 0 || replicaRetryMs > 600_000)) {
			throw new ConfigError(`DB_REPLICA_RETRY_MS must be an integer from 0 to 600000 (milliseconds), not ${retry}`);
		}
		const poolSize = env.DB_POOL_SIZE?.trim() ? Number(env.DB_POOL_SIZE) : defaultPoolSize();
		if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 200) {
			throw new ConfigError(`DB_POOL_SIZE must be an integer from 1 to 200, not ${env.DB_POOL_SIZE}`);
		}
		const acquire = env.DB_ACQUIRE_TIMEOUT_MS?.trim();
		const acquireTimeoutMs = acquire ? Number(acquire) : undefined;
		if (acquireTimeoutMs !== undefined && (!Number.isInteger(acquireTimeoutMs) || acquireTimeoutMs < 100 || acquireTimeoutMs > 120_000)) {
			throw new ConfigError(`DB_ACQUIRE_TIMEOUT_MS must be an integer from 100 to 120000 (milliseconds), not ${acquire}`);
		}
		return {
			backend: 'server',
			url,
			poolSize,
			...(acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs }),
			...(replicaUrl ? { replicaUrl } : {}),
			...(replicaRetryMs === undefined ? {} : { replicaRetryMs })
		};
	}
	const dir = env.PGLITE_DIR?.trim() || 'data/pglite';
	return { backend: 'embedded', dataDir: dir.startsWith('memory://') ? dir : resolve(dir) };
}

function checkUrl(name: string, url: string): void {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ConfigError(`${name} is not a URL (expected postgres://user:pass@host:5432/db)`);
	}
	if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
		throw new ConfigError(`${name} must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
	}
	if (!parsed.hostname && !parsed.searchParams.get('host')) throw new ConfigError(`${name} names no host`);
	if (parsed.pathname.length <= 1) throw new ConfigError(`${name} names no database (…/dbname)`);
}
