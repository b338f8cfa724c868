// Layer exports (issue 13 part 2) through GET /api/export/<layer> as SvelteKit calls it: each
// format (GeoJSON, CSV, XLSX, Shapefile zip in UTF-8 and GBK) imports back through the import
// pipeline as the same data — the upsert by code or source id finds every feature unchanged,
// attributes and geometry alike (ST_AsBinary equal). Cells that a spreadsheet would run as a
// formula are defused in CSV and XLSX; an export is scoped to the caller's area and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { strFromU8, unzipSync } from 'fflate';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { account, lastAudit, outcome, serveDb } from '../auth/helpers.ts';
import { runImport } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import { viewerFor } from '../../src/lib/server/auth/viewer.ts';
import type { Viewer } from '../../src/lib/server/auth/viewer.ts';
import { bboxOf, hierarchyAround, readFc, REALDATA, tempDir, writeJson } from './../import/fixture.ts';

const T = 300_000;
const dir = tempDir();
type Handler = (e: never) => Promise<Response>;

function event(viewer: Viewer, layer: string, query: Record<string, string>) {
	const url = new URL(`http://localhost/api/export/${layer}?${new URLSearchParams(query)}`);
	return {
		locals: { user: null, viewer },
		url,
		params: { layer },
		request: new Request(url),
		getClientAddress: () => '10.1.2.3',
		setHeaders: () => {},
		cookies: { get: () => undefined, set: () => {}, delete: () => {} }
	} as never;
}

const FORMATS: [string, Record<string, string>, string][] = [
	['geojson', { format: 'geojson' }, 'geojson'],
	['csv', { format: 'csv' }, 'csv'],
	['xlsx', { format: 'xlsx' }, 'xlsx'],
	['shapefile UTF-8', { format: 'shp' }, 'zip'],
	['shapefile GBK', { format: 'shp', encoding: 'GBK' }, 'zip']
];

const TABLE: Record<string, string> = { areas: 'area', buildings: 'building', roads: 'road', service_centres: 'service_centre' };

/** a layer's rows as text: attributes and normalised geometry, sorted */
async function dump(db: TestDb, layer: string): Promise<string[]> {
	const { rows } = await sql<{
		r: string;
	}>`select (to_jsonb(t) - 'geom' - 'id') || jsonb_build_object('g', ST_AsText(ST_Normalize(ST_SnapToGrid(t.geom, 1e-9)))) as r from ${sql.table(TABLE[layer])} t`.execute(
		db.kysely
	);
	return rows.map((x) => JSON.stringify(x.r)).sort();
}

describe.each(backends)('layer exports on the %s backend', (backend) => {
	let db: TestDb;
	let restore: () => void;
	let GET: Handler;
	let admin: Viewer;
	const counts: Record<string, number> = {};

	beforeAll(async () => {
		db = await freshDb(backend);
		restore = serveDb(db);
		const buildings = path.join(REALDATA, 'osm-wuhan-guanggu/buildings.geojson');
		const areas = hierarchyAround(bboxOf(readFc(buildings)), '420111', 0.01);
		// a second community, so an area narrows the export
		await runImport(db, writeJson(dir, `areas-${backend}.geojson`, areas), { layer: 'areas', scope: SYSTEM });
		expect((await runImport(db, buildings, { layer: 'buildings', mapping: 'osm-buildings', scope: SYSTEM })).committed).toBe(true);
		expect(
			(await runImport(db, path.join(REALDATA, 'osm-wuhan-guanggu/roads.geojson'), { layer: 'roads', mapping: 'osm-roads', scope: SYSTEM })).committed
		).toBe(true);
		const [w, s] = bboxOf(readFc(buildings));
		const centres = {
			type: 'FeatureCollection',
			features: [
				{
					type: 'Feature',
					properties: {
						source_id: 'c1',
						name: '光谷社区党群服务中心',
						level: 'community',
						area_code: '420111001001',
						services: '党建;养老',
						opening_hours: '9:00-17:00'
					},
					geometry: { type: 'Point', coordinates: [w - 0.004, s - 0.004] }
				},
				{
					type: 'Feature',
					properties: { source_id: 'c2', name: '街道党群服务中心', level: 'street', area_code: '420111001', services: '', opening_hours: '' },
					geometry: { type: 'Point', coordinates: [w - 0.005, s - 0.003] }
				}
			]
		};
		expect((await runImport(db, writeJson(dir, `centres-${backend}.geojson`, centres), { layer: 'service_centres', scope: SYSTEM })).committed).toBe(true);
		for (const [layer, table] of [
			['areas', 'area'],
			['buildings', 'building'],
			['roads', 'road'],
			['service_centres', 'service_centre']
		]) {
			const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db.kysely);
			counts[layer] = Number(rows[0].n);
		}
		const user = await account(db.kysely, `admin-${backend}`, 'district_admin', '420111');
		admin = viewerFor('district_admin', '420111', user.accountId, user.username);
		({ GET } = (await import('../../src/routes/api/export/[layer]/+server.ts')) as unknown as { GET: Handler });
	}, T);
	afterAll(async () => {
		restore?.();
		await db?.drop();
	});

	for (const layer of ['areas', 'buildings', 'roads', 'service_centres']) {
		it.each(FORMATS)(
			`${layer}: %s exports every feature and imports back unchanged`,
			async (name, query, ext) => {
				const res = await GET(event(admin, layer, query));
				expect(res.status).toBe(200);
				expect(res.headers.get('content-disposition')).toMatch(new RegExp(`${layer}-420111-.*\\.${ext}"$`));
				const body = Buffer.from(await res.arrayBuffer());
				if (ext === 'csv') expect(body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
				if (ext === 'zip') {
					const files = unzipSync(body);
					expect(Object.keys(files).sort()).toEqual([`${layer}.cpg`, `${layer}.dbf`, `${layer}.prj`, `${layer}.shp`, `${layer}.shx`]);
					expect(strFromU8(files[`${layer}.cpg`]).trim()).toMatch(query.encoding === 'GBK' ? /936|GBK/ : /UTF-8/);
					expect(strFromU8(files[`${layer}.prj`])).toMatch(/WGS_1984|WGS 84/);
				}
				const before = await dump(db, layer);
				const file = path.join(dir, `${backend}-${layer}-${name.replace(/\W/g, '_')}.${ext}`);
				writeFileSync(file, body);
				// the district's own outline is the system's to import; the rest as the district's administrator
				const r = await runImport(db, file, {
					layer: layer as never,
					scope: layer === 'areas' ? SYSTEM : '420111',
					encoding: query.encoding === 'GBK' ? 'GBK' : undefined
				});
				expect(r.rejected, JSON.stringify(r.report.slice(0, 3))).toBe(0);
				expect(r.features).toBe(counts[layer]);
				// the same rows, attributes and geometry (to 1e-9°, rings in any order and orientation)
				expect(await dump(db, layer)).toEqual(before);
				expect(r.written.inserted).toBe(0);
				// GeoJSON, CSV and XLSX carry the coordinates exactly: nothing is even rewritten. A
				// Shapefile passes through GDAL's GeoJSON reader (last-digit rounding) and rewinds rings
				if (ext !== 'zip') expect(r.written).toEqual({ inserted: 0, updated: 0, unchanged: counts[layer] });
				expect(await lastAudit(db.kysely)).toMatchObject({
					action: 'export',
					result: 'ok',
					username: `admin-${backend}`,
					object: `${layer}.${query.format}${query.encoding ? ' GBK' : query.format === 'shp' ? ' UTF-8' : ''} 420111: ${counts[layer]} features`
				});
			},
			T
		);
	}

	it(
		"defuses formula cells in CSV and XLSX; keeps to the caller's area; refuses a bad layer or an area outside",
		async () => {
			await sql`update service_centre set name = '=HYPERLINK("http://x","y")' where source_id = 'c2'`.execute(db.kysely);
			const csv = await (await GET(event(admin, 'service_centres', { format: 'csv' }))).text();
			expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
			expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
			const xlsx = unzipSync(Buffer.from(await (await GET(event(admin, 'service_centres', { format: 'xlsx' }))).arrayBuffer()));
			const strings = Object.entries(xlsx)
				.filter(([n]) => /sharedStrings|sheet\d*\.xml/.test(n))
				.map(([, d]) => strFromU8(d))
				.join('');
			expect(strings).toContain(`'=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)`);
			expect(strings).not.toMatch(/<f>/);
			// a community narrows; a grid leader's export holds their grid only
			const community = JSON.parse(await (await GET(event(admin, 'service_centres', { format: 'geojson', area: '420111001001' }))).text()) as {
				features: unknown[];
			};
			expect(community.features).toHaveLength(1);
			const leader = viewerFor('community_secretary', '420111001001', null, 'cs');
			const theirs = JSON.parse(await (await GET(event(leader, 'service_centres', { format: 'geojson' }))).text()) as {
				features: { properties: { source_id: string } }[];
			};
			expect(theirs.features.map((f) => f.properties.source_id)).toEqual(['c1']);
			expect((await outcome(() => GET(event(leader, 'service_centres', { area: '420111' })))).status).toBe(404);
			expect((await outcome(() => GET(event(admin, 'lakes', {})))).status).toBe(400);
			expect((await outcome(() => GET(event(admin, 'roads', { format: 'pdf' })))).status).toBe(400);
		},
		T
	);
});
