// A request's photo (issue 11 part 3). The device resizes it; the server checks the type by its
// bytes (never the name or the declared type), caps the size, and removes every metadata segment
// (EXIF with its GPS position, XMP, ICC, comments) so what is stored holds pixels only.
export const PHOTO_MAX_BYTES = 1024 * 1024;

export type PhotoResult =
	| { ok: true; bytes: Uint8Array; type: 'image/jpeg' | 'image/png' }
	| { ok: false; status: 400 | 413; error: 'photo_not_image' | 'photo_too_large' | 'photo_corrupt' };

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImage(b: Uint8Array): 'image/jpeg' | 'image/png' | null {
	if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
	if (b.length >= 8 && PNG_SIG.every((v, i) => b[i] === v)) return 'image/png';
	return null;
}

/** JPEG without APP1–APP15 (EXIF, XMP, ICC, …) and COM segments; APP0 (JFIF) is kept. */
export function stripJpeg(b: Uint8Array): Uint8Array | null {
	const out: Uint8Array[] = [b.subarray(0, 2)];
	let i = 2;
	while (i + 4 <= b.length) {
		if (b[i] !== 0xff) return null;
		const marker = b[i + 1];
		if (marker === 0xff) {
			i += 1; // fill byte
			continue;
		}
		if (marker === 0xd9) {
			out.push(b.subarray(i, i + 2));
			return concat(out);
		}
		const len = (b[i + 2] << 8) | b[i + 3];
		if (len < 2 || i + 2 + len > b.length) return null;
		const segment = b.subarray(i, i + 2 + len);
		if (marker === 0xda) {
			// start of scan: the entropy-coded data and everything after it
			out.push(b.subarray(i));
			return concat(out);
		}
		const metadata = (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe;
		if (!metadata) out.push(segment);
		i += 2 + len;
	}
	return null;
}

const PNG_KEEP_ANCILLARY = new Set(['PLTE', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'bKGD', 'pHYs', 'sBIT']);

/** PNG with only its critical chunks and colour-related ancillary ones (no eXIf, tEXt, iTXt, zTXt, tIME, iCCP). */
export function stripPng(b: Uint8Array): Uint8Array | null {
	const out: Uint8Array[] = [b.subarray(0, 8)];
	let i = 8;
	const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
	while (i + 12 <= b.length) {
		const len = view.getUint32(i);
		const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
		if (i + 12 + len > b.length) return null;
		const critical = type === 'IHDR' || type === 'IDAT' || type === 'IEND';
		if (critical || PNG_KEEP_ANCILLARY.has(type)) out.push(b.subarray(i, i + 12 + len));
		i += 12 + len;
		if (type === 'IEND') return concat(out);
	}
	return null;
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

/** Checks and cleans an uploaded photo; nothing is stored unless this says ok. */
export function cleanPhoto(bytes: Uint8Array): PhotoResult {
	if (bytes.length > PHOTO_MAX_BYTES) return { ok: false, status: 413, error: 'photo_too_large' };
	const type = sniffImage(bytes);
	if (!type) return { ok: false, status: 400, error: 'photo_not_image' };
	const clean = type === 'image/jpeg' ? stripJpeg(bytes) : stripPng(bytes);
	if (!clean) return { ok: false, status: 400, error: 'photo_corrupt' };
	return { ok: true, bytes: clean, type };
}
