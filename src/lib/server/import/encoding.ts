// Which text encoding a file or attribute table uses, when nothing says so: a BOM wins; then
// bytes that are valid UTF-8 are UTF-8; anything else from a Chinese source is GBK (read with
// the GB18030 decoder, its superset). A shapefile's .cpg, or the code page byte of its .dbf,
// is asked first (shapefileEncoding).
import { readFile, open } from 'node:fs/promises';

export type Encoding = 'UTF-8' | 'GBK' | 'UTF-16LE' | 'UTF-16BE';

/** The decoder label for an encoding (GBK read as its superset GB18030). */
export function decoderLabel(e: Encoding): string {
	return e === 'GBK' ? 'gb18030' : e.toLowerCase();
}

export function parseEncoding(s: string): Encoding | null {
	const k = s
		.trim()
		.toUpperCase()
		.replace(/[^A-Z0-9]/g, '');
	if (['UTF8', '65001'].includes(k)) return 'UTF-8';
	if (['GBK', 'GB2312', 'GB18030', 'CP936', '936', 'ANSI936', 'CP54936', '54936'].includes(k)) return 'GBK';
	if (['UTF16', 'UTF16LE'].includes(k)) return 'UTF-16LE';
	if (k === 'UTF16BE') return 'UTF-16BE';
	return null;
}

export function sniffEncoding(bytes: Uint8Array): { encoding: Encoding; bom: boolean } {
	if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'UTF-8', bom: true };
	if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'UTF-16LE', bom: true };
	if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'UTF-16BE', bom: true };
	// a sample may end inside a character: drop up to 3 trailing bytes of an unfinished sequence
	let end = bytes.length;
	for (let i = 1; i <= 3 && end - i >= 0; i++) {
		const b = bytes[end - i];
		if ((b & 0xc0) === 0xc0) {
			end -= i;
			break;
		}
		if ((b & 0x80) === 0) break;
	}
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
		return { encoding: 'UTF-8', bom: false };
	} catch {
		return { encoding: 'GBK', bom: false };
	}
}

/** The first `n` bytes of a file. */
export async function head(file: string, n = 1 << 20): Promise<Uint8Array> {
	const fh = await open(file, 'r');
	try {
		const buf = new Uint8Array(n);
		const { bytesRead } = await fh.read(buf, 0, n, 0);
		return buf.subarray(0, bytesRead);
	} finally {
		await fh.close();
	}
}

// dBASE language driver ids that mean a Chinese code page
const LDID_GBK = new Set([0x4d, 0x7a]); // 936 (GBK), 0x7a: PRC GBK in some writers

/**
 * The encoding of a shapefile's attribute table: its .cpg, else the .dbf's language driver byte,
 * else a sniff of the records (field names and values). `source` says which of these decided.
 */
export async function shapefileEncoding(dbf: string, cpg: string | null): Promise<{ encoding: Encoding; source: string }> {
	if (cpg) {
		const text = (await readFile(cpg, 'utf8')).trim();
		const e = parseEncoding(text);
		if (e) return { encoding: e, source: '.cpg' };
	}
	const bytes = await head(dbf, 4 << 20);
	if (bytes.length > 29 && LDID_GBK.has(bytes[29])) return { encoding: 'GBK', source: '.dbf code page' };
	// records only: the header's field descriptors hold binary lengths that are not text
	const headerLength = bytes.length > 10 ? bytes[8] | (bytes[9] << 8) : 0;
	return { encoding: sniffEncoding(bytes.subarray(Math.min(headerLength, bytes.length))).encoding, source: 'detected' };
}
