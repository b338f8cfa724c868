// Opens the one database handle of a process: embedded PGlite or a server PostGIS pool.
// Nothing outside this folder knows which one it got.
import { Kysely, PGliteDialect, PostgresDialect, sql, type PostgresPoolClient } from 'kysely';
import { DeadlinePool } from './deadline-pool.ts';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { readDbConfig, type BackendKind, type DbConfig } from './config.ts';
import { openPglite } from './embedded.ts';
import { serveOnlineBackups } from '../backup/online.ts';
import type { Database } from './schema.ts';
import { primaryOnly, replicaRouter, type ReadRouter } from './replica.ts';
import { PRIORITY_POOL_SIZE, setPriorityLane } from './lanes.ts';
import { copyRows, type OpenCopy, type RowSink } from './copy-rows.ts';
import { nameStatements } from './named-statements.ts';

export interface Db {
	readonly kysely: Kysely<Database>;
	readonly backend: BackendKind;
	/** Read-only work (tiles, snapshot summaries): the replica when DATABASE_REPLICA_URL names one, else the primary (replica.ts). */
	readonly reads: ReadRouter;
	/** Runs a multi-statement SQL script as one transaction. */
	runScript(text: string): Promise<void>;
	/**
	 * Server only: runs `fn` on one connection of the pool, held throughout, with COPY … FROM STDIN
	 * on that connection (copy-rows.ts); PGlite takes no COPY from a client stream.
	 */
	withCopy?<T>(fn: (kysely: Kysely<Database>, openCopy: OpenCopy) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}

// int8 and numeric come back as strings from pg; counts here stay far below 2^53
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(1082, (v) => v);

export interface OpenOptions {
	/**
	 * Server only: run every connection as the `jiceng_app` role (sql/006), which is neither
	 * owner nor superuser nor BYPASSRLS, so row-level security applies. The web server opens its
	 * handle this way; scripts that migrate and seed keep the owner's rights.
	 */
	appRole?: boolean;
}

export const APP_ROLE = 'jiceng_app';

/** how long a request waits for a connection of the server pool before its 503, ms (DB_ACQUIRE_TIMEOUT_MS) */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;

export async function openDb(config: DbConfig = readDbConfig(), options: OpenOptions = {}): Promise<Db> {
	if (config.backend === 'embedded') return openEmbedded(config.dataDir);
	const db = await openServer(config.url, config.poolSize, options, config.acquireTimeoutMs);
	if (!config.replicaUrl) return db;
	// the replica's pool: the same role and limits; a short connect timeout, since a replica that
	// does not answer is skipped for the primary rather than waited for
	const replicaTimeoutMs = Math.min(config.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS, 2000);
	const replicaPool = makePool(config.replicaUrl, config.poolSize, options, replicaTimeoutMs, 'replica ');
	const replica = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new DeadlinePool(replicaPool, config.poolSize, replicaTimeoutMs) }) });
	const reads = replicaRouter(db.kysely, replica, { retryMs: config.replicaRetryMs });
	return {
		...db,
		reads,
		close: async () => {
			await reads.close();
			await db.close();
		}
	};
}

async function openEmbedded(dataDir: string): Promise<Db> {
	const pglite: PGlite = await openPglite(dataDir);
	const kysely = new Kysely<Database>({
		dialect: new PGliteDialect({ pglite: pglite as never })
	});
	// `npm run backup` asks the process holding the folder for a consistent copy (backup/online.ts)
	const stopServingBackups = dataDir.startsWith('memory://') ? () => {} : serveOnlineBackups(dataDir, kysely);
	return {
		kysely,
		backend: 'embedded',
		reads: primaryOnly(kysely),
		// holding a Kysely connection holds the queue, so nothing interleaves with the script
		runScript: (text) =>
			kysely.connection().execute(async () => {
				await pglite.transaction(async (tx) => {
					await tx.exec(text);
				});
			}),
		close: () => {
			stopServingBackups();
			return kysely.destroy();
		}
	};
}

async function openServer(url: string, poolSize: number, options: OpenOptions, acquireTimeoutMs = DEFAULT_ACQUIRE_TIMEOUT_MS): Promise<Db> {
	// lent earliest deadline first: a panel before a tile, a tile before a write (deadline-pool.ts)
	const pool = new DeadlinePool(makePool(url, poolSize, options, acquireTimeoutMs, ''), poolSize, acquireTimeoutMs);
	const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
	await sql`select 1`.execute(kysely); // fail at start-up, not on the first request
	// the reads every request waits on, on a pool of their own (lanes.ts)
	const lane = new Kysely<Database>({ dialect: new PostgresDialect({ pool: makePool(url, PRIORITY_POOL_SIZE, options, acquireTimeoutMs, 'priority ') }) });
	setPriorityLane(kysely, lane);
	return {
		kysely,
		backend: 'server',
		reads: primaryOnly(kysely),
		runScript: (text) =>
			kysely.connection().execute(async (conn) => {
				// no parameters: pg sends it with the simple protocol, which runs every statement
				await sql
					.raw(`begin;\n${text}\n;commit;`)
					.execute(conn)
					.catch(async (e) => {
						await sql.raw('rollback').execute(conn);
						throw e;
					});
			}),
		withCopy: async (fn) => {
			const client = (await pool.connect()) as pg.PoolClient;
			// Kysely gives its connection back after each transaction: held here until fn ends
			const release = client.release;
			client.release = () => undefined;
			const held = new Kysely<Database>({
				dialect: new PostgresDialect({ pool: { options: {}, connect: async () => client as PostgresPoolClient, end: async () => undefined } })
			});
			const copies: RowSink[] = [];
			try {
				return await fn(held, (statement) => {
					const sink = copyRows(client, statement);
					copies.push(sink);
					return sink;
				});
			} finally {
				client.release = release;
				// a connection left mid-COPY would hold the next borrower's query behind it: closed, not
				// lent again (a transaction that failed or rolled back has been ended by Kysely)
				client.release(copies.some((c) => c.open) ? new Error('a COPY was left open') : undefined);
			}
		},
		close: async () => {
			await lane.destroy();
			await kysely.destroy();
		}
	};
}

/** A server pool (the primary's or a replica's; `label` prefixes its log lines). */
function makePool(url: string, poolSize: number, options: OpenOptions, acquireTimeoutMs: number, label: string): pg.Pool {
	// connectionTimeoutMillis bounds both the wait for a free connection of the pool and the making
	// of a new one: when every connection is held (slow queries) or the server does not answer, a
	// request fails within it — a 503 with Retry-After (unavailable.ts) — instead of queueing on
	// and idle connections are kept (pg closes them after 10 s by default): a new one runs its first
	// query of each kind many times slower (tiles/warm-connections.ts), so after every quiet spell —
	// a command centre's night, a lunch hour — the first maps would pay it again (allowExitOnIdle: a
	// script that is done still ends, as it did when idle connections closed)
	const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: acquireTimeoutMs, idleTimeoutMillis: 0, allowExitOnIdle: true });
	// An idle connection the server ends (a restart, a failover, an administrator) emits 'error' on
	// the pool; unheard, that would end the process. The pool drops the connection and opens a new
	// one for the next query: log it and go on.
	pool.on('error', (e) => console.error(`[db] an idle ${label}connection ended: ${e.message}`));
	// statements with parameters planned once per connection (named-statements.ts)
	pool.on('connect', (client) => nameStatements(client));
	// The pool stops listening to a connection while it is lent out, and one ended then (held by a
	// transaction between two queries, or by the recompute computing in memory) would emit 'error'
	// with no listener: the process would end. Heard here; its next query fails (a 503) and the pool
	// drops it when it is given back.
	pool.on('connect', (client) => client.on('error', (e) => console.error(`[db] a ${label}connection in use ended: ${e.message}`)));
	if (options.appRole) {
		// a login that is a member of the app role (an owner or admin login) steps down into it;
		// a login that *is* the app role needs nothing
		pool.on('connect', (client) => {
			// The role's time limits (sql/010) apply at login only, not after SET ROLE: take them from
			// the role's settings for this database (or the whole cluster), else sql/010's values, so
			// one request can never hold a connection or a lock for long. One query (the client runs
			// it before anything a request sends); a failure of the limits leaves the step-down done.
			client
				.query(
					`do $$ begin
				if session_user <> '${APP_ROLE}' and pg_has_role(session_user, '${APP_ROLE}', 'member') then set role ${APP_ROLE}; end if;
				begin
					perform set_config(d.name, coalesce((
						select substr(c, length(d.name) + 2)
						from pg_db_role_setting s cross join unnest(s.setconfig) c
						where s.setrole = (select oid from pg_roles where rolname = '${APP_ROLE}')
						  and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
						  and split_part(c, '=', 1) = d.name
						order by s.setdatabase desc limit 1), d.fallback), false)
					from (values ('statement_timeout', '30s'), ('idle_in_transaction_session_timeout', '60s')) d(name, fallback);
				exception when others then
					raise warning 'could not set the time limits of ${APP_ROLE}: %', sqlerrm;
				end;
			end $$`
				)
				.catch((e: Error) => console.error(`[db] could not switch to role ${APP_ROLE}: ${e.message}`));
		});
	}
	return pool;
}
