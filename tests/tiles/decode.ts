// Test helpers: decode a tile, list the tiles over a box.
import { expect } from 'vitest';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { tileOf, type TileId } from '../../src/lib/server/tiles/bounds.ts';

export interface DecodedFeature {
	id: number | undefined;
	type: number;
	properties: Record<string, string | number | boolean>;
	geometry: { x: number; y: number }[][];
}

export function decode(raw: Uint8Array | null, layer: string): DecodedFeature[] {
	if (!raw) return [];
	const tile = new VectorTile(new PbfReader(raw));
	expect(Object.keys(tile.layers)).toEqual([layer]);
	const l = tile.layers[layer];
	expect(l.extent).toBe(4096);
	expect(l.version).toBe(2);
	const out: DecodedFeature[] = [];
	for (let i = 0; i < l.length; i++) {
		const f = l.feature(i);
		out.push({
			id: f.id,
			type: f.type,
			properties: { ...f.properties } as DecodedFeature['properties'],
			geometry: f.loadGeometry().map((ring) => ring.map((p) => ({ x: p.x, y: p.y })))
		});
	}
	return out;
}

/** every tile of zoom z over a lon/lat box */
export function tilesCovering(west: number, south: number, east: number, north: number, z: number): TileId[] {
	const a = tileOf(west, north, z);
	const b = tileOf(east, south, z);
	const out: TileId[] = [];
	for (let x = a.x; x <= b.x; x++) for (let y = a.y; y <= b.y; y++) out.push({ z, x, y });
	return out;
}
