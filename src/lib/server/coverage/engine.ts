// The coverage engine of one database handle: the network and the current service result held in
// memory for the current data version (what-if stations and site suggestions answer from it in
// milliseconds), and the stored results kept fresh. Create one per process next to the Db handle
// (like TileService); it holds no per-user state.
import { sql } from 'kysely';
import type { Db } from '../db/open.ts';
import { Dijkstra } from './dijkstra.ts';
import { ensureCoverage } from './store.ts';
import { DEFAULT_PARAMS, checkParams, computeService, loadNetwork, type CoverageParams, type Network, type ServiceResult } from './service.ts';

export interface CoverageModel {
	network: Network;
	service: ServiceResult;
	/** a reusable bounded search over the network (single-threaded use: one call at a time) */
	search: Dijkstra;
}

export class CoverageEngine {
	readonly db: Db;
	readonly params: CoverageParams;
	private cached: { version: number; model: Promise<CoverageModel> } | null = null;

	constructor(db: Db, params: CoverageParams = DEFAULT_PARAMS) {
		this.db = db;
		this.params = checkParams(params);
	}

	/** The in-memory model of the current data version (loaded once per version). */
	async model(): Promise<CoverageModel> {
		const { rows } = await sql<{ v: number }>`select version as v from data_version where id = 1`.execute(this.db.kysely);
		const version = Number(rows[0].v);
		if (this.cached?.version === version) return this.cached.model;
		const model = this.load();
		this.cached = { version, model };
		model.catch(() => {
			if (this.cached?.model === model) this.cached = null;
		});
		const m = await model;
		// the data moved on while loading: keep the model under the version it really has
		if (m.network.dataVersion !== version) this.cached = { version: m.network.dataVersion, model };
		return m;
	}

	private async load(): Promise<CoverageModel> {
		const network = await this.db.kysely.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
			await sql`select set_config('jiceng.scope', '*', true)`.execute(trx);
			return loadNetwork(trx);
		});
		return { network, service: computeService(network, this.params), search: new Dijkstra(network.graph) };
	}

	private ensuring: Promise<number> | null = null;

	/** Stored results fresh for the current data version; reuses the in-memory network when it matches. Concurrent callers share one run. */
	ensure(log?: (line: string) => void): Promise<number> {
		this.ensuring ??= ensureCoverage(this.db, {
			params: this.params,
			log,
			network: async () => (this.cached ? (await this.cached.model).network : null)
		}).finally(() => (this.ensuring = null));
		return this.ensuring;
	}
}

const engines = new WeakMap<Db, CoverageEngine>();

/** The one CoverageEngine of a database handle: routes, tiles and exports share its model. */
export function coverageEngine(db: Db): CoverageEngine {
	let engine = engines.get(db);
	if (!engine) {
		engine = new CoverageEngine(db);
		engines.set(db, engine);
	}
	return engine;
}
