// An uploaded file, saved to a private temp folder with a bound on its size (counted while it
// arrives, whatever Content-Length claims); the name kept is the base name only, so nothing the
// client says can reach outside the folder.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class UploadTooLarge extends Error {}

/** the largest upload in bytes (JICENG_IMPORT_UPLOAD_MB, default 200) */
export function uploadLimit(): number {
	const mb = Number(process.env.JICENG_IMPORT_UPLOAD_MB ?? 200);
	return (Number.isFinite(mb) && mb > 0 ? mb : 200) * 1024 * 1024;
}

/** A file name as a plain base name: no folders, no control characters, at most 120 characters. */
export function safeName(name: string): string {
	const base = name.split(/[\\/]/).pop() ?? '';
	const clean = base
		.replace(/[\u0000-\u001f\u007f]/g, '')
		.replace(/^\.+/, '')
		.slice(-120);
	return clean || 'upload';
}

export async function saveUpload(
	body: ReadableStream<Uint8Array>,
	name: string,
	limit = uploadLimit()
): Promise<{ dir: string; file: string; bytes: number; remove: () => Promise<void> }> {
	const dir = await mkdtemp(path.join(tmpdir(), 'jiceng-upload-'));
	const file = path.join(dir, safeName(name));
	let bytes = 0;
	const count = new Transform({
		transform(chunk: Buffer, _enc, cb) {
			bytes += chunk.length;
			if (bytes > limit) cb(new UploadTooLarge(`the file is larger than the upload limit of ${Math.round(limit / 1048576)} MB`));
			else cb(null, chunk);
		}
	});
	const remove = () => rm(dir, { recursive: true, force: true });
	try {
		await pipeline(Readable.fromWeb(body as never), count, createWriteStream(file, { flags: 'wx' }));
	} catch (e) {
		await remove();
		throw e;
	}
	return { dir, file, bytes, remove };
}
