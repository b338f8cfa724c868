// A corpus of broken files, made here: each gives its clear error (the file cannot be read) or its
// report rows (the features cannot be used), and leaves the database exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { runImport, type ImportOptions } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { UnreadableFile } from '../../src/lib/server/import/types.ts';
import { bboxOf, hierarchyAround, readFc, REALDATA, snapshot, tempDir, writeJson, writeZip, square as sq, featureCollection as fc } from './fixture.ts';

const T = 180_000;
const dir = tempDir();
const imp = (db: TestDb, file: string, o: Omit<ImportOptions, 'scope'>) => runImport(db, file, { scope: SYSTEM, ...o });
const feature = (geometry: unknown, properties: Record<string, unknown> = {}) => ({ type: 'Feature', properties, geometry });

// a hierarchy around (114.40, 30.50)–(114.42, 30.52) for buildings to land in
const HIER = hierarchyAround([114.4, 30.5, 114.42, 30.52], '420111', 0);

describe.each(backends)('broken files on the %s backend', (backend) => {
	let db: TestDb;
	let before: string;
	beforeAll(async () => {
		db = await freshDb(backend);
		await imp(db, writeJson(dir, 'hier.geojson', HIER), { layer: 'areas' });
		before = await snapshot(db);
	}, T);
	afterAll(async () => {
		await db?.drop();
	});

	const unreadable: [string, () => string, ImportOptions['layer'], RegExp][] = [
		['a 0-byte file', () => (writeFileSync(path.join(dir, 'empty.geojson'), ''), path.join(dir, 'empty.geojson')), 'buildings', /empty \(0 bytes\)/],
		[
			'a truncated GeoJSON',
			() => {
				const text = JSON.stringify(
					fc([feature({ type: 'Polygon', coordinates: sq(114.405, 30.505) }), feature({ type: 'Polygon', coordinates: sq(114.41, 30.51) })])
				);
				writeFileSync(path.join(dir, 'truncated.geojson'), text.slice(0, Math.floor(text.length * 0.7)));
				return path.join(dir, 'truncated.geojson');
			},
			'buildings',
			/truncated or broken/
		],
		[
			'a zip named .geojson (wrong extension)',
			() => writeZip(path.join(dir, 'zip.geojson'), [{ name: 'a.geojson', data: Buffer.from('{}') }]),
			'buildings',
			/holds a zip archive: rename it \.zip/
		],
		['GeoJSON named .shp (wrong extension)', () => writeJson(dir, 'json.shp', fc([])), 'buildings', /named \.shp but holds JSON/],
		[
			'a .dbf alone',
			() => (copyFileSync(path.join(REALDATA, 'shenzhen-districts/sz.dbf'), path.join(dir, 'alone.dbf')), path.join(dir, 'alone.dbf')),
			'areas',
			/\.dbf alone/
		],
		[
			'mismatched .shp and .dbf',
			() => {
				const d = path.join(dir, 'mismatch');
				mkdirSync(d, { recursive: true });
				for (const e of ['shp', 'shx']) copyFileSync(path.join(REALDATA, `shenzhen-districts/sz.${e}`), path.join(d, `m.${e}`));
				copyFileSync(path.join(REALDATA, 'shanghai-districts-gbk/区县界_area.dbf'), path.join(d, 'm.dbf'));
				return path.join(d, 'm.shp');
			},
			'areas',
			/holds 10 shapes but the \.dbf 17 rows/
		],
		[
			'a truncated .shp',
			() => {
				const d = path.join(dir, 'shortshp');
				mkdirSync(d, { recursive: true });
				for (const e of ['shx', 'dbf']) copyFileSync(path.join(REALDATA, `shenzhen-districts/sz.${e}`), path.join(d, `s.${e}`));
				writeFileSync(path.join(d, 's.shp'), readFileSync(path.join(REALDATA, 'shenzhen-districts/sz.shp')).subarray(0, 5000));
				return path.join(d, 's.shp');
			},
			'areas',
			/truncated or damaged/
		],
		['a zip bomb (1000:1)', () => writeZip(path.join(dir, 'bomb.zip'), [{ name: 'big.geojson', data: Buffer.alloc(20 << 20, 0x20) }]), 'buildings', /zip bomb/],
		[
			'a zip slip (../ in a name)',
			() => writeZip(path.join(dir, 'slip.zip'), [{ name: '../../evil.geojson', data: Buffer.from(JSON.stringify(fc([]))), stored: true }]),
			'buildings',
			/outside the upload folder/
		],
		[
			'a zip with too many entries',
			() =>
				writeZip(
					path.join(dir, 'many.zip'),
					Array.from({ length: 1001 }, (_, i) => ({ name: `f${i}.csv`, data: Buffer.from('a'), stored: true }))
				),
			'buildings',
			/more than the limit/
		],
		[
			'a zip with nothing to import',
			() => writeZip(path.join(dir, 'nothing.zip'), [{ name: 'readme.txt.md', data: Buffer.from('hello') }]),
			'buildings',
			/no file to import/
		],
		['an unknown extension', () => (writeFileSync(path.join(dir, 'x.docx'), 'hello'), path.join(dir, 'x.docx')), 'buildings', /unknown file type \.docx/]
	];
	for (const [what, make, layer, message] of unreadable) {
		it(
			`${what}: cannot be read, and says why; nothing changes`,
			async () => {
				const file = make();
				const e = await imp(db, file, { layer }).then(
					() => null,
					(x: Error) => x
				);
				expect(e).toBeInstanceOf(UnreadableFile);
				expect(e!.message).toMatch(message);
				expect(await snapshot(db)).toBe(before);
			},
			T
		);
	}

	it(
		'features that cannot be used: each a report row naming file, feature, field and reason; nothing written',
		async () => {
			const file = writeJson(
				dir,
				'bad-features.geojson',
				fc([
					feature({ type: 'Point', coordinates: [114.41, 30.51] }), // 1 wrong type
					feature({
						type: 'Polygon',
						coordinates: [
							[
								[114.405, 30.505],
								[114.406, 30.506],
								[114.406, 30.505],
								[114.405, 30.506],
								[114.405, 30.505]
							]
						]
					}), // 2 bow tie
					feature({
						type: 'Polygon',
						coordinates: [
							[
								[1e308, 30.5],
								[114.41, 30.5],
								[114.41, 30.51],
								[1e308, 30.5]
							]
						]
					}), // 3 1e308
					feature({
						type: 'Polygon',
						coordinates: [
							[
								[114.41, 30.5],
								[114.411, 30.5],
								[114.411, 30.501]
							]
						]
					}), // 4 ring too short / unclosed
					feature({ type: 'Polygon', coordinates: sq(120, 31) }), // 5 in no grid
					feature({ type: 'Polygon', coordinates: sq(114.407, 30.507) }, { id: 'a', floors: 300 }), // 6 floors out of range
					feature(null), // 7 no geometry
					feature({
						type: 'Polygon',
						coordinates: [
							[
								[200, 30.5],
								[201, 30.5],
								[201, 31],
								[200, 30.5]
							]
						]
					}) // 8 lon out of range
				])
			);
			const r = await imp(db, file, { layer: 'buildings', srid: 4326 });
			expect(r).toMatchObject({ features: 8, accepted: 0, rejected: 8, committed: false });
			const by = new Map(r.report.filter((x) => x.action === 'rejected').map((x) => [x.feature, x]));
			expect(by.get(1)).toMatchObject({ file: 'bad-features.geojson', field: 'geometry', reason: expect.stringMatching(/wrong geometry type: Point/) });
			expect(by.get(2)!.reason).toMatch(/invalid geometry: Self-intersection/);
			expect(by.get(3)!.reason).toMatch(/out of range/);
			expect(by.get(4)!.reason).toMatch(/fewer than 4|not closed/);
			expect(by.get(5)!.reason).toMatch(/missing parent: the building lies in no grid/);
			expect(by.get(6)).toMatchObject({ field: 'floors', reason: expect.stringMatching(/floors 300/) });
			expect(by.get(7)!.reason).toMatch(/no geometry/);
			expect(by.get(8)!.reason).toMatch(/out of range/);
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'NaN in newline-delimited GeoJSON and in CSV columns: rejected rows, not a crash',
		async () => {
			const lines = path.join(dir, 'nan.geojsonl');
			writeFileSync(
				lines,
				`${JSON.stringify(feature({ type: 'Point', coordinates: [114.41, 30.51] }, { name: 'ok' }))}\n{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,30.5]},"properties":{}}\n`
			);
			const a = await imp(db, lines, { layer: 'service_centres', dryRun: true });
			expect(a.report.find((x) => x.feature === 2)!.reason).toMatch(/not valid JSON/);
			const csv = path.join(dir, 'nan.csv');
			writeFileSync(csv, 'name,lon,lat\n站一,114.41,30.51\n站二,NaN,30.5\n站三,1e308,30.5\n');
			const b = await imp(db, csv, { layer: 'service_centres', dryRun: true });
			expect(b).toMatchObject({ features: 3, accepted: 1, rejected: 2 });
			expect(b.report.find((x) => x.feature === 2)!.reason).toMatch(/NaN or infinite/);
			expect(b.report.find((x) => x.feature === 3)!.reason).toMatch(/out of range/);
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'a self-intersecting building is repaired with ST_MakeValid only when asked (dry run: nothing written)',
		async () => {
			const file = writeJson(
				dir,
				'bowtie.geojson',
				fc([
					feature(
						{
							type: 'Polygon',
							coordinates: [
								[
									[114.405, 30.505],
									[114.406, 30.506],
									[114.406, 30.505],
									[114.405, 30.506],
									[114.405, 30.505]
								]
							]
						},
						{ id: 'bt' }
					)
				])
			);
			const r = await imp(db, file, { layer: 'buildings', repair: true, dryRun: true });
			expect(r).toMatchObject({ accepted: 1, rejected: 0, dry_run: true, committed: false });
			expect(r.report.some((x) => x.action === 'repaired' && /ST_MakeValid/.test(x.reason))).toBe(true);
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'duplicate codes, overlapping siblings, a child outside its parent and a code of the wrong shape are refused by name',
		async () => {
			const grid = (code: string, x: number, y: number, d = 0.004) =>
				feature({ type: 'Polygon', coordinates: sq(x, y, d) }, { code, level: 'grid', name: `格${code.slice(-3)}` });
			const file = writeJson(
				dir,
				'bad-areas.geojson',
				fc([
					grid('420111001001002', 114.401, 30.501),
					grid('420111001001002', 114.41, 30.51), // duplicate code
					grid('420111001001003', 114.402, 30.502), // overlaps the first
					grid('420111001001004', 114.417, 30.517), // extends outside the community
					grid('42011100100105', 114.405, 30.515) // 14 digits
				])
			);
			const r = await imp(db, file, { layer: 'areas', dryRun: true });
			const reason = (n: number) => r.report.find((x) => x.feature === n && x.action === 'rejected')?.reason ?? '';
			expect(reason(2)).toMatch(/duplicate code 420111001001002 \(first at feature 1\)/);
			expect(reason(3)).toMatch(/overlaps (feature 1|grid 420111001001001)/);
			expect(reason(4)).toMatch(/outside its parent 420111001001/);
			expect(reason(5)).toMatch(/has 14 digits, a grid has 15/);
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'an import that would break the hierarchy checks is refused with them, and writes nothing',
		async () => {
			// a second street inside the district, overlapping nothing, but with no community: a gap is
			// only a warning; a street whose community lies elsewhere would be refused earlier, so break
			// tiling the other way: a community replaced by one half its size leaves its grid outside
			const [, , community] = HIER.features;
			const half = { ...community, geometry: { type: 'Polygon', coordinates: sq(114.4, 30.5, 0.01) } };
			const r = await imp(db, writeJson(dir, 'shrink.geojson', fc([half])), { layer: 'areas' });
			expect(r.committed).toBe(false);
			expect(r.refused.map((v) => v.rule)).toContain('outside_parent');
			expect(r.report.some((x) => x.field === 'hierarchy' && /refused: outside_parent/.test(x.reason))).toBe(true);
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'a file without a coordinate system whose range fits several asks for one, with the guesses',
		async () => {
			const file = writeJson(dir, 'metres.geojson', fc([feature({ type: 'Polygon', coordinates: sq(13_535_000, 3_570_000, 30) })]));
			const r = await imp(db, file, { layer: 'buildings', dryRun: true });
			expect(r.crs).toBeNull();
			expect(r.report[0].reason).toMatch(/choose one \(--crs\).*EPSG:4491.*EPSG:3857/);
		},
		T
	);

	it('re-reading the shared real files did not touch them (fixtures are made in a temp folder)', () => {
		expect(bboxOf(readFc(path.join(REALDATA, 'osm-wuhan-guanggu/buildings.geojson')))[0]).toBeGreaterThan(114);
	});
});
