// The printed map (issue 13 part 2) on both backends, on the crafted coverage fixture: the SVG is in
// metres, so the frame is the area's extent and the scale bar's drawn length is its label; only
// features of the caller's scope and the printed area are drawn; an area outside the scope prints
// nothing; the atlas has one sheet per child with the panel's figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { C11, C12, D, G111, G112, insertFixture } from '../coverage/fixture.ts';
import { CoverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import { niceLength, printMap } from '../../src/lib/server/print/map-svg.ts';
import { printPage } from '../../src/lib/server/print/sheets.ts';
import { selectionSummary } from '../../src/lib/server/db/queries/selection.ts';
import { everyOf } from '../helpers/every-of.ts';

/** the x and y coordinates of an SVG path written by ST_AsSVG (absolute: M x y L x y … Z) */
function extent(d: string): { minx: number; maxx: number; miny: number; maxy: number } {
	const nums = (d.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
	const xs = nums.filter((_, i) => i % 2 === 0);
	const ys = nums.filter((_, i) => i % 2 === 1);
	return { minx: Math.min(...xs), maxx: Math.max(...xs), miny: Math.min(...ys), maxy: Math.max(...ys) };
}
const attr = (svg: string, cls: string, name: string): string[] =>
	[...svg.matchAll(new RegExp(`<[a-z]+ class="${cls}"[^>]*?\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe.each(backends)('printed maps on %s PostGIS', (backend) => {
	let db: TestDb;
	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		await new CoverageEngine(db).ensure();
	});
	afterAll(() => db?.drop());

	it('draws the area in a metre frame with a scale bar as long as its label', async () => {
		const map = (await withScope(db, C11, (trx) => printMap(trx, C11, 1.5)))!;
		expect(map).toBeDefined();
		// community 001001 is 1000 m × 1000 m: padded 8 %, widened to the 1.5 aspect
		expect(map.frame.height).toBeCloseTo(1080, -1);
		expect(map.frame.width / map.frame.height).toBeCloseTo(1.5, 6);
		const [, , vw, vh] = map.svg
			.match(/viewBox="([^"]+)"/)![1]
			.split(' ')
			.map(Number);
		expect(vw).toBeCloseTo(map.frame.width, 6);
		expect(vh).toBeCloseTo(map.frame.height, 6);
		const outline = extent(attr(map.svg, 'outline', 'd')[0]);
		expect(outline.maxx - outline.minx).toBeGreaterThan(995);
		expect(outline.maxx - outline.minx).toBeLessThan(1005);
		expect(outline.maxy - outline.miny).toBeGreaterThan(995);
		expect(outline.maxy - outline.miny).toBeLessThan(1005);
		// the bar: a round length, drawn that many metres long in the metre frame
		expect(map.frame.scale_bar_m).toBe(niceLength(map.frame.width));
		expect(map.frame.scale_bar_m).toBe(200);
		expect(Number(attr(map.svg, 'scale-bar-length', 'width')[0])).toBe(map.frame.scale_bar_m);
		expect(map.svg).toContain('>200 m<');
		expect(map.svg).toContain('class="north-arrow"');
	});

	it('draws only the area and scope: its grids, buildings and centres, none of the neighbours', async () => {
		const map = (await withScope(db, C11, (trx) => printMap(trx, C11, 1.5)))!;
		expect(attr(map.svg, 'child', 'data-code').sort()).toEqual([G111, G112]);
		// buildings 1, 2, 5, 6, 7, 11, 12 are in the community's grids
		expect(map.counts.buildings).toBe(7);
		expect(map.kinds).toEqual(['commercial', 'office', 'residential']);
		// the community centre only: the district's centre is not the community's
		expect(attr(map.svg, 'centre', 'data-level')).toEqual(['community']);
		// every drawn building lies inside the community's frame
		const xs = attr(map.svg, 'building', 'd').map(extent);
		expect(everyOf(xs, (e) => e.minx >= map.frame.x && e.maxx <= map.frame.x + map.frame.width, 'the buildings')).toBe(true);
		// the district's print has more buildings than the community's
		const district = (await withScope(db, D, (trx) => printMap(trx, D, 1.5)))!;
		expect(district.counts.buildings).toBe(12);
	});

	it('prints nothing outside the scope', async () => {
		expect(await withScope(db, C11, (trx) => printMap(trx, C12, 1.5))).toBeUndefined();
		expect(await withScope(db, C11, (trx) => printMap(trx, D, 1.5))).toBeUndefined();
		const viewer = viewerFor('community_secretary', C11, null, 'c11');
		expect(await withScope(db, C11, (trx) => printPage(trx, viewer, C12, { paper: 'a4', orientation: 'landscape', atlas: true }))).toBeUndefined();
	});

	it('the atlas has one sheet per grid with the panel’s own figures', async () => {
		const viewer = viewerFor('district_admin', D, null, 'admin');
		const page = (await withScope(db, D, (trx) => printPage(trx, viewer, C11, { paper: 'a4', orientation: 'landscape', atlas: true })))!;
		expect(page.sheets.map((s) => s.code)).toEqual([G111, G112]);
		for (const s of page.sheets) {
			const panel = await withScope(db, D, (trx) => selectionSummary(trx, s.code, viewer));
			expect(panel?.type === 'area' && panel.figures).toEqual(s.figures);
			expect(s.coverage?.code).toBe(s.code);
		}
		// a single print is one sheet
		const one = (await withScope(db, D, (trx) => printPage(trx, viewer, C11, { paper: 'a3', orientation: 'portrait', atlas: false })))!;
		expect(one.sheets).toHaveLength(1);
		expect(one.sheets[0].frame.width / one.sheets[0].frame.height).toBeCloseTo((297 - 20) / (420 - 20 - 14 - 22), 6);
	});
});
