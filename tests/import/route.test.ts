// The import route as SvelteKit calls it: a district administrator's dry run streams progress and
// a result with the report, its CSV and a preview; the commit writes within their district only;
// every run is audited; other roles are refused; an upload beyond the bound is refused before
// anything is read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { account, lastAudit, outcome, serveDb } from '../auth/helpers.ts';
import { runImport } from '../../src/lib/server/import/run.ts';
import { SYSTEM } from '../../src/lib/server/db/scoped.ts';
import type { SessionUser } from '../../src/lib/server/auth/sessions.ts';
import type { ImportLine } from '../../src/lib/api/import.ts';
import { hierarchyAround, REALDATA, snapshot, tempDir, writeJson } from './fixture.ts';

const T = 240_000;
const dir = tempDir();

function event(user: SessionUser, query: Record<string, string>, body: BodyInit) {
	const url = new URL(`http://localhost/api/import?${new URLSearchParams(query)}`);
	return {
		locals: { user, viewer: null },
		url,
		params: {},
		request: new Request(url, { method: 'POST', body, duplex: 'half' } as RequestInit),
		getClientAddress: () => '10.1.2.3',
		setHeaders: () => {},
		cookies: { get: () => undefined, set: () => {}, delete: () => {} }
	} as never;
}

async function lines(res: Response): Promise<ImportLine[]> {
	return (await res.text())
		.trim()
		.split('\n')
		.map((l) => JSON.parse(l) as ImportLine);
}

describe.each(backends)('POST /api/import on the %s backend', (backend) => {
	let db: TestDb;
	let restore: () => void;
	let admin: SessionUser;
	let other: SessionUser;
	let secretary: SessionUser;
	let POST: (e: never) => Promise<Response>;
	const buildings = readFileSync(path.join(REALDATA, 'osm-wuhan-guanggu/buildings.geojson'));

	beforeAll(async () => {
		db = await freshDb(backend);
		restore = serveDb(db);
		// Wuhan's hierarchy as district 420111, and a second district far away
		const wuhan = hierarchyAround([114.39, 30.49, 114.43, 30.53], '420111', 0.01);
		const elsewhere = hierarchyAround([121.4, 31.2, 121.5, 31.3], '310101', 0);
		await runImport(db, writeJson(dir, `areas-${backend}.geojson`, { type: 'FeatureCollection', features: [...wuhan.features, ...elsewhere.features] }), {
			layer: 'areas',
			scope: SYSTEM
		});
		admin = await account(db.kysely, `admin-${backend}`, 'district_admin', '420111');
		other = await account(db.kysely, `other-${backend}`, 'district_admin', '310101');
		secretary = await account(db.kysely, `sec-${backend}`, 'street_secretary', '420111001');
		({ POST } = (await import('../../src/routes/api/import/+server.ts')) as unknown as { POST: (e: never) => Promise<Response> });
	}, T);
	afterAll(async () => {
		restore?.();
		await db?.drop();
	});

	it(
		'a dry run streams progress, then the result with report, CSV and preview; nothing written; audited',
		async () => {
			const before = await snapshot(db);
			const res = await POST(event(admin, { layer: 'buildings', name: 'buildings.geojson', mapping: 'osm-buildings', dry_run: '1' }, buildings));
			expect(res.headers.get('content-type')).toMatch(/x-ndjson/);
			const got = await lines(res);
			const result = got.at(-1)!;
			expect(result.type).toBe('result');
			if (result.type !== 'result') return;
			expect(result).toMatchObject({ dry_run: true, committed: false, layer: 'buildings', crs: 'EPSG:4326' });
			expect(result.accepted).toBeGreaterThan(100);
			expect(result.preview.features.length).toBeGreaterThan(10);
			expect(result.report_csv.startsWith('\ufefffile,feature,field,reason,action')).toBe(true);
			expect(await snapshot(db)).toBe(before);
			expect(await lastAudit(db.kysely)).toMatchObject({
				action: 'import',
				result: 'ok',
				username: `admin-${backend}`,
				object: expect.stringMatching(/^buildings buildings\.geojson: .*dry run/)
			});
		},
		T
	);

	it(
		"the import commits within the district; the same import by another district's administrator is refused feature by feature",
		async () => {
			const res = await POST(event(admin, { layer: 'buildings', name: 'buildings.geojson', mapping: 'osm-buildings' }, buildings));
			const result = (await lines(res)).at(-1)!;
			expect(result).toMatchObject({ type: 'result', committed: true });
			const { rows } = await sql<{ n: number }>`select count(*)::int as n from building where grid_code like '420111%'`.execute(db.kysely);
			expect(Number(rows[0].n)).toBeGreaterThan(100);

			const before = await snapshot(db);
			const theirs = (await lines(await POST(event(other, { layer: 'buildings', name: 'b.geojson', mapping: 'osm-buildings', dry_run: '1' }, buildings)))).at(
				-1
			)!;
			expect(theirs.type).toBe('result');
			if (theirs.type === 'result') {
				expect(theirs.accepted).toBe(0);
				expect(theirs.report.some((r) => /outside your area: grid 420111/.test(r.reason))).toBe(true);
			}
			expect(await snapshot(db)).toBe(before);
		},
		T
	);

	it(
		'refuses other roles, an unreadable file with its message, and an upload over the bound',
		async () => {
			expect((await outcome(() => POST(event(secretary, { layer: 'roads', name: 'r.geojson' }, '{}')))).status).toBe(403);
			const bad = await lines(await POST(event(admin, { layer: 'roads', name: 'r.geojson' }, '{"type":"FeatureCollection","features":[')));
			expect(bad.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/truncated or broken/) });
			expect(await lastAudit(db.kysely)).toMatchObject({ action: 'import', result: 'error' });
			process.env.JICENG_IMPORT_UPLOAD_MB = '0.01';
			try {
				expect((await outcome(() => POST(event(admin, { layer: 'roads', name: 'r.geojson' }, new Uint8Array(64 * 1024))))).status).toBe(413);
			} finally {
				delete process.env.JICENG_IMPORT_UPLOAD_MB;
			}
			expect((await outcome(() => POST(event(admin, { layer: 'lakes', name: 'r.geojson' }, '{}')))).status).toBe(400);
		},
		T
	);
});
