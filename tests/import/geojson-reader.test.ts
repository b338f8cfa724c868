// The FeatureCollection reader: whatever the chunks the bytes arrive in, it gives exactly the
// features JSON.parse finds in the whole file, and the root's crs; a broken or truncated file, a
// root that is not a FeatureCollection, or bytes after the root are the file's error.
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { featureCollection, type StreamCounters } from '../../src/lib/server/import/readers/geojson.ts';
import { UnreadableFile } from '../../src/lib/server/import/types.ts';

function chunks(bytes: Buffer, size: number): Readable {
	const parts: Buffer[] = [];
	for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
	return Readable.from(parts);
}

async function read(text: string | Buffer, size = 1 << 16) {
	const counters: StreamCounters = { bytes: 0 };
	const out = [];
	for await (const f of featureCollection(chunks(Buffer.isBuffer(text) ? text : Buffer.from(text), size), 'x.geojson', counters)) out.push(f);
	return { features: out, counters };
}

// strings holding brackets, braces, commas, quotes, backslashes, a key named features, and Chinese
// text whose UTF-8 bytes a chunk boundary cuts in two
const tricky = {
	type: 'FeatureCollection',
	name: 'a "features": [ name',
	features: [
		{
			type: 'Feature',
			id: 7,
			properties: { name: '朝阳区 "八里" {[,]}', path: 'C:\\dir\\', features: [1, 2], nested: { a: [{}, []] } },
			geometry: { type: 'Point', coordinates: [116.4, 39.9] }
		},
		{ type: 'Feature', properties: {}, geometry: null },
		{
			type: 'Feature',
			properties: { note: '\\"' },
			geometry: {
				type: 'Polygon',
				coordinates: [
					[
						[0, 0],
						[1, 0],
						[1, 1],
						[0, 0]
					]
				]
			}
		}
	],
	crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4490' } },
	bbox: [0, 0, 1, 1]
};

describe('the GeoJSON FeatureCollection reader', () => {
	const text = JSON.stringify(tricky, null, 1);
	it.each([1, 2, 3, 7, 64, 1 << 16])('gives the features and crs of the whole file in chunks of %i bytes', async (size) => {
		const { features, counters } = await read(`\ufeff${text}\n`, size);
		expect(features.map((f) => [f.n, f.properties, f.geometry])).toEqual(
			tricky.features.map((f, i) => [i + 1, f.id !== undefined ? { ...f.properties, id: f.id } : f.properties, f.geometry])
		);
		expect(counters.crs).toEqual(tricky.crs);
		expect(counters.bytes).toBe(Buffer.byteLength(`\ufeff${text}\n`));
	});

	it('reads an empty collection, and one without a type member', async () => {
		expect((await read('{"type":"FeatureCollection","features":[]}')).features).toEqual([]);
		expect((await read('{"features":[{"type":"Feature","properties":{"a":1},"geometry":null}]}')).features).toHaveLength(1);
	});

	it.each([
		['truncated inside a feature', text.slice(0, Math.floor(text.length * 0.4)), /truncated or broken/],
		['truncated after the features', text.slice(0, text.lastIndexOf('"crs"')), /truncated or broken/],
		['a broken feature', text.replace('"Point"', '"Point" "x"'), /not valid JSON/],
		['a broken root member', text.replace('"bbox"', '"bbox" 1'), /not valid JSON/],
		['bytes after the root', `${text} {}`, /after the end of the root/],
		['an empty element', '{"type":"FeatureCollection","features":[{},,{}]}', /empty element/],
		['a Feature, not a collection', '{"type":"Feature","properties":{},"geometry":null}', /a GeoJSON Feature, not a FeatureCollection/],
		['an array root', '[{"type":"Feature"}]', /no GeoJSON FeatureCollection found/],
		['an object without features', '{"a": 1}', /no GeoJSON FeatureCollection found/]
	])('refuses %s', async (_, bad, message) => {
		for (const size of [5, 1 << 16]) {
			const err = await read(bad, size).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(UnreadableFile);
			expect((err as Error).message).toMatch(message);
		}
	});

	it('names the feature after which the file breaks', async () => {
		const err = (await read(text.replace('"note"', 'note'), 3).catch((e: unknown) => e)) as Error;
		expect(err.message).toMatch(/^x\.geojson: not valid JSON after feature 2 /);
	});
});
