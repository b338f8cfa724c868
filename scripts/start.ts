// `npm start`: build if needed, migrate, load the demo district into an empty database, serve.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { acquireFolderLock, FolderLockedError } from '../src/lib/server/db/folder-lock.ts';
import { EmbeddedFolderError } from '../src/lib/server/db/embedded.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { seedDemo, SCALES, type ScaleName } from '../src/lib/server/seed/index.ts';
import { createDemoAccounts, printDemoAccounts } from '../src/lib/server/auth/demo-accounts.ts';
import { setSecurityHeaders } from '../src/lib/server/security-headers.ts';

const log = (line: string) => console.log(line);

function newestMtime(path: string): number {
	const stat = statSync(path);
	if (!stat.isDirectory()) return stat.mtimeMs;
	return Math.max(stat.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

function ensureBuild(): void {
	const built = existsSync('build/index.js') ? statSync('build/index.js').mtimeMs : 0;
	const sources = Math.max(newestMtime('src'), newestMtime('static'), statSync('package.json').mtimeMs);
	if (built >= sources) return;
	log(built ? '[start] sources changed since the last build: rebuilding' : '[start] no production build yet: building');
	const result = spawnSync('npx', ['vite', 'build'], { stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}

async function loadDemoIfEmpty(): Promise<void> {
	const config = readDbConfig();
	const demo = process.env.JICENG_DEMO ?? 'district';
	const db = await openDb(config);
	try {
		await migrate(db, (line) => log(`[db] ${line}`));
		const loaded = await db.kysely.selectFrom('area').select('code').limit(1).executeTakeFirst();
		if (loaded || demo === 'off') return;
		if (!(demo in SCALES)) {
			throw new ConfigError(`JICENG_DEMO must be off or one of ${Object.keys(SCALES).join(', ')}, not "${demo}"`);
		}
		log(`[start] empty database: loading the ${demo} demo dataset (seed 1)`);
		await seedDemo(db, { scale: demo as ScaleName, seed: 1, log });
		const { accounts, kioskToken } = await createDemoAccounts(db.kysely, process.env.JICENG_DEMO_PASSWORD || undefined);
		printDemoAccounts(log, accounts, kioskToken, `http://localhost:${process.env.PORT ?? 3000}`);
	} finally {
		await db.close();
	}
}

try {
	const config = readDbConfig(); // a malformed DATABASE_URL fails before a long build
	// the embedded folder is this process's for its whole life (a second `npm start` on it is
	// refused here, before the build); released when the process exits
	if (config.backend === 'embedded' && !config.dataDir.startsWith('memory://')) acquireFolderLock(config.dataDir, log);
	ensureBuild();
	await loadDemoIfEmpty();
} catch (e) {
	if (e instanceof ConfigError || e instanceof FolderLockedError || e instanceof EmbeddedFolderError) {
		console.error(`start: ${e.message}`);
		process.exit(2);
	}
	throw e;
}
// adapter-node assumes https unless told otherwise, and SvelteKit's origin check (kept on) then
// refuses every form post made over plain http. Tell it the protocol this server really speaks:
// http here, or whatever a trusted TLS proxy in front says (TRUST_PROXY=1).
process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
// adapter-node refuses request bodies over 512 kB unless told: an import's file is a request body
// (POST /api/import), bounded by its own limit (JICENG_IMPORT_UPLOAD_MB, default 200), so let that
// one decide; every other route bounds its body itself before reading it (api/endpoint.ts, page.ts)
process.env.BODY_SIZE_LIMIT ??= `${Number(process.env.JICENG_IMPORT_UPLOAD_MB ?? 200) + 1}M`;
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
// a computed specifier: the type checker must not wander into the build output
const { handler } = await import(new URL('../build/handler.js', import.meta.url).href);
// adapter-node's "custom server": its handler serves static/ (glyphs, favicon) and the built
// assets under /_app/immutable itself, before SvelteKit's hooks run, so the security headers are
// set here first, on every response (SvelteKit's own, a page's CSP with its nonce included, then
// take precedence where they name the same header).
const server = createServer((req, res) => {
	if (!process.env.TRUST_PROXY) req.headers['x-forwarded-proto'] = 'http';
	const proto = String(req.headers['x-forwarded-proto'] ?? '')
		.split(',')[0]
		.trim();
	setSecurityHeaders({ has: (name) => res.hasHeader(name), set: (name, value) => res.setHeader(name, value) }, proto === 'https');
	handler(req, res);
});
server.listen(port, host, () => log(`[start] serving on http://localhost:${port}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		server.close(() => process.exit(0));
		server.closeAllConnections();
	});
}
