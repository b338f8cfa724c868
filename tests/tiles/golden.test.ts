// Golden tile dumps: a fixed set of tiles of every layer, built from the small demo district
// (seed 1, the same on every run) on both backends, decoded to text and compared with the files
// in tests/tiles/golden/<backend>/ (one set per backend: PostGIS's ST_AsMVT simplifies rings a
// little where the embedded encoder keeps every vertex; backends-agree.test.ts bounds that). A change to what any layer carries — a field, a feature, a geometry —
// shows as a text diff to review. Re-bless after an intended change: `npm run test:bless-tiles`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf, type TileId } from '../../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES, type LayerName } from '../../src/lib/server/tiles/sources.ts';
import { decode, type DecodedFeature } from './decode.ts';
import { DEMO_REQUESTS_SQL } from './fixture.ts';

const BLESS = process.env.BLESS === '1';
const DIR = 'tests/tiles/golden';
const T = 300_000;

/** the layer's first zoom and one finer (the finest it announces), each on the tile holding the point */
function tilesFor(layer: LayerName, lon: number, lat: number): TileId[] {
	const s = SOURCES[layer];
	const zooms = [...new Set([Math.max(s.minzoom, 12), Math.min(s.maxzoom, Math.max(s.minzoom, 12) + 3)])];
	return zooms.map((z) => tileOf(lon, lat, z));
}

/** one line per feature, sorted: geometry type, id, properties (sorted keys), the geometry's points */
function dump(features: DecodedFeature[]): string[] {
	return features
		.map((f) => {
			const props = Object.keys(f.properties)
				.sort()
				.map((k) => `${k}=${typeof f.properties[k] === 'number' ? +(f.properties[k] as number).toFixed(4) : f.properties[k]}`);
			const geom = f.geometry.map((ring) => ring.map((p) => `${p.x},${p.y}`).join(' ')).join(' | ');
			return `type=${f.type} id=${f.id ?? '-'} ${props.join(' ')} :: ${geom}`;
		})
		.sort();
}

describe.each(backends)('golden tiles on the %s backend', (backend) => {
	let db: TestDb;
	let tiles: TileService;
	let centre: [number, number];

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 1 });
		// the demo seed makes no residents' requests: the requests layer's (they touch no other layer)
		await db.runScript(DEMO_REQUESTS_SQL);
		tiles = new TileService(db, { versionTtlMs: 0 });
		// the first community's first grid: every layer has features near it
		const { rows } = await sql<{ lon: number; lat: number }>`
			select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(geom) as p from area where level = 'grid' order by code limit 1) g`.execute(db.kysely);
		centre = [rows[0].lon, rows[0].lat];
	}, T);
	afterAll(async () => {
		await db?.drop();
	});

	it.each(LAYER_NAMES)(
		'%s matches its golden dump (as a viewer who sees persons, and one who sees counts)',
		async (layer) => {
			const lines: string[] = [];
			for (const t of tilesFor(layer, ...centre)) {
				for (const persons of [true, false]) {
					lines.push(`# ${layer} ${t.z}/${t.x}/${t.y} ${persons ? 'persons' : 'counts'}`);
					lines.push(...dump(decode(await tiles.build(layer, t, '', persons), layer)));
				}
			}
			const text = `${lines.join('\n')}\n`;
			expect(lines.filter((l) => !l.startsWith('#')).length, `${layer}: the chosen tiles hold features`).toBeGreaterThan(0);
			const file = join(DIR, backend, `${layer}.txt`);
			if (BLESS) {
				mkdirSync(join(DIR, backend), { recursive: true });
				writeFileSync(file, text);
				return;
			}
			expect(existsSync(file), `${file} missing: run npm run test:bless-tiles`).toBe(true);
			expect(text).toBe(readFileSync(file, 'utf8'));
		},
		T
	);
});
