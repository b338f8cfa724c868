// `expect(list.every(…)).toBe(true)` passes on an empty list: a check that proves nothing when the
// query it follows returned nothing. everyOf fails on an empty list first.
import { expect } from 'vitest';

export function everyOf<T>(items: readonly T[], test: (item: T) => boolean, what = 'the list'): boolean {
	expect(items.length, `${what} is empty: nothing was checked`).toBeGreaterThan(0);
	return items.every(test);
}
