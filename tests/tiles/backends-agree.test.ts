// The same tile from both backends — ST_AsMVT on the server, the TypeScript encoder on the
// embedded build — decodes to the same features, attributes and vertices, on the `small` demo,
// for a viewer who sees persons and for one who does not (small counts left out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { LAYER_NAMES, SOURCES } from '../../src/lib/server/tiles/sources.ts';
import { decode, tilesCovering } from './decode.ts';
import { DEMO_REQUESTS_SQL } from './fixture.ts';

const both = backends.length === 2;

describe.skipIf(!both)('embedded and server tiles agree', () => {
	let embedded: TestDb;
	let server: TestDb;
	let centre: [number, number];
	let box: [number, number, number, number];

	beforeAll(async () => {
		[embedded, server] = await Promise.all([freshDb('embedded'), freshDb('server')]);
		await Promise.all([seedDemo(embedded, { scale: 'small', seed: 7 }), seedDemo(server, { scale: 'small', seed: 7 })]);
		// the demo seed makes no residents' requests: the requests layer's (they touch no other layer)
		await Promise.all([embedded.runScript(DEMO_REQUESTS_SQL), server.runScript(DEMO_REQUESTS_SQL)]);
		const { rows } = await sql<{ x: number; y: number; w: number; s: number; e: number; n: number }>`
			select ST_X(c) as x, ST_Y(c) as y, ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n
			from (select ST_PointOnSurface(ST_Union(geom)) as c, ST_Extent(geom)::geometry as b from area where level = 'grid') t`.execute(server.kysely);
		centre = [rows[0].x, rows[0].y];
		box = [rows[0].w, rows[0].s, rows[0].e, rows[0].n];
		// two demo districts seeded side by side: 1–2 min alone, past 3 on a busy 2-core machine
	}, 400_000);
	afterAll(async () => {
		await Promise.all([embedded?.drop(), server?.drop()]);
	});

	it.each(LAYER_NAMES)('%s: same features, attributes and geometry at every zoom', async (layer) => {
		const e = new TileService(embedded, { versionTtlMs: 0 });
		const s = new TileService(server, { versionTtlMs: 0 });
		let compared = 0;
		for (const persons of [true, false])
			for (let z = SOURCES[layer].minzoom; z <= 18; z++) {
				const t = tileOf(centre[0], centre[1], z);
				const [a, b] = [decode(await e.build(layer, t, '', persons), layer), decode(await s.build(layer, t, '', persons), layer)];
				expect(a.length, `${layer} z${z}`).toBe(b.length);
				for (let i = 0; i < a.length; i++) {
					expect(a[i].id).toBe(b[i].id);
					expect(a[i].type).toBe(b[i].type);
					expect(a[i].properties).toEqual(b[i].properties);
					// one geometry pipeline: the same vertices, give or take a unit where GEOS versions round apart;
					// blind spots are polygons GEOS itself computed (hull and buffer) when the results were
					// stored, and GEOS 3.11 and 3.13 place those vertices up to a metre apart
					// (and may start a ring at another vertex): there, every vertex must have a twin nearby
					expect(a[i].geometry.map((r) => r.length)).toEqual(b[i].geometry.map((r) => r.length));
					if (layer === 'gaps') {
						// the hull's 15 m buffer has 4 segments per quarter circle, and GEOS versions start
						// those arcs at different angles: a vertex may sit up to one arc step (≈ 7 m) along
						const tolerance = Math.max(2, (10 * 4096 * 2 ** z) / 40_075_017);
						const near = (p: { x: number; y: number }, ring: { x: number; y: number }[]) =>
							Math.min(...ring.map((q) => Math.abs(p.x - q.x) + Math.abs(p.y - q.y)));
						a[i].geometry.forEach((ring, r) => {
							for (const p of ring) expect(near(p, b[i].geometry[r]), `${layer} z${z}`).toBeLessThanOrEqual(tolerance);
						});
						continue;
					}
					a[i].geometry.flat().forEach((p, k) => {
						const q = b[i].geometry.flat()[k];
						expect(Math.abs(p.x - q.x) + Math.abs(p.y - q.y), `${layer} z${z}`).toBeLessThanOrEqual(2);
					});
				}
				compared += a.length;
			}
		expect(compared).toBeGreaterThan(0);
	});

	it('counts every member once per zoom, on both backends, whatever the tiling', async () => {
		const { rows } = await sql<{ members: number; households: number }>`
			select count(*)::int as members, count(distinct household_id)::int as households
			from party_member where household_id is not null`.execute(server.kysely);
		for (const db of [embedded, server]) {
			const tiles = new TileService(db, { versionTtlMs: 0 });
			for (const z of [11, 14, 16]) {
				let members = 0;
				let households = 0;
				for (const t of tilesCovering(box[0], box[1], box[2], box[3], z)) {
					for (const f of decode(await tiles.build('members', t, '', true), 'members')) {
						members += Number(f.properties.members);
						households += f.properties.kind === 'household' ? 1 : Number(f.properties.households);
					}
				}
				expect({ backend: db.backend, z, members, households }).toEqual({ backend: db.backend, z, ...rows[0] });
			}
		}
	});
});
