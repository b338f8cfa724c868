// The priority lane: the short reads every request waits on before its own work — its session
// (or screen), the data version its tiles are cached under, what the coverage and area figures
// served reflect — run on a pool of their own on the server, beside the main pool, so that under
// load they never queue behind slow tiles, summaries or an analysis holding every connection of
// it (bench:load at Chaoyang, 100 connections: a tile already in the cache waited up to 400 ms
// whenever its data version or its session was read again, each time behind the whole queue).
// The embedded backend has one connection: there the lane is the database itself.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** connections of the lane's pool: its reads take a millisecond */
export const PRIORITY_POOL_SIZE = 2;

const lanes = new WeakMap<Kysely<Database>, Kysely<Database>>();

/** Gives `main` (a database handle's Kysely) its lane. */
export function setPriorityLane(main: Kysely<Database>, lane: Kysely<Database>): void {
	lanes.set(main, lane);
}

/**
 * The lane of the database behind `main`, for a short read that gates a request; `main` itself
 * when it has none (the embedded backend, a transaction). Never for writes or long reads.
 */
export function priorityLane(main: Kysely<Database>): Kysely<Database> {
	return lanes.get(main) ?? main;
}
