// Import fixtures made at test time in a temp folder: area hierarchies around real data, zips
// (a minimal writer, so a test can make a zip bomb or a zip slip), broken files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import { sql } from 'kysely';
import type { Db } from '../../src/lib/server/db/open.ts';

export const REALDATA = path.resolve('../shared/realdata');

export function tempDir(): string {
	return mkdtempSync(path.join(tmpdir(), 'jiceng-import-test-'));
}

type Pos = [number, number];
type FC = {
	type: 'FeatureCollection';
	features: { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } | null }[];
};

export function readFc(file: string): FC {
	return JSON.parse(readFileSync(file, 'utf8')) as FC;
}

/** The bounding box of every coordinate of a FeatureCollection. */
export function bboxOf(fc: FC): [number, number, number, number] {
	const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
	const walk = (c: unknown): void => {
		if (Array.isArray(c) && typeof c[0] === 'number') {
			const [x, y] = c as Pos;
			b[0] = Math.min(b[0], x);
			b[1] = Math.min(b[1], y);
			b[2] = Math.max(b[2], x);
			b[3] = Math.max(b[3], y);
		} else if (Array.isArray(c)) c.forEach(walk);
	};
	for (const f of fc.features) if (f.geometry) walk(f.geometry.coordinates);
	return b;
}

/** A district › street › community › grid, each the same box around `bbox` (plus a margin): it tiles trivially. */
export function hierarchyAround(bbox: [number, number, number, number], district = '420111', margin = 0.005): FC {
	const [w, s, e, n] = [bbox[0] - margin, bbox[1] - margin, bbox[2] + margin, bbox[3] + margin];
	const ring = [
		[w, s],
		[e, s],
		[e, n],
		[w, n],
		[w, s]
	];
	const levels: [string, string, string][] = [
		[district, 'district', '区'],
		[`${district}001`, 'street', '街道'],
		[`${district}001001`, 'community', '社区'],
		[`${district}001001001`, 'grid', '网格']
	];
	return {
		type: 'FeatureCollection',
		features: levels.map(([code, level, name]) => ({
			type: 'Feature',
			properties: { code, level, name: `测试${name}` },
			geometry: { type: 'Polygon', coordinates: [ring] }
		}))
	};
}

/** The ring of a square d degrees wide with its south-west corner at (x, y), as Polygon coordinates. */
export function square(x: number, y: number, d = 0.0003): Pos[][] {
	return [
		[
			[x, y],
			[x + d, y],
			[x + d, y + d],
			[x, y + d],
			[x, y]
		]
	];
}

/** A FeatureCollection of the given features. */
export function featureCollection(features: unknown[]): { type: 'FeatureCollection'; features: unknown[] } {
	return { type: 'FeatureCollection', features };
}

export function writeJson(dir: string, name: string, value: unknown): string {
	const file = path.join(dir, name);
	writeFileSync(file, JSON.stringify(value));
	return file;
}

/** A zip with the given entries (deflated unless `stored`); names are written as given (zip slip tests). */
export function writeZip(file: string, entries: { name: string; data: Buffer; stored?: boolean }[]): string {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const e of entries) {
		const name = Buffer.from(e.name, 'utf8');
		const body = e.stored ? e.data : deflateRawSync(e.data);
		const crc = crc32(e.data);
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4);
		local.writeUInt16LE(0x800, 6);
		local.writeUInt16LE(e.stored ? 0 : 8, 8);
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(body.length, 18);
		local.writeUInt32LE(e.data.length, 22);
		local.writeUInt16LE(name.length, 26);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0);
		central.writeUInt16LE(20, 4);
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(0x800, 8);
		central.writeUInt16LE(e.stored ? 0 : 8, 10);
		central.writeUInt32LE(crc, 16);
		central.writeUInt32LE(body.length, 20);
		central.writeUInt32LE(e.data.length, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt32LE(offset, 42);
		locals.push(local, name, body);
		centrals.push(central, name);
		offset += 30 + name.length + body.length;
	}
	const cd = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12);
	end.writeUInt32LE(offset, 16);
	writeFileSync(file, Buffer.concat([...locals, cd, end]));
	return file;
}

/** What an import must leave alone when it fails: the data version and every table's row count. */
export async function snapshot(db: Db): Promise<string> {
	const { rows } = await sql<{ s: string }>`select concat_ws(',', (select version from data_version),
		(select count(*) from area), (select count(*) from building), (select count(*) from road), (select count(*) from service_centre),
		(select md5(coalesce(string_agg(code || name || ST_AsText(geom), '' order by code), '')) from area)) as s`.execute(db.kysely);
	return rows[0].s;
}
