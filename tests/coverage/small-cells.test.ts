// Small-cell suppression in JSON, exports and the coverage tiles (security issue 8, finding 5),
// and no-store for JSON carrying persons (finding 8): the routes called as SvelteKit calls them,
// on both backends, over the coverage fixture with building 4 emptied to one household (so grid
// 211 holds one household, two residents and one member).
//
// Viewers without person access — a planner without the grant and the display — get no count of
// persons between 0 and the threshold and no household or member id, in any answer or export;
// viewers who see persons (a district administrator, a planner with the grant) get them as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { isHttpError } from '@sveltejs/kit';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { viewerFor, type Viewer } from '../../src/lib/server/auth/viewer.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { coverageEngine } from '../../src/lib/server/coverage/engine.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
import { SMALL_CELL_THRESHOLD, SUPPRESSED_TEXT } from '../../src/lib/small-cells.ts';
import * as gapsRoute from '../../src/routes/api/coverage/gaps/+server.ts';
import * as blindSpotsRoute from '../../src/routes/api/coverage/blind-spots/+server.ts';
import * as rankingsRoute from '../../src/routes/api/coverage/rankings/+server.ts';
import * as areaCoverageRoute from '../../src/routes/api/coverage/area/[code=areacode]/+server.ts';
import * as buildingSummaryRoute from '../../src/routes/api/buildings/[id=id]/summary/+server.ts';
import * as areaSummaryRoute from '../../src/routes/api/areas/[code=areacode]/summary/+server.ts';
import * as whatIfRoute from '../../src/routes/api/coverage/whatif/+server.ts';
import * as suggestRoute from '../../src/routes/api/coverage/suggest/+server.ts';
import { decode } from '../tiles/decode.ts';
import { BUILDINGS, C21, D, G111, G211, insertFixture, lat, lon } from './fixture.ts';

const DB_KEY = Symbol.for('jiceng.db');
const holder = globalThis as Record<symbol, unknown>;

/** keys that count persons or households, wherever they occur in an answer */
const COUNT_KEYS = new Set([
	'households',
	'residents',
	'members',
	'members_working',
	'central_households',
	'hh_5min',
	'hh_10min',
	'hh_15min',
	'hh_cared',
	'hh_in_blind_spots',
	'living',
	'working'
]);
/** keys that name households or members */
const ID_KEYS = new Set(['household_ids', 'household_id', 'member_id', 'member_ids', 'central_household_id']);

/** every count below the threshold and every household or member id anywhere in a JSON value */
function leaks(value: unknown, path = '$'): string[] {
	if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, `${path}[${i}]`));
	if (value === null || typeof value !== 'object') return [];
	const out: string[] = [];
	for (const [k, v] of Object.entries(value)) {
		if (ID_KEYS.has(k)) out.push(`${path}.${k}: an id`);
		if (COUNT_KEYS.has(k) && typeof v === 'number' && v > 0 && v < SMALL_CELL_THRESHOLD) out.push(`${path}.${k} = ${v}`);
		out.push(...leaks(v, `${path}.${k}`));
	}
	return out;
}

/** the CSV's rows as objects keyed by the English key in each header */
function csvRows(csv: string): Record<string, string>[] {
	const [head, ...lines] = csv
		.replace(/^\uFEFF/, '')
		.trimEnd()
		.split('\r\n');
	const keys = head.split(',').map((h) => h.match(/\((\w+)\)$/)![1]);
	return lines.map((line) => Object.fromEntries(line.split(',').map((c, i) => [keys[i], c])));
}

/** count cells of a CSV holding a number below the threshold */
function csvLeaks(csv: string): string[] {
	return csvRows(csv).flatMap((r, i) =>
		Object.entries(r)
			.filter(([k, v]) => COUNT_KEYS.has(k) && /^\d+$/.test(v) && Number(v) > 0 && Number(v) < SMALL_CELL_THRESHOLD)
			.map(([k, v]) => `row ${i}: ${k} = ${v}`)
	);
}

type Route = { GET: (event: never) => Promise<Response> };

async function call(route: Route, viewer: Viewer, path: string, params: Record<string, string> = {}) {
	const event = { url: new URL(`http://localhost${path}`), params, locals: { viewer, user: null }, getClientAddress: () => '10.0.0.9' };
	try {
		const r = await route.GET(event as never);
		const text = await r.text();
		const type = r.headers.get('content-type') ?? '';
		return { status: r.status, cacheControl: r.headers.get('cache-control') ?? '', text, body: /json/.test(type) ? JSON.parse(text) : null };
	} catch (e) {
		if (isHttpError(e)) return { status: e.status, cacheControl: '', text: '', body: null };
		throw e;
	}
}

describe.each(backends)('small cells in JSON and exports on %s PostGIS', (backend) => {
	let db: TestDb;
	let previous: unknown;
	const planner = viewerFor('planner', D, null, 'planner.a');
	const display = viewerFor('display', D, null, 'screen:1:大屏');
	const admin = viewerFor('district_admin', D, null, 'admin.a');
	const granted = viewerFor('planner', D, null, 'planner.b', true);
	const countOnly = [planner, display];

	beforeAll(async () => {
		db = await freshDb(backend);
		await insertFixture(db);
		// building 4 (grid 211) keeps one household: its member's
		await withScope(db, '*', (trx) => sql`delete from household where building_id = 4 and id <> 401`.execute(trx));
		previous = holder[DB_KEY];
		holder[DB_KEY] = Promise.resolve(db);
		// the routes answer from the stored results (never waiting for a recompute): have them first
		await coverageEngine(db).ensure();
	});
	afterAll(async () => {
		holder[DB_KEY] = previous;
		await db?.drop();
	});

	it('the viewers are who the test means', () => {
		expect([planner.persons, display.persons, admin.persons, granted.persons]).toEqual([false, false, true, true]);
	});

	it('withholds small counts in a building panel, and keeps them for viewers who see persons', async () => {
		for (const viewer of countOnly) {
			const b2 = await call(buildingSummaryRoute, viewer, '/api/buildings/2/summary', { id: '2' });
			expect(b2.status).toBe(200);
			// 20 households, 40 residents; two members live here, one works here, one central household
			expect(b2.body.figures).toEqual({
				households: 20,
				residents: 40,
				members: null,
				members_working: null,
				central_households: null,
				suppressed: ['members', 'members_working', 'central_households']
			});
			const b4 = await call(buildingSummaryRoute, viewer, '/api/buildings/4/summary', { id: '4' });
			expect(b4.body.figures).toMatchObject({ households: null, residents: null, members: null, members_working: 0, central_households: 0 });
			for (const r of [b2, b4]) expect(leaks(r.body), viewer.principal).toEqual([]);
		}
		for (const viewer of [admin, granted]) {
			const b2 = await call(buildingSummaryRoute, viewer, '/api/buildings/2/summary', { id: '2' });
			expect(b2.body.figures).toEqual({ households: 20, residents: 40, members: 2, members_working: 1, central_households: 1 });
			expect(b2.cacheControl).toMatch(/\bno-store\b/);
		}
	});

	it('withholds small counts in an area panel and its children', async () => {
		for (const viewer of countOnly) {
			const g = await call(areaSummaryRoute, viewer, `/api/areas/${G211}/summary`, { code: G211 });
			expect(g.status).toBe(200);
			expect(g.body.figures).toMatchObject({ households: null, residents: null, members: null, buildings: 2 });
			expect(g.body.figures.suppressed).toEqual(expect.arrayContaining(['households', 'residents', 'members']));
			const c = await call(areaSummaryRoute, viewer, `/api/areas/${C21}/summary`, { code: C21 });
			expect(c.body.children).toEqual([expect.objectContaining({ code: G211, households: null, members: null, suppressed: ['households', 'members'] })]);
			const d = await call(areaSummaryRoute, viewer, `/api/areas/${D}/summary`, { code: D });
			for (const r of [g, c, d]) expect(leaks(r.body), viewer.principal).toEqual([]);
		}
		const g = await call(areaSummaryRoute, admin, `/api/areas/${G211}/summary`, { code: G211 });
		expect(g.body.figures).toMatchObject({ households: 1, residents: 2, members: 1 });
		expect(g.body.figures).not.toHaveProperty('suppressed');
		expect(g.cacheControl).toMatch(/\bno-store\b/);
	});

	it('lists households no one looks after per building, without ids, for viewers who see no persons', async () => {
		for (const viewer of countOnly) {
			const r = await call(gapsRoute, viewer, '/api/coverage/gaps?rule=household_uncared');
			expect(r.status).toBe(200);
			// building 1: two households no one looks after (109, 110); building 3: five
			expect(r.body.rows.map((x: { object_id: string; households: number | null }) => [x.object_id, x.households])).toEqual([
				['3', 5],
				['1', null]
			]);
			expect(r.body.rows[1].suppressed).toEqual(['households']);
			expect(leaks(r.body), viewer.principal).toEqual([]);
			for (const rule of ['grid_without_branch', 'member_building_uncovered', 'key_building_unorganised', 'secretary_empty']) {
				const x = await call(gapsRoute, viewer, `/api/coverage/gaps?rule=${rule}`);
				expect(x.status, rule).toBe(200);
				expect(leaks(x.body), `${viewer.principal} ${rule}`).toEqual([]);
			}
			// grid 211 has one household
			const grids = await call(gapsRoute, viewer, '/api/coverage/gaps?rule=grid_without_branch');
			expect(grids.body.rows.find((x: { object_id: string }) => x.object_id === G211)).toMatchObject({ households: null, suppressed: ['households'] });
			// central households are persons' homes
			expect((await call(gapsRoute, viewer, '/api/coverage/gaps?rule=central_household_overloaded')).status).toBe(403);
		}
		const r = await call(gapsRoute, admin, '/api/coverage/gaps?rule=household_uncared');
		expect(r.body.rows.find((x: { object_id: string }) => x.object_id === '1')).toMatchObject({ households: 2, detail: { household_ids: [109, 110] } });
		expect(r.cacheControl).toMatch(/\bno-store\b/);
		expect((await call(gapsRoute, admin, '/api/coverage/gaps?rule=central_household_overloaded')).body.rows).toHaveLength(1);
	});

	it('withholds small counts, and the shares and scores computed from them, in coverage figures and rankings', async () => {
		for (const viewer of countOnly) {
			const area = await call(areaCoverageRoute, viewer, `/api/coverage/area/${G211}`, { code: G211 });
			expect(area.status).toBe(200);
			expect(area.body.area).toMatchObject({ households: null, hh_cared: null, share_5min: null, share_15min: null, service_score: null, work_score: null });
			const g111 = await call(areaCoverageRoute, viewer, `/api/coverage/area/${G111}`, { code: G111 });
			expect(g111.body.area).toMatchObject({ households: 33, hh_cared: 31 });
			expect(g111.body.gaps.find((x: { rule: string }) => x.rule === 'household_uncared')).toMatchObject({
				objects: 1,
				households: null,
				suppressed: ['households']
			});
			const ranking = await call(rankingsRoute, viewer, '/api/coverage/rankings?level=grid');
			expect(ranking.body.rows.find((x: { code: string }) => x.code === G211)).toMatchObject({
				households: null,
				suppressed: expect.arrayContaining(['households'])
			});
			for (const r of [area, g111, ranking]) expect(leaks(r.body), viewer.principal).toEqual([]);
		}
		const area = await call(areaCoverageRoute, admin, `/api/coverage/area/${G211}`, { code: G211 });
		expect(area.body.area).toMatchObject({ households: 1, hh_cared: 1, share_5min: 0 });
	});

	it('withholds small counts in the blind spots and in every export', async () => {
		for (const viewer of countOnly) {
			const spots = await call(blindSpotsRoute, viewer, '/api/coverage/blind-spots');
			const b4 = spots.body.rows.find((s: { building_ids: number[] }) => s.building_ids.includes(4));
			expect(b4).toMatchObject({ households: null, suppressed: ['households'] });
			expect(leaks(spots.body)).toEqual([]);

			const csv = await call(blindSpotsRoute, viewer, '/api/coverage/blind-spots?format=csv');
			expect(csv.status).toBe(200);
			expect(csv.cacheControl).toMatch(/\bno-store\b/);
			expect(csvRows(csv.text).find((r) => r.id === String(b4.id))!.households).toBe(SUPPRESSED_TEXT);
			expect(csvLeaks(csv.text)).toEqual([]);
			const geo = JSON.parse((await call(blindSpotsRoute, viewer, '/api/coverage/blind-spots?format=geojson')).text);
			expect(geo.features.find((f: { id: number }) => f.id === b4.id).properties).toMatchObject({ households: null, suppressed: ['households'] });
			expect(leaks(geo)).toEqual([]);

			for (const level of ['street', 'community', 'grid']) {
				const rcsv = await call(rankingsRoute, viewer, `/api/coverage/rankings?level=${level}&format=csv`);
				expect(csvLeaks(rcsv.text), `${level} CSV`).toEqual([]);
				const rgeo = JSON.parse((await call(rankingsRoute, viewer, `/api/coverage/rankings?level=${level}&format=geojson`)).text);
				expect(leaks(rgeo), `${level} GeoJSON`).toEqual([]);
				if (level === 'grid') {
					const row = csvRows(rcsv.text).find((r) => r.code === G211)!;
					expect([row.households, row.hh_cared, row.share_5min]).toEqual([SUPPRESSED_TEXT, SUPPRESSED_TEXT, SUPPRESSED_TEXT]);
				}
			}
		}
		// a viewer who sees persons exports the counts as they are
		const csv = await call(blindSpotsRoute, admin, '/api/coverage/blind-spots?format=csv');
		const spots = (await call(blindSpotsRoute, admin, '/api/coverage/blind-spots')).body.rows;
		const b4 = spots.find((s: { building_ids: number[] }) => s.building_ids.includes(4));
		expect(csvRows(csv.text).find((r) => r.id === String(b4.id))!.households).toBe('1');
		const rcsv = await call(rankingsRoute, admin, '/api/coverage/rankings?level=grid&format=csv');
		expect(csvRows(rcsv.text).find((r) => r.code === G211)!.households).toBe('1');
	});

	it('withholds small counts in the coverage tiles', async () => {
		const tiles = new TileService(db, { versionTtlMs: 0 });
		const grid = tileOf(lon(2500), lat(500), 13);
		const spot = tileOf(lon(2500), lat(520), 15);
		const g211 = async (persons: boolean) =>
			decode(await tiles.build('coverage_grid', grid, '', persons), 'coverage_grid').find((f) => f.properties.code === G211)!.properties;
		const counts = await g211(false);
		for (const k of ['households', 'share_5min', 'share_10min', 'share_15min']) expect(counts, k).not.toHaveProperty(k);
		expect(counts).toHaveProperty('coverage_index');
		expect(await g211(true)).toMatchObject({ households: 1, share_5min: 0 });
		const { id } = (await call(blindSpotsRoute, admin, '/api/coverage/blind-spots')).body.rows.find((s: { building_ids: number[] }) =>
			s.building_ids.includes(4)
		);
		const spotOf = async (persons: boolean) => decode(await tiles.build('gaps', spot, '', persons), 'gaps').find((f) => f.id === id)!.properties;
		expect(await spotOf(false)).not.toHaveProperty('households');
		expect((await spotOf(true)).households).toBe(1);
	});
	it('withholds small counts of households in what-if stations and suggested sites', async () => {
		const whatIf = async (viewer: Viewer, x: number, y: number) => {
			const request = new Request('http://localhost/api/coverage/whatif', { method: 'POST', body: JSON.stringify({ lon: lon(x), lat: lat(y) }) });
			const r = await (whatIfRoute as unknown as { POST: (e: never) => Promise<Response> }).POST({ request, locals: { viewer, user: null } } as never);
			return r.json();
		};
		/** every household count of a what-if: its totals and each community's */
		const countsOf = (w: { newly: (number | null)[]; communities: { households: number | null; before: (number | null)[]; newly: (number | null)[] }[] }) => [
			...w.newly,
			...w.communities.flatMap((c) => [c.households, ...c.before, ...c.newly])
		];
		const small = (ns: (number | null)[]) => ns.filter((n) => n !== null && n > 0 && n < SMALL_CELL_THRESHOLD);
		// a station beside each building: the one by building 4 (one household) newly covers a single household
		let smallForAdmin = 0;
		for (const [x, y] of Object.values(BUILDINGS)) {
			smallForAdmin += small(countsOf(await whatIf(admin, x, y + 20))).length;
			for (const viewer of countOnly.filter((v) => v.principal === 'planner')) {
				const w = await whatIf(viewer, x, y + 20);
				expect(small(countsOf(w)), `what-if at ${x},${y}`).toEqual([]);
			}
		}
		expect(smallForAdmin, 'the fixture has a what-if with a small count, or this test proves nothing').toBeGreaterThan(0);

		const gains = async (viewer: Viewer) =>
			(await call(suggestRoute, viewer, '/api/coverage/suggest?k=5&circle=1')).body.suggestions as { gain: number | null; cumulative: number | null }[];
		const adminGains = (await gains(admin)).map((s) => s.gain);
		const plannerRows = await gains(planner);
		expect(small(plannerRows.map((s) => s.gain))).toEqual([]);
		expect(plannerRows.map((s) => s.gain)).toEqual(adminGains.map((g) => (g !== null && g > 0 && g < SMALL_CELL_THRESHOLD ? null : g)));
		for (const r of plannerRows) if (r.gain === null) expect(r.cumulative).toBeNull();
	});
});
