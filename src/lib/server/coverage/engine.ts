// The coverage engine of one database handle: the stored results kept up to date in the
// background, and the network and service result held in memory (what-if stations and site
// suggestions answer from it in milliseconds). Create one per process next to the Db handle (like
// TileService); it holds no per-user state.
//
// No request waits for a recompute. A request asks `status()`: what the stored results are (the
// data version they reflect, when they were computed) and whether newer ones are on their way;
// if the data moved on since, that starts bringing them up to date in the background — after a
// short debounce, so a burst of writes makes one recompute, and once more at its end when writes
// arrived meanwhile. Readers keep reading the results served until the new generation replaces
// them at once (store.ts). `model()` is the last complete model, swapped with the results.
// `ensure()` waits until the results reflect every write so far: for start-up, scripts and tests.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/open.ts';
import { Dijkstra } from './dijkstra.ts';
import { CHUNK, breathe, coverageState, recomputeKind, refreshCoverage, reflects, type RefreshOutcome } from './store.ts';
import { priorityLane } from '../db/lanes.ts';
import { sharedRead } from '../shared-read.ts';
import { servedGeneration, type ServedModel } from './incremental.ts';
import { rankVisits, recountVisits } from './visits.ts';
import { visitChanges } from './visit-changes.ts';
import { onePerDb } from '../db/one-per-db.ts';
import { DEFAULT_PARAMS, checkParams, computeService, loadNetwork, type CoverageParams, type Network } from './service.ts';

/** The engine's model: what an incremental recompute searches from (ServedModel), and a search of its own. */
export interface CoverageModel extends ServedModel {
	/** a reusable bounded search over the network (single-threaded use: one call at a time) */
	search: Dijkstra;
	/** when the service result was computed, ISO 8601 */
	computedAt: string;
}

/** What the stored results are: every coverage response carries it. */
export interface CoverageStatus {
	/** every write up to this data version is in the results served; null: there are none yet */
	computed_version: number | null;
	/** when they were computed (or last found current), ISO 8601 */
	computed_at: string | null;
	/** the data version now */
	data_version: number;
	/** newer results are being computed (the ones served are behind the data) */
	updating: boolean;
	/** the generation of results served (sql/011): tile caches key on it */
	generation: number | null;
	/** visit writes applied to the served figures (sql/023): a visit moves figures without a new generation */
	visit_roll: number;
}

export interface CoverageEngineOptions {
	/** how long after the first request that finds the results behind the recompute starts, ms (default DEBOUNCE_MS) */
	debounceMs?: number;
	log?: (line: string) => void;
}

/**
 * The default debounce, ms: long enough for the statements of one save (a form's several writes)
 * to land in one recompute, short beside the recompute itself (seconds at chaoyang). A longer burst
 * needs no longer wait: writes that arrive during a recompute make one follow-up run.
 */
export const DEBOUNCE_MS = 200;

/** a failed recompute is tried again no sooner than this, ms */
const RETRY_AFTER_FAILURE_MS = 10_000;
/** the shortest time between two rankings after visits (rankVisits): their ranks follow within it */
const RANK_EVERY_MS = 2000;
/** while another process recomputes, look again this often, ms */
const BUSY_RETRY_MS = 500;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export class CoverageEngine {
	readonly db: Db;
	readonly params: CoverageParams;
	readonly debounceMs: number;
	log: (line: string) => void;
	#model: CoverageModel | null = null;
	#loading: Promise<CoverageModel> | null = null;
	#running: Promise<void> | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#failure: { at: number; error: Error } | null = null;
	#busy = false;
	#status: { at: number; status: CoverageStatus } | null = null;
	#sharedState = sharedRead(() => coverageState(priorityLane(this.db.kysely)));
	#recounting: Promise<void> | null = null;
	#ranking: Promise<void> | null = null;
	#rankTimer: ReturnType<typeof setTimeout> | null = null;
	#rankedAt = -Infinity;
	#recountFailedAt = -Infinity;

	constructor(db: Db, params: CoverageParams = DEFAULT_PARAMS, options: CoverageEngineOptions = {}) {
		this.db = db;
		this.params = checkParams(params);
		this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
		this.log = options.log ?? ((line) => console.log(`[coverage] ${line}`));
	}

	/**
	 * What the stored results are, in one small query (or from memory when read less than
	 * `maxAgeMs` ago); starts bringing them up to date in the background when they are behind.
	 * Never waits for a recompute.
	 */
	async status(maxAgeMs = 0): Promise<CoverageStatus> {
		const last = this.#status;
		if (last && maxAgeMs > 0 && performance.now() - last.at < maxAgeMs) {
			if (last.status.updating) this.schedule();
			return last.status;
		}
		// on the priority lane (db/lanes.ts): every coverage request and tile waits for this read; and
		// readers that take an answer up to maxAgeMs old share one read under way
		const s = maxAgeMs > 0 ? await this.#sharedState() : await coverageState(priorityLane(this.db.kysely));
		const behind = recomputeKind(s, this.params) !== 'none';
		if (behind) this.schedule();
		// results current and no model yet: load it now, while it is the network the distances served
		// were computed from — then the next centre write is recomputed from it (incremental.ts)
		else if (s.computed !== null && !this.#model && !this.#loading) void this.model().catch(() => {});
		// a new day (the visit windows moved), or visits written while a recompute counted
		if (s.visitsStale) this.#recountVisits();
		// visits moved the index since the ranks were ranked: they follow (a recount ranks as well)
		else if (s.ranksStale) this.#rankVisits();
		// changes queued and not applied by their writer's pass (it stopped, or failed): applied now
		if (s.visitsPending) visitChanges(this.db).sweep();
		const status: CoverageStatus = {
			computed_version: s.computed,
			computed_at: s.computedAt === null ? null : new Date(s.computedAt).toISOString(),
			data_version: s.current,
			updating: behind,
			generation: s.gens.result,
			visit_roll: s.visitRoll
		};
		this.#status = { at: performance.now(), status };
		return status;
	}

	/** Counts the visit figures again in the background (coverage/visits.ts), once at a time. */
	#recountVisits(): void {
		// a failing recount is tried again no sooner than a failed recompute (every read asks for it)
		if (this.#recounting || performance.now() - this.#recountFailedAt < RETRY_AFTER_FAILURE_MS) return;
		this.#recounting = recountVisits(this.db, { onlyIfNeeded: true })
			.then((done) => {
				if (done) this.log('visit coverage counted again');
			})
			.catch((error: Error) => {
				this.#recountFailedAt = performance.now();
				this.log(`visit coverage count failed: ${error.message}`);
			})
			.finally(() => {
				this.#recounting = null;
				this.#status = null;
			});
	}

	/**
	 * Ranks areas and organisations again after visits (coverage/visits.ts rankVisits), once at a
	 * time and at most once per RANK_EVERY_MS: the visits written meanwhile are ranked by the next.
	 */
	#rankVisits(): void {
		if (this.#ranking || this.#rankTimer || this.#recounting || performance.now() - this.#recountFailedAt < RETRY_AFTER_FAILURE_MS) return;
		// at most one ranking per RANK_EVERY_MS: it holds the lock visits take, and under a morning's
		// visits back-to-back rankings kept them waiting (bench:load)
		const wait = this.#rankedAt + RANK_EVERY_MS - performance.now();
		if (wait > 0) {
			this.#rankTimer = setTimeout(() => {
				this.#rankTimer = null;
				this.#rankVisits();
			}, wait);
			this.#rankTimer.unref?.();
			return;
		}
		this.#rankedAt = performance.now();
		this.#ranking = rankVisits(this.db, { onlyIfNeeded: true })
			.then(() => {})
			.catch((error: Error) => {
				this.#recountFailedAt = performance.now();
				this.log(`visit ranks failed: ${error.message}`);
			})
			.finally(() => {
				this.#ranking = null;
				this.#status = null;
			});
	}

	/** Resolves when the visit count and ranking this engine has under way (if any) have ended. */
	async visitWorkDone(): Promise<void> {
		while (this.#recounting || this.#ranking) await Promise.all([this.#recounting, this.#ranking]);
	}

	/** Starts bringing the results up to date after `delayMs` (the debounce), unless that is under way. */
	schedule(delayMs = this.debounceMs): void {
		if (this.#running || this.#timer) return;
		const backoff = this.#failure ? this.#failure.at + RETRY_AFTER_FAILURE_MS - performance.now() : 0;
		this.#timer = setTimeout(
			() => {
				this.#timer = null;
				this.#start();
			},
			Math.max(delayMs, backoff, 0)
		);
		// a pending recompute keeps no process (a script, a test run) alive
		this.#timer.unref?.();
	}

	#start(): Promise<void> {
		if (this.#timer) {
			clearTimeout(this.#timer);
			this.#timer = null;
		}
		this.#running ??= this.#loop().finally(() => {
			this.#running = null;
			this.#status = null;
		});
		return this.#running;
	}

	/** Brings the results up to date, then again as long as writes arrived meanwhile. */
	async #loop(): Promise<void> {
		try {
			for (;;) {
				const out = await refreshCoverage(this.db, this.params, {
					network: () => this.#networkForRecompute(),
					model: () => this.#modelForRecompute(),
					log: this.log
				});
				this.#busy = out.kind === 'busy';
				if (out.kind === 'busy') {
					// another process is writing them: look again soon (readers are served meanwhile)
					setTimeout(() => this.schedule(0), BUSY_RETRY_MS).unref?.();
					return;
				}
				this.#adopt(out);
				this.#failure = null;
				if (reflects(await coverageState(this.db.kysely), this.params)) return;
				// writes arrived during it: once more, after the debounce
				await sleep(this.debounceMs);
			}
		} catch (e) {
			this.#failure = { at: performance.now(), error: e as Error };
			this.log(`recompute failed: ${(e as Error).message}`);
		}
	}

	/** the network a recompute may reuse: the model's (store.ts checks its data version) */
	async #networkForRecompute(): Promise<Network | null> {
		const m = this.#model ?? (this.#loading ? await this.#loading.catch(() => null) : null);
		return m?.network ?? null;
	}

	/** the model an incremental recompute searches again: its service result must be the distances served (incremental.ts) */
	async #modelForRecompute(): Promise<ServedModel | null> {
		const m = this.#model ?? (this.#loading ? await this.#loading.catch(() => null) : null);
		return m;
	}

	/** a recompute's network and service result become the model, with its results */
	#adopt(out: RefreshOutcome): void {
		if ((out.kind !== 'full' && out.kind !== 'result' && out.kind !== 'local') || !out.flipped || !out.result) return;
		if (this.#model && this.#model.network.dataVersion > out.network.dataVersion) return;
		this.#model = {
			network: out.network,
			service: out.result,
			search: new Dijkstra(out.network.graph),
			computedAt: new Date().toISOString(),
			buildingGen: out.buildingGen,
			distancesVersion: out.distancesVersion
		};
	}

	/** whether a model is in memory now (the start loads it before serving: db/index.ts) */
	get modelLoaded(): boolean {
		return this.#model !== null;
	}

	/**
	 * The last complete model: the network and service result of the latest results computed here,
	 * or loaded once when there are none yet (a load, not a recompute).
	 */
	async model(): Promise<CoverageModel> {
		if (this.#model) return this.#model;
		this.#loading ??= this.#load()
			.then((m) => {
				if (!this.#model || this.#model.network.dataVersion < m.network.dataVersion) this.#model = m;
				return this.#model;
			})
			.finally(() => (this.#loading = null));
		return this.#loading;
	}

	async #load(): Promise<CoverageModel> {
		// the system's own work: every household counts, whoever asked
		const scoped = async <T>(fn: (trx: Kysely<Database>) => Promise<T>, repeatable = false) => {
			if (!repeatable) await breathe();
			const t = repeatable ? this.db.kysely.transaction().setIsolationLevel('repeatable read') : this.db.kysely.transaction();
			return t.execute(async (trx) => {
				await sql`select set_config('jiceng.scope', '*', true), set_config('jit', 'off', true)`.execute(trx);
				return fn(trx);
			});
		};
		// one snapshot on a server; short transactions on the embedded database (one connection)
		const network = this.db.backend === 'embedded' ? await loadNetwork((fn) => scoped(fn), CHUNK.load) : await scoped((trx) => loadNetwork(trx), true);
		const service = computeService(network, this.params);
		// the distances served, if they were computed from this very network (then a centre write is recomputed locally)
		const served = await servedGeneration(this.db.kysely, network.dataVersion).catch(() => null);
		return {
			network,
			service,
			search: new Dijkstra(network.graph),
			computedAt: new Date().toISOString(),
			buildingGen: served?.buildingGen ?? null,
			distancesVersion: served?.distancesVersion ?? null
		};
	}

	/**
	 * Waits until the stored results reflect every write made before the call (running the
	 * recompute now if needed, or joining the one under way); returns the data version they
	 * reflect. For start-up, scripts and tests: requests use status().
	 */
	async ensure(log?: (line: string) => void): Promise<number> {
		if (log) this.log = log;
		const started = performance.now();
		const target = (await coverageState(this.db.kysely)).current;
		for (;;) {
			const s = await coverageState(this.db.kysely);
			if (reflects(s, this.params, target)) return s.computed!;
			if (this.#busy) await sleep(BUSY_RETRY_MS);
			await this.#start();
			if (this.#failure && this.#failure.at >= started) throw this.#failure.error;
		}
	}
}

/** The one CoverageEngine of a database handle: routes, tiles and exports share its model. */
export const coverageEngine = onePerDb((db) => new CoverageEngine(db));
