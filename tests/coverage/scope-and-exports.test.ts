// One figure, one query path: the same share from the panel's JSON, the CSV export and the map
// tile; scoped results for a grid leader and a street secretary; the CSV and GeoJSON writers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { areaCoverage, blindSpots, gapList, orgRankings, rankings, reachAreas, buildingCoverage } from '../../src/lib/server/db/queries/coverage.ts';
import {
	areaRankingsCsv,
	blindSpotsCsv,
	blindSpotsGeoJson,
	csvField,
	suggestionsCsv,
	suggestionsGeoJson,
	toCsv
} from '../../src/lib/server/coverage/export.ts';
import { areaCoverageTileSource, gapsTileSource } from '../../src/lib/server/coverage/tiles.ts';
import { whatIf } from '../../src/lib/server/coverage/whatif.ts';
import { mvtQuery, rowsQuery } from '../../src/lib/server/tiles/tile-sql.ts';
import { encodeLayer } from '../../src/lib/server/tiles/encode.ts';
import { tileBox, tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { withScope, SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { decode } from '../tiles/decode.ts';
import { C11, C12, G111, G112, G121, G211, S1, insertFixture, lon, lat } from './fixture.ts';
import type { Db } from '../../src/lib/server/db/open.ts';

async function tileFeatures(db: Db, source: { name: string; sql: typeof gapsTileSource.sql }, x: number, y: number, z: number, scope = '', persons = true) {
	const t = tileOf(lon(x), lat(y), z);
	const inner = source.sql({ box: tileBox(t), scope, persons });
	let raw: Uint8Array | null;
	if (db.backend === 'server') raw = (await mvtQuery(source.name, inner, true).execute(db.kysely)).rows[0].mvt;
	else raw = encodeLayer(source.name, (await rowsQuery(inner).execute(db.kysely)).rows);
	return decode(raw && raw.byteLength ? raw : null, source.name);
}

/** the CSV's cells of the row whose column `key` is `value` */
function csvRow(csv: string, key: string, value: string): Record<string, string> {
	const [head, ...lines] = csv
		.replace(/^\uFEFF/, '')
		.trimEnd()
		.split('\r\n');
	const keys = head.split(',').map((h) => h.match(/\((\w+)\)$/)![1]);
	for (const line of lines) {
		const cells = line.split(',');
		if (cells[keys.indexOf(key)] === value) return Object.fromEntries(keys.map((k, i) => [k, cells[i]]));
	}
	throw new Error(`no row with ${key} = ${value}`);
}

describe.each(backends)('one query path and scoping on %s PostGIS', (backend) => {
	let db: TestDb;
	let engine: CoverageEngine;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		engine = new CoverageEngine(db);
		await engine.ensure();
	});
	afterAll(() => db?.drop());

	it('gives the same coverage figure from the panel JSON, the CSV export and the map tile', async () => {
		const panel = (await withScope(db, SYSTEM, (trx) => areaCoverage(trx, G111, '')))!;
		const csv = csvRow(areaRankingsCsv(await withScope(db, SYSTEM, (trx) => rankings(trx, 'grid', ''))), 'code', G111);
		const tile = (await tileFeatures(db, areaCoverageTileSource('grid'), 500, 250, 14)).find((f) => f.properties.code === G111)!;
		expect(panel.share_5min).toBe(Math.round((13 / 33) * 1e4) / 1e4);
		for (const k of ['share_5min', 'share_10min', 'share_15min', 'coverage_index', 'households', 'rank'] as const) {
			expect(Number(csv[k]), k).toBe(panel[k]);
			expect(Number(tile.properties[k]), k).toBe(panel[k]);
		}
		const spots = await withScope(db, SYSTEM, (trx) => blindSpots(trx, ''));
		const top = spots[0];
		const spotCsv = csvRow(blindSpotsCsv(spots), 'id', String(top.id));
		expect(Number(spotCsv.households)).toBe(top.households);
		const [bx, by] = [300, 270]; // B1, in G111's largest spot
		const gapTile = await tileFeatures(db, gapsTileSource, bx, by, 15);
		const inTile = gapTile.find((f) => Number(f.properties.id) === spots.find((s) => s.building_ids.includes(1))!.id)!;
		expect(Number(inTile.properties.households)).toBe(spots.find((s) => s.building_ids.includes(1))!.households);
	});

	it("reads within the transaction's scope even when the area asked for is wider (the scope lives in the transaction)", async () => {
		await withScope(db, G111, async (trx) => {
			// '' and the district's own code ask for everything: the transaction still holds one grid
			for (const wide of ['', C11.slice(0, 6)]) {
				expect((await rankings(trx, 'grid', wide)).map((r) => r.code)).toEqual([G111]);
				expect((await blindSpots(trx, wide)).map((s) => s.grid_code).filter((g) => g !== G111)).toEqual([]);
				expect((await gapList(trx, null, wide)).map((g) => g.area_code).filter((c) => !c.startsWith(G111))).toEqual([]);
				expect(await areaCoverage(trx, G112, wide)).toBeNull();
			}
			expect((await blindSpots(trx, '')).length, 'the grid has blind spots, or this proves nothing').toBeGreaterThan(0);
		});
	});

	it("shows a grid leader their grid's results and nothing else", async () => {
		const scope = G111;
		await withScope(db, scope, async (trx) => {
			expect(await areaCoverage(trx, G111, scope)).not.toBeNull();
			expect(await areaCoverage(trx, G112, scope)).toBeNull();
			expect(await areaCoverage(trx, C11, scope)).toBeNull(); // the community above is not theirs
			expect((await rankings(trx, 'grid', scope)).map((r) => r.code)).toEqual([G111]);
			const spots = await blindSpots(trx, scope);
			expect(spots.length, 'the grid has blind spots, or this check proves nothing').toBeGreaterThan(0);
			expect(spots.map((s) => s.grid_code).filter((g) => g !== G111)).toEqual([]);
			const gaps = await gapList(trx, null, scope);
			expect(gaps.length).toBeGreaterThan(0);
			expect(gaps.map((g) => g.area_code).filter((c) => !c.startsWith(G111))).toEqual([]);
			expect((await orgRankings(trx, scope)).map((o) => o.org_id).sort((a, b) => a - b)).toEqual([7, 9]);
			expect(await buildingCoverage(trx, 3, scope)).toBeNull();
			expect(await reachAreas(trx, 3, scope)).toEqual([]); // the district centre is above them
		});
		const tile = await tileFeatures(db, areaCoverageTileSource('grid'), 500, 500, 13, scope);
		expect(tile.map((f) => f.properties.code)).toEqual([G111]);
	});

	it("shows a street secretary their street's grids, communities and gaps", async () => {
		const scope = S1;
		await withScope(db, scope, async (trx) => {
			expect((await rankings(trx, 'grid', scope)).map((r) => r.code).sort()).toEqual([G111, G112, G121]);
			expect((await rankings(trx, 'community', scope)).map((r) => r.code).sort()).toEqual([C11, C12]);
			expect(await areaCoverage(trx, G211, scope)).toBeNull();
			expect((await gapList(trx, 'grid_without_branch', scope)).map((g) => g.object_id)).toEqual([G112]);
			expect((await blindSpots(trx, scope)).some((s) => s.grid_code === G211)).toBe(false);
		});
		// a what-if near the street's edge reports only the street's communities
		const model = await engine.model();
		const all = await whatIf(db.kysely, model, lon(1500), lat(600));
		const mine = await whatIf(db.kysely, model, lon(1500), lat(600), S1);
		expect(mine.communities.length, 'the station reaches some of the street, or this check proves nothing').toBeGreaterThan(0);
		expect(mine.communities.map((c) => c.code).filter((c) => !c.startsWith(S1))).toEqual([]);
		expect(all.communities.length).toBeGreaterThanOrEqual(mine.communities.length);
	});
});

describe('CSV and GeoJSON writers', () => {
	it('writes UTF-8 with a BOM, CRLF, Chinese headers with the English key, and quotes what needs quoting', () => {
		const csv = toCsv(
			[{ key: 'code', zh: '区域编码', value: (r: { a: unknown }) => r.a }],
			[{ a: 'x,y' }, { a: 'say "hi"' }, { a: '=cmd()' }, { a: -3 }, { a: null }, { a: ['a', 'b'] }, { a: 'two\nlines' }]
		);
		expect(csv.startsWith('\uFEFF区域编码 (code)\r\n')).toBe(true);
		expect(csv.split('\r\n')).toEqual(['\uFEFF区域编码 (code)', '"x,y"', '"say ""hi"""', "'=cmd()", '-3', '', 'a;b', '"two\nlines"', '']);
		expect(csvField(true)).toBe('1');
	});

	it('writes suggestions and blind spots as CSV and GeoJSON', () => {
		const s = [{ key: 'node:1,2', kind: 'node' as const, lon: 114.2, lat: 30.5, pinned: false, gain: 12, cumulative: 12 }];
		expect(suggestionsCsv(s)).toContain('\r\n1,node:1,2'.replace('node:1,2', '"node:1,2"'));
		expect(suggestionsGeoJson(s).features[0].geometry).toEqual({ type: 'Point', coordinates: [114.2, 30.5] });
		const fc = blindSpotsGeoJson([
			{
				id: 1,
				grid_code: G121,
				grid_name: 'g',
				community_code: C12,
				households: 5,
				buildings: 1,
				gap_kinds: ['work'],
				gap_rules: ['household_uncared'],
				building_ids: [3],
				lon: 1,
				lat: 2
			}
		]);
		expect(fc.features[0].properties.households).toBe(5);
	});
});
