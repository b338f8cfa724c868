// One object per database handle (its coverage engine, its area-figure keeper, its visit passes):
// every route, tile and export of the process that holds the handle shares it, and a handle closed
// and dropped takes its object with it.
import type { Db } from './open.ts';

/** A function that gives each database handle its one `T`, made by `make` the first time it is asked for. */
export function onePerDb<T>(make: (db: Db) => T): (db: Db) => T {
	const made = new WeakMap<Db, T>();
	return (db) => {
		let one = made.get(db);
		if (one === undefined) {
			one = make(db);
			made.set(db, one);
		}
		return one;
	};
}
