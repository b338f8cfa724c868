// Validated sessions (and kiosk screens) kept in the process for a few seconds, by token hash, so
// that the many requests of one page — a map's tiles above all — do not each wait for a database
// round trip (on the embedded backend, in the single connection's queue behind other work).
//
// What is cached is the row as read, not a verdict: idle timeout, absolute expiry, lock and
// password age are judged again at every request against the request's clock. A write made
// through the app that ends or changes a session (logout, lock, disable, password, role, area,
// grant, approval, revoked screen) evicts at once, by token hash or by owner (account or screen
// id); a change made behind the app's back (another process, a hand-made DELETE) shows within
// SESSION_CACHE_TTL_MS. Concurrent misses of one token share one query, and a read that raced
// an eviction is not stored (a generation count), so an eviction is never undone by a stale read.
//
// One cache per database: keyed by the Kysely handle's adapter, which kysely makes once per
// `new Kysely` and hands on to its transactions and `withPlugin` copies, so they share the
// cache of the database they belong to while two databases in one process never do.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** How long a validated session is believed without asking the database again. */
export const SESSION_CACHE_TTL_MS = 5_000;
/** At most this many tokens are held per database; the least recently used go first. */
export const SESSION_CACHE_MAX_ENTRIES = 10_000;

interface Entry<V> {
	value: V;
	owner: number;
	cachedAt: number;
}

export class TokenCache<V> {
	readonly #entries = new Map<string, Entry<V>>(); // in use order: least recent first
	readonly #byOwner = new Map<number, Set<string>>();
	readonly #loading = new Map<string, { generation: number; promise: Promise<V | null> }>();
	readonly #writing = new Map<string, Promise<unknown>>();
	#generation = 0;
	readonly ttlMs: number;
	readonly maxEntries: number;

	// (no parameter properties: the scripts run this file with Node's type stripping)
	constructor(ttlMs = SESSION_CACHE_TTL_MS, maxEntries = SESSION_CACHE_MAX_ENTRIES) {
		this.ttlMs = ttlMs;
		this.maxEntries = maxEntries;
	}

	get size(): number {
		return this.#entries.size;
	}

	/** The cached value, if it was read less than the TTL before `nowMs`. */
	get(hash: string, nowMs: number): V | undefined {
		const entry = this.#entries.get(hash);
		if (!entry) return undefined;
		const age = nowMs - entry.cachedAt;
		if (age < 0 || age >= this.ttlMs) {
			this.#remove(hash, entry);
			return undefined;
		}
		this.#entries.delete(hash);
		this.#entries.set(hash, entry);
		return entry.value;
	}

	/**
	 * Reads the value through `read` (one query for all who ask for the same token at once) and
	 * keeps it, unless an eviction ran meanwhile. A read begun before an eviction is shared with
	 * nobody who asks after it. A background write for the token still under way (a last-seen
	 * touch) is awaited first, so that the read sees it.
	 */
	load(hash: string, nowMs: number, read: () => Promise<{ owner: number; value: V } | undefined>): Promise<V | null> {
		const generation = this.#generation;
		const running = this.#loading.get(hash);
		if (running && running.generation === generation) return running.promise;
		const loading = (async () => {
			await this.#writing.get(hash);
			const found = await read();
			if (!found) return null;
			if (generation === this.#generation) this.#set(hash, found.owner, found.value, nowMs);
			return found.value;
		})();
		this.#loading.set(hash, { generation, promise: loading });
		const done = () => {
			if (this.#loading.get(hash)?.promise === loading) this.#loading.delete(hash);
		};
		loading.then(done, done);
		return loading;
	}

	/** Runs a write for the token in the background (errors logged), which a later load awaits. */
	background(hash: string, what: string, write: () => Promise<unknown>): void {
		const writing = write().catch((e) => console.error(`${what}:`, e));
		this.#writing.set(hash, writing);
		void writing.then(() => {
			if (this.#writing.get(hash) === writing) this.#writing.delete(hash);
		});
	}

	/** Forgets one token (logout, or a session found to have ended). */
	forgetToken(hash: string): void {
		this.#generation++;
		const entry = this.#entries.get(hash);
		if (entry) this.#remove(hash, entry);
	}

	/** Forgets every token of an account (or screen): after any write that changes what it may do. */
	forgetOwner(owner: number): void {
		this.#generation++;
		const hashes = this.#byOwner.get(owner);
		if (!hashes) return;
		for (const hash of [...hashes]) {
			const entry = this.#entries.get(hash);
			if (entry) this.#remove(hash, entry);
		}
		this.#byOwner.delete(owner);
	}

	#set(hash: string, owner: number, value: V, nowMs: number): void {
		const old = this.#entries.get(hash);
		if (old) this.#remove(hash, old);
		this.#entries.set(hash, { value, owner, cachedAt: nowMs });
		let hashes = this.#byOwner.get(owner);
		if (!hashes) this.#byOwner.set(owner, (hashes = new Set()));
		hashes.add(hash);
		for (const [oldest, entry] of this.#entries) {
			if (this.#entries.size <= this.maxEntries) break;
			this.#remove(oldest, entry);
		}
	}

	#remove(hash: string, entry: Entry<V>): void {
		this.#entries.delete(hash);
		const hashes = this.#byOwner.get(entry.owner);
		if (!hashes) return;
		hashes.delete(hash);
		if (hashes.size === 0) this.#byOwner.delete(entry.owner);
	}
}

// shared through globalThis, so that a module loaded twice (by two import paths) still evicts
// from the one cache the requests read
const REGISTRY = Symbol.for('jiceng.token-caches');
type Registry = Map<string, WeakMap<object, TokenCache<unknown>>>;

function databaseOf(db: Kysely<Database>): object {
	try {
		return db.getExecutor().adapter ?? db;
	} catch {
		return db;
	}
}

/** The cache named `kind` of the database behind `db`, made on first use. */
export function tokenCache<V>(db: Kysely<Database>, kind: string): TokenCache<V> {
	const holder = globalThis as Record<symbol, Registry | undefined>;
	const registry = (holder[REGISTRY] ??= new Map());
	let perDb = registry.get(kind);
	if (!perDb) registry.set(kind, (perDb = new WeakMap()));
	const key = databaseOf(db);
	let cache = perDb.get(key);
	if (!cache) perDb.set(key, (cache = new TokenCache<unknown>()));
	return cache as TokenCache<V>;
}
