// The production server of `npm start` (scripts/start.ts, its serving part) on a copy of build/:
// the security headers on every response, then adapter-node's handler, told that it speaks plain
// http through the forwarded-protocol header, as start.ts does. Run by app-server.ts startApp as
// `node bench/lib/app-entry.ts <build dir>`, with PORT, HOST and DATABASE_URL in the environment.
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setSecurityHeaders } from '../../src/lib/server/security-headers.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/lib/app-entry.ts <build dir>');
process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const { handler } = await import(pathToFileURL(join(resolve(dir), 'handler.js')).href);
const server = createServer((req, res) => {
	if (!process.env.TRUST_PROXY) req.headers['x-forwarded-proto'] = 'http';
	const proto = String(req.headers['x-forwarded-proto'] ?? '')
		.split(',')[0]
		.trim();
	setSecurityHeaders({ has: (name) => res.hasHeader(name), set: (name, value) => res.setHeader(name, value) }, proto === 'https');
	handler(req, res);
});
server.listen(port, host, () => console.log(`[start] serving on http://${host}:${port}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		server.close(() => process.exit(0));
		server.closeAllConnections();
	});
}
