// Unpacking an uploaded zip into a private folder, refusing what a hostile zip does:
// names that leave the folder (zip slip: absolute paths, `..`, drive letters, backslashes),
// too many entries, entries that inflate beyond the ratio or the total size limit (zip bombs),
// and entries whose real size differs from the size they declare (checked while inflating).
// Names are decoded as UTF-8 when the entry says so (bit 11), else as GB18030: Chinese Windows
// zips store names in the local code page, which yauzl would show as CP437 garbage (STACK.md).
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import type { ImportLimits } from './limits.ts';
import { UnreadableFile } from './types.ts';

const gbk = new TextDecoder('gb18030');
const utf8 = new TextDecoder('utf-8');

export function zipEntryName(raw: Buffer | string, flags: number): string {
	if (typeof raw === 'string') return raw;
	return (flags & 0x800 ? utf8 : gbk).decode(raw);
}

/** Extracts every file entry of `zipPath` under `dir`; returns the extracted paths (relative). */
export async function extractZip(zipPath: string, dir: string, limits: ImportLimits): Promise<string[]> {
	const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
		yauzl.open(zipPath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (e, z) =>
			e ? reject(new UnreadableFile(`not a readable zip: ${e.message}`)) : resolve(z)
		)
	);
	if (zip.entryCount > limits.maxZipEntries) {
		zip.close();
		throw new UnreadableFile(`zip has ${zip.entryCount} entries, more than the limit of ${limits.maxZipEntries}`);
	}
	const root = path.resolve(dir);
	const out: string[] = [];
	let total = 0;
	try {
		await new Promise<void>((resolve, reject) => {
			zip.on('error', (e: Error) => reject(e instanceof UnreadableFile ? e : new UnreadableFile(`broken zip: ${e.message}`)));
			zip.on('end', () => resolve());
			zip.on('entry', (entry: yauzl.Entry) => {
				void (async () => {
					const name = zipEntryName(entry.fileName as unknown as Buffer, entry.generalPurposeBitFlag);
					const bad = yauzl.validateFileName(name) ?? (name.includes('\\') ? 'backslash in name' : null);
					const target = path.resolve(root, name);
					if (bad || (target !== root && !target.startsWith(root + path.sep))) {
						throw new UnreadableFile(`zip entry "${name}" would be written outside the upload folder (${bad ?? 'path escapes'})`);
					}
					if (name.endsWith('/')) return zip.readEntry();
					const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
					if (ratio > limits.maxZipRatio) {
						throw new UnreadableFile(`zip entry "${name}" inflates ${Math.round(ratio)}:1, beyond the limit of ${limits.maxZipRatio}:1 (a zip bomb?)`);
					}
					total += entry.uncompressedSize;
					if (total > limits.maxBytes) throw new UnreadableFile(`zip content exceeds the size limit of ${Math.round(limits.maxBytes / 1048576)} MB`);
					await mkdir(path.dirname(target), { recursive: true });
					const stream = await new Promise<NodeJS.ReadableStream>((res, rej) => zip.openReadStream(entry, (e, s) => (e ? rej(e) : res(s))));
					// count what really inflates, whatever the entry declares
					let seen = 0;
					const guard = new Transform({
						transform(chunk: Buffer, _enc, cb) {
							seen += chunk.length;
							if (seen > entry.uncompressedSize || seen > limits.maxBytes) cb(new UnreadableFile(`zip entry "${name}" inflates beyond its declared size`));
							else cb(null, chunk);
						}
					});
					await pipeline(stream, guard, createWriteStream(target, { flags: 'wx' }));
					out.push(name);
					zip.readEntry();
				})().catch((e: Error) => {
					reject(e instanceof UnreadableFile ? e : new UnreadableFile(`broken zip: ${e.message}`));
				});
			});
			zip.readEntry();
		});
	} finally {
		try {
			zip.close();
		} catch {
			// already closed at its end
		}
	}
	return out;
}
