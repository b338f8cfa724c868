// The client reads each tile layer's zoom range from the server's TileJSON: no zoom range of a
// tile layer is written in browser code, where it drifted from the declarations before.
import { readFileSync, globSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECK_TILE_LAYERS } from '../../src/lib/map/deck-layers.ts';
import { LAYER_NAMES } from '../../src/lib/server/tiles/sources.ts';

const BROWSER_MAP = globSync('src/lib/{map,components}/**/*.{ts,svelte}').sort();

describe('tile zoom ranges come from TileJSON', () => {
	it('every tile layer the deck layers load is a declared layer', () => {
		for (const l of DECK_TILE_LAYERS) expect(LAYER_NAMES as readonly string[]).toContain(l);
	});

	it.each(BROWSER_MAP)('%s writes no minZoom/maxZoom for tiles', (file) => {
		const src = readFileSync(file, 'utf8');
		// deck.gl's tile layers (minZoom/maxZoom props) and MapLibre vector sources with inline tiles
		expect(src).not.toMatch(/\bm(in|ax)Zoom:\s*\d/);
		expect(src).not.toMatch(/type:\s*'vector',\s*tiles:/);
	});
});
