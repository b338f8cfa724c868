// Builds the bare page (bench/map-bare/index.html + main.ts) with Vite into data/tmp/bench-map/bare
// (gitignored; rebuilt only when its sources or the lockfile change), and serves it on a port of
// its own from a tiny node:http server that proxies /tiles/* to the app with a session cookie.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

const log = (line: string) => process.stderr.write(`${line}\n`);
const SRC = resolve('bench/map-bare');
export const BARE_OUT = resolve('data/tmp/bench-map/bare');

function sourceKey(): string {
	const h = createHash('sha256');
	for (const f of readdirSync(SRC).sort()) if (/\.(html|ts)$/.test(f) && f !== 'serve.ts') h.update(f).update(readFileSync(join(SRC, f)));
	h.update(readFileSync('package-lock.json'));
	return h.digest('hex').slice(0, 16);
}

/** Bundles the bare page unless an up-to-date bundle is there already. */
export async function buildBarePage(): Promise<void> {
	const key = sourceKey();
	const keyFile = join(BARE_OUT, '.key');
	if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key && existsSync(join(BARE_OUT, 'index.html'))) {
		log('[bench] bare page: bundle up to date');
		return;
	}
	const started = performance.now();
	const { build } = await import('vite');
	await build({
		configFile: false,
		root: SRC,
		base: './',
		logLevel: 'warn',
		build: { outDir: BARE_OUT, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1e6, reportCompressedSize: false }
	});
	writeFileSync(keyFile, key);
	log(`[bench] bare page: bundled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript',
	'.css': 'text/css',
	'.json': 'application/json',
	'.wasm': 'application/wasm',
	'.svg': 'image/svg+xml',
	'.png': 'image/png'
};

/** Serves the bundle and proxies /tiles/* to `appOrigin`, sending `cookie` with each tile request. */
export async function startBareServer(appOrigin: string, cookie: string): Promise<{ origin: string; stop: () => Promise<void> }> {
	const app = new URL(appOrigin);
	const agent = new Agent({ keepAlive: true, maxSockets: 16 });
	const server = createServer((req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		if (path.startsWith('/tiles/')) {
			const headers = { ...req.headers, host: app.host, cookie };
			const up = httpRequest({ host: app.hostname, port: app.port, path: req.url, method: req.method, headers, agent }, (r) => {
				res.writeHead(r.statusCode ?? 502, r.headers);
				r.pipe(res);
			});
			up.on('error', (e) => {
				res.writeHead(502, { 'content-type': 'text/plain' });
				res.end(`${e.message}\n`);
			});
			req.pipe(up);
			return;
		}
		if (path === '/favicon.ico') {
			res.writeHead(204);
			res.end();
			return;
		}
		const file = normalize(join(BARE_OUT, path === '/' ? 'index.html' : decodeURIComponent(path)));
		if (!file.startsWith(BARE_OUT) || !existsSync(file) || !statSync(file).isFile()) {
			res.writeHead(404, { 'content-type': 'text/plain' });
			res.end('not found\n');
			return;
		}
		res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
		res.end(readFileSync(file));
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		origin,
		stop: () =>
			new Promise<void>((ok) => {
				server.close(() => ok());
				server.closeAllConnections();
				agent.destroy();
			})
	};
}
