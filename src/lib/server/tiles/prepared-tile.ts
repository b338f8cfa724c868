// A tile's SQL as a prepared statement of the connection that builds it, from zoom 14 on, run by
// its generic plan. A street secretary's or grid leader's tile plans for longer than it runs
// (Chaoyang, EXPLAIN as jiceng_app: a grids tile 0.31 ms planning, 0.23 running; buildings 0.63 and
// 0.23; coverage 0.65 and 0.12), and a plan made for one tile of a layer, zoom and scope level
// serves every other: the same statement over another envelope of the same size.
//
// Not below zoom 14: a generic plan cannot see how large the envelope is (its corners are
// parameters) and reads the tile's rows by the spatial index whatever their number — a grid
// leader's buildings tile at z12 ran in 10.4 ms so against 1.7 ms planned for its envelope, and the
// coverage tiles at z12–13 up to 2.3 × slower. From z14 on, the same tiles by their generic plans
// against their SQL planned each time (Chaoyang, as jiceng_app, every layer at z14–16 over eight
// places of the district, a street, a grid and unscoped, ten runs): 110.9 s → 73.9 s in all, a
// third less, and no layer at any of those zooms more than 20 % slower (the worst: a grid's members
// at z14, 1.04 → 1.24 ms). The generic plan is used from the first run (plan_cache_mode force_generic_plan, for the
// tile's own transaction): PostgreSQL's own choice tries five custom plans on each connection
// first, and a pool's connections seldom see one statement that often before the data changes.
// Plans are kept per zoom (14, 15, 16 and above) and scope level (named-statements.ts says why).
//
// One message still carries the settings and the EXECUTE (service.ts renderServerTile); only a
// connection's first tile of a kind sends its PREPARE before it. A connection that has lost its
// statements (DEALLOCATE ALL, DISCARD ALL by a pooler) prepares the tile's again and runs it.
import { CompiledQuery, type DatabaseConnection, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { inlineParameters, sqlLiteral, type CompiledText } from '../db/inline-parameters.ts';
import { scopeLevel, StatementNames } from '../db/named-statements.ts';

/** the lowest zoom whose tiles run prepared */
export const PREPARED_FROM_ZOOM = 14;
/** distinct tile statements prepared, per process (layers × scope levels × zooms 14, 15, 16+ fit) */
export const MAX_TILE_STATEMENTS = 300;

/** for the tile's implicit transaction only */
const GENERIC = `select set_config('plan_cache_mode', 'force_generic_plan', true)`;

const names = new StatementNames('t_', MAX_TILE_STATEMENTS);
const preparedOn = new WeakMap<DatabaseConnection, Set<string>>();

/** the prepared statement's name of a tile's SQL at zoom `z` under `scope`, null when none is kept */
export function tileStatementName(text: string, z: number, scope: string): string | null {
	if (z < PREPARED_FROM_ZOOM) return null;
	return names.name(`${scopeLevel(scope)}/z${Math.min(z, 16)}\n${text}`);
}

/**
 * Runs `settings` and the tile's SQL in one message on one connection of `kysely`: the SQL as its
 * prepared statement when tileStatementName gives one, else with its values written in. Answers
 * with the last statement's rows.
 */
export async function runTile<R>(kysely: Kysely<Database>, settings: string, query: CompiledText, z: number, scope: string): Promise<R[]> {
	const name = tileStatementName(query.sql, z, scope);
	return kysely.getExecutor().provideConnection(async (connection) => {
		if (name === null) return (await connection.executeQuery<R>(CompiledQuery.raw(`${settings};\n${inlineParameters(query)}`))).rows;
		const prepared = preparedOn.get(connection) ?? new Set<string>();
		preparedOn.set(connection, prepared);
		const values = query.parameters.length ? `(${query.parameters.map(sqlLiteral).join(', ')})` : '';
		const execute = async () => {
			if (!prepared.has(name)) {
				await connection.executeQuery(CompiledQuery.raw(`prepare ${name} as ${query.sql}`));
				prepared.add(name);
			}
			return (await connection.executeQuery<R>(CompiledQuery.raw(`${settings};\n${GENERIC};\nexecute ${name}${values}`))).rows;
		};
		try {
			return await execute();
		} catch (e) {
			// the connection no longer holds it (the message was a transaction of its own: nothing is
			// left open): prepared again, once
			if ((e as { code?: string }).code !== '26000') throw e;
			prepared.delete(name);
			return execute();
		}
	});
}
