// The incremental recompute (issue 9 part 3: figures fresh within seconds of a typical write).
// When every write since the results served is of a kind whose effect is local — the log of
// sql/021 says which — a recompute rewrites only what those writes touched and copies the rest
// from the generation served; otherwise it is the full one (store.ts). Two kinds are local:
//
//   party_member    a member's building (their household's, their workplace) can join or leave
//                   "3+ members, no group": that rule's rows are computed again for those buildings
//                   alone, and the blind spots of their grids;
//   service_centre  the walking distances move near the centres added, moved or removed. The
//                   network's roads and buildings did not change, so the model's network (the one
//                   the distances served were computed from, engine.ts) takes the centres as they
//                   are now and is searched again in memory (tens of milliseconds at district scale,
//                   exact: no bound on how far a new nearest centre reaches), and only the buildings
//                   whose row changed are written; the rest is copied. Their grids' blind spots and
//                   the distance rule (building_unreachable) follow.
//
// Everything global but cheap — the area figures and their roll-up, the index, both rankings —
// is computed in full every time, from the rows above, so a ranking can never mix generations.
// tests/coverage/incremental.test.ts proves each kind equal to a full recompute row for row.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { SYSTEM, withScope } from '../db/scoped.ts';
import { toX, toY } from './graph.ts';
import type { LoadStep, Network, ServiceLevel, ServiceResult } from './service.ts';
import { SERVICE_LEVELS } from './service.ts';

/** What an incremental recompute does: decided under the lock from the log (planLocal). */
export interface LocalPlan {
	/** the data version the log was read at: the results claim no write after it */
	upTo: number;
	/** centres were written: the distances are searched again on the model's network */
	centres: boolean;
	/** buildings whose members were written */
	buildings: number[];
	/** the model whose network is searched again (centres only) */
	model: ServedModel | null;
}

/**
 * A model whose service result is exactly the distance rows served (engine.ts): the building
 * generation `buildingGen` as it was when coverage_run.network_version read `distancesVersion`.
 * Both: a local recompute on a server rewrites the rows of the generation served in place (store.ts),
 * so the generation alone no longer names its rows.
 */
export interface ServedModel {
	network: Network;
	service: ServiceResult;
	buildingGen: number | null;
	distancesVersion: number | null;
}

/** the incremental recompute can be turned off (JICENG_COVERAGE_INCREMENTAL=0): every recompute is a full one */
export const incrementalEnabled = () => process.env.JICENG_COVERAGE_INCREMENTAL !== '0';

const NETWORK_TABLES = ['road', 'building', 'household'];

/**
 * Whether the stored results can be brought up to date locally, and what that touches; null: a
 * full recompute (or the 'result' one) is needed. `computed`: the data version the results served
 * reflect; `buildingGen`: the building generation served; `model`: the engine's, if it holds one.
 */
export async function planLocal(
	db: Kysely<Database>,
	served: { computed: number; buildingGen: number; networkVersion: number; distancesStale: boolean },
	model: ServedModel | null
): Promise<LocalPlan | null> {
	if (!incrementalEnabled()) return null;
	const since = model ? Math.min(served.computed, model.network.dataVersion) : served.computed;
	const {
		rows: [r]
	} = await sql<{
		v: string;
		complete_from: string;
		nonlocal: boolean;
		centres: boolean;
		network_since_model: boolean;
		households: string[] | null;
		buildings: string[] | null;
	}>`
		select (select version from data_version where id = 1) as v,
		       (select complete_from from coverage_change_state where id = 1) as complete_from,
		       coalesce(bool_or(not local) filter (where version > ${served.computed}), false) as nonlocal,
		       coalesce(bool_or(tbl = 'service_centre') filter (where version > ${served.computed}), false) as centres,
		       coalesce(bool_or(tbl = any(${NETWORK_TABLES}::text[])), false) as network_since_model,
		       array_agg(distinct household_id) filter (where version > ${served.computed} and household_id is not null) as households,
		       array_agg(distinct building_id) filter (where version > ${served.computed} and building_id is not null) as buildings
		from coverage_change where version > ${since}`.execute(db);
	if (r.nonlocal || Number(r.complete_from) > since) return null;
	const centres = r.centres || served.distancesStale;
	if (centres) {
		// the model must be the network and result the distances served were computed from, and
		// its roads, buildings and households still those of the data
		if (!model || model.buildingGen !== served.buildingGen || model.distancesVersion !== served.networkVersion || r.network_since_model) return null;
	}
	const buildings = new Set((r.buildings ?? []).map(Number));
	if (r.households?.length) {
		const households = r.households.map(Number);
		// the system's own work: as the app role, row-level security hides every household from a
		// transaction without a scope, and the members' buildings went unseen
		const { rows } = await withScope(db, SYSTEM, (trx) =>
			sql<{ building_id: string }>`select distinct building_id from household where id = any(${households}::int8[])`.execute(trx)
		);
		for (const h of rows) buildings.add(Number(h.building_id));
	}
	return { upTo: Number(r.v), centres, buildings: [...buildings].sort((a, b) => a - b), model: centres ? model : null };
}

/**
 * Whether a model just loaded (engine.ts) is the one the distances served were computed from: no
 * write to the network's tables or the centres since those distances, and the log complete back
 * to them. Then computing its service result gives the stored rows, and the next centre write can
 * be recomputed locally from it. Returns the building generation it matches and the distances'
 * version (coverage_run.network_version), or null. Writes after
 * `networkVersion` (the data version the network was read at) are not the model's to answer for:
 * planLocal reads them (a centre written while the model loaded kept it from serving, and the
 * write after a start was recomputed in full: 15.7 s at chaoyang instead of 5).
 */
export async function servedGeneration(db: Kysely<Database>, networkVersion: number): Promise<{ buildingGen: number; distancesVersion: number } | null> {
	if (!incrementalEnabled()) return null;
	const {
		rows: [r]
	} = await sql<{ building_gen: number | null; network_version: string | null; complete_from: string; written: boolean }>`
		select r.building_gen, r.network_version, s.complete_from,
		       exists (select 1 from coverage_change c where c.version > r.network_version and c.version <= ${networkVersion}
		               and c.tbl = any(${[...NETWORK_TABLES, 'service_centre']}::text[])) as written
		from coverage_run r cross join coverage_change_state s where r.id = 1`.execute(db);
	if (!r || r.building_gen === null || r.network_version === null || r.written) return null;
	const stored = Number(r.network_version);
	if (Number(r.complete_from) > stored || stored > networkVersion) return null;
	return { buildingGen: Number(r.building_gen), distancesVersion: stored };
}

/**
 * The centres of `now` that are in `before` as they were there (level, area, and the place on
 * the network they were snapped to): their reach polygons cannot have moved, the roads being the
 * same (planLocal).
 */
export function unchangedCentres(before: Network, now: Network): Set<number> {
	const was = new Map<number, number>();
	for (let i = 0; i < before.centres.count; i++) was.set(before.centres.id[i], i);
	const same = new Set<number>();
	for (let i = 0; i < now.centres.count; i++) {
		const j = was.get(now.centres.id[i]);
		if (j === undefined) continue;
		const b = before.centres;
		const n = now.centres;
		if (b.level[j] === n.level[i] && b.areaCode[j] === n.areaCode[i] && b.edge[j] === n.edge[i] && b.offset[j] === n.offset[i] && b.access[j] === n.access[i])
			same.add(n.id[i]);
	}
	return same;
}

/** The model's network with the centres as they are now (its roads and buildings are current: planLocal). */
export async function withCurrentCentres(step: LoadStep, net: Network, dataVersion: number): Promise<Network> {
	const { rows } = await step((trx) =>
		sql<{ id: number; level: Network['centres']['level'][number]; area_code: string; x: number; y: number }>`
		select id, level, area_code, ST_X(geom) as x, ST_Y(geom) as y from service_centre order by id`.execute(trx)
	);
	const centres: Network['centres'] = {
		count: rows.length,
		id: Float64Array.from(rows, (r) => Number(r.id)),
		level: rows.map((r) => r.level),
		areaCode: rows.map((r) => r.area_code),
		lon: Float64Array.from(rows, (r) => r.x),
		lat: Float64Array.from(rows, (r) => r.y),
		edge: new Int32Array(rows.length),
		offset: new Float64Array(rows.length),
		access: new Float64Array(rows.length)
	};
	// snapped as loadNetwork snaps them (service.ts snapAll)
	const f = net.graph.frame;
	for (let i = 0; i < centres.count; i++) {
		const s = net.snapper.nearestXY(toX(f, centres.lon[i]), toY(f, centres.lat[i]));
		centres.edge[i] = s ? s.edge : -1;
		centres.offset[i] = s ? s.offset : 0;
		centres.access[i] = s ? s.distance : Infinity;
	}
	return { ...net, dataVersion, centres };
}

/** metres as stored (store.ts `finite`): a row changed only if what is written changes */
const stored = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

/**
 * The buildings (indexes into the network's buildings, which both results share) whose stored
 * row differs between two service results: a centre or distance of some level, or the circle.
 */
export function changedBuildings(before: { net: Network; r: ServiceResult }, after: { net: Network; r: ServiceResult }): number[] {
	const out: number[] = [];
	const n = after.net.buildings.count;
	const id = (x: { net: Network; r: ServiceResult }, level: ServiceLevel, i: number) => {
		const c = x.r.levels[level].centre[i];
		return c >= 0 ? x.net.centres.id[c] : null;
	};
	for (let i = 0; i < n; i++) {
		let moved = before.r.circle[i] !== after.r.circle[i];
		for (let k = 0; !moved && k < SERVICE_LEVELS.length; k++) {
			const level = SERVICE_LEVELS[k];
			moved = id(before, level, i) !== id(after, level, i) || stored(before.r.levels[level].dist[i]) !== stored(after.r.levels[level].dist[i]);
		}
		if (moved) out.push(i);
	}
	return out;
}
