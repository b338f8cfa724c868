// "This layer places households" is a flag on the layer's declaration, not a list in the route:
// the tile route asks the declaration, so a new personal layer is refused to count-only viewers
// by declaring it, and the route names no layer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAYER_NAMES, SOURCES, placesHouseholds } from '../../src/lib/server/tiles/sources.ts';

describe('the persons flag on tile declarations', () => {
	it('members place households from z16 (TileJSON and coarser tiles stay counts); central links always', () => {
		expect([10, 13, 15, 16, 17].map((z) => placesHouseholds('members', z))).toEqual([false, false, false, true, true]);
		expect(placesHouseholds('members', null)).toBe(false);
		expect(placesHouseholds('central_links', null)).toBe(true);
		expect(placesHouseholds('central_links', 17)).toBe(true);
	});

	it('only layers that carry persons may place households, and every other layer never does', () => {
		for (const name of LAYER_NAMES) {
			const source = SOURCES[name];
			if (source.householdsFrom !== undefined) expect(source.persons, name).toBe(true);
			else for (const z of [0, 10, 16, 22, null]) expect(placesHouseholds(name, z), `${name} ${z}`).toBe(false);
		}
	});

	it('the tile route names no layer: it reads the declaration', () => {
		const route = readFileSync('src/routes/tiles/[...path]/+server.ts', 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '');
		for (const name of LAYER_NAMES) expect(route, name).not.toMatch(new RegExp(`['"\`]${name}['"\`]`));
		expect(route).toMatch(/placesHouseholds\(/);
	});
});
