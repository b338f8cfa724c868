// kill -9 during an import leaves the database exactly as before: `npm run import` as a child
// process on a large generated file, killed while it reads; then the CLI contract (one JSON line
// on stdout, exit 0 unless the file is unreadable) on the same database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { openDb, type Db } from '../../src/lib/server/db/open.ts';
import { snapshot, hierarchyAround, tempDir, writeJson } from './fixture.ts';

const T = 300_000;
const dir = tempDir();

/** n small square buildings in rows across the box (30,000 ≈ 6 MB) */
async function bigFile(n: number): Promise<string> {
	const file = path.join(dir, `big-${n}.geojson`);
	const out = createWriteStream(file);
	out.write('{"type":"FeatureCollection","features":[\n');
	const per = Math.ceil(Math.sqrt(n));
	for (let i = 0; i < n; i++) {
		const x = 114.4001 + (i % per) * (0.0199 / per);
		const y = 30.5001 + Math.floor(i / per) * (0.0199 / per);
		const d = 0.3 * (0.0199 / per);
		const f = {
			type: 'Feature',
			properties: { id: `k${i}`, floors: 6 },
			geometry: {
				type: 'Polygon',
				coordinates: [
					[
						[x, y],
						[x + d, y],
						[x + d, y + d],
						[x, y + d],
						[x, y]
					]
				]
			}
		};
		if (!out.write(`${i ? ',' : ''}${JSON.stringify(f)}\n`)) await once(out, 'drain');
	}
	out.end(']}\n');
	await once(out, 'finish');
	return file;
}

function cli(args: string[], env: Record<string, string>) {
	return spawn(process.execPath, ['scripts/import.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finish(child: ReturnType<typeof cli>): Promise<{ code: number | null; stdout: string; stderr: string }> {
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (c) => (stdout += c));
	child.stderr!.on('data', (c) => (stderr += c));
	const [code] = (await once(child, 'close')) as [number | null];
	return { code, stdout, stderr };
}

describe.each(backends)('kill -9 during an import on the %s backend', (backend) => {
	let server: TestDb | null = null;
	const pgliteDir = path.join(dir, `pglite-${backend}`);
	const env: Record<string, string> = {};
	const open = async (): Promise<Db> => (backend === 'server' ? server! : openDb({ backend: 'embedded', dataDir: pgliteDir }));
	const close = async (db: Db) => {
		if (backend === 'embedded') await db.close();
	};

	beforeAll(async () => {
		if (backend === 'server') {
			server = await freshDb('server');
			env.DATABASE_URL = server.url!;
		} else {
			env.PGLITE_DIR = pgliteDir;
			delete process.env.DATABASE_URL;
		}
		const areas = writeJson(dir, `kill-areas-${backend}.geojson`, hierarchyAround([114.4, 30.5, 114.42, 30.52], '420111', 0));
		const r = await finish(cli([areas, '--layer', 'areas'], env));
		expect(r.code).toBe(0);
		expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ features: 4, accepted: 4, committed: true });
	}, T);
	afterAll(async () => {
		await server?.drop();
	});

	it(
		'a killed import leaves the database as it was; the same file then imports whole',
		async () => {
			const file = await bigFile(30_000);
			let db = await open();
			const before = await snapshot(db);
			await close(db);

			const child = cli([file, '--layer', 'buildings'], env);
			let stderr = '';
			child.stderr!.on('data', (c) => (stderr += c));
			// kill it once it is streaming features into its transaction
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no progress within 120 s: ${stderr}`)), 120_000);
				child.stderr!.on('data', () => {
					if (/\[import\] reading: [1-9]/.test(stderr)) {
						clearTimeout(timer);
						resolve();
					}
				});
			});
			child.kill('SIGKILL');
			await once(child, 'close');

			db = await open();
			expect(await snapshot(db)).toBe(before);
			await close(db);

			// the same file, not killed: every building in, the JSON line last on stdout
			const r = await finish(cli([file, '--layer', 'buildings'], env));
			expect(r.code).toBe(0);
			const line = JSON.parse(r.stdout.trim().split('\n').pop()!);
			expect(line).toMatchObject({ features: 30_000, accepted: 30_000, rejected: 0, crs: 'EPSG:4326', encoding: 'UTF-8', layer: 'buildings', committed: true });
			expect(Object.keys(line).slice(0, 6)).toEqual(['features', 'accepted', 'rejected', 'crs', 'encoding', 'layer']);
			expect(r.stderr).toMatch(/features\/s/);
		},
		T
	);

	it(
		'the CLI exits 1 with a JSON line only when the file cannot be read; a dry run writes nothing',
		async () => {
			const missing = await finish(cli([path.join(dir, 'nope.geojson'), '--layer', 'roads'], env));
			expect(missing.code).toBe(1);
			expect(JSON.parse(missing.stdout.trim())).toMatchObject({ features: 0, error: expect.stringMatching(/no such file/) });
			let db = await open();
			const before = await snapshot(db);
			await close(db);
			const dry = await finish(
				cli(
					[
						writeJson(dir, `one-${backend}.geojson`, {
							type: 'FeatureCollection',
							features: [{ type: 'Feature', properties: { name: '站', lon: 1 }, geometry: { type: 'Point', coordinates: [114.41, 30.51] } }]
						}),
						'--layer',
						'service_centres',
						'--dry-run'
					],
					env
				)
			);
			expect(dry.code).toBe(0);
			expect(JSON.parse(dry.stdout.trim())).toMatchObject({ features: 1, accepted: 1, dry_run: true, committed: false });
			db = await open();
			expect(await snapshot(db)).toBe(before);
			await close(db);
		},
		T
	);
});
