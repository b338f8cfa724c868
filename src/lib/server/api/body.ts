// A request body read with a ceiling: a declared length over it is refused before anything is
// read, and a body without one (chunked) is refused as soon as it passes the ceiling — never read
// whole first. The server's own limit (BODY_SIZE_LIMIT, scripts/start.ts) is set for an import's
// file, far above what a form or a JSON body may hold, so each reader bounds itself.
import { error } from '@sveltejs/kit';

export async function readCapped(request: Request, max: number, what: string): Promise<Uint8Array> {
	const refuse = (): never => error(413, `${what}: at most ${max} bytes`);
	if (Number(request.headers.get('content-length') ?? 0) > max) refuse();
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { value, done } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > max) {
			await reader.cancel().catch(() => {});
			refuse();
		}
		chunks.push(value);
	}
	const out = new Uint8Array(size);
	let at = 0;
	for (const c of chunks) {
		out.set(c, at);
		at += c.byteLength;
	}
	return out;
}
