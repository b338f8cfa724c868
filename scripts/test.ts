// `npm test`: every test, on both backends and in a real browser. Starts a throwaway server
// PostGIS (unless TEST_DATABASE_URL names one), runs Vitest then Playwright, removes the server.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { startThrowawayPostgis, type ThrowawayPostgis } from './lib/throwaway-postgis.ts';

const log = (line: string) => console.log(line);
let server: ThrowawayPostgis | undefined;
const stop = () => server?.stop();
process.on('exit', stop);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

if (!process.env.TEST_DATABASE_URL) {
	server = await startThrowawayPostgis(log);
	process.env.TEST_DATABASE_URL = server.url;
}

function run(cmd: string, args: string[]): number {
	log(`\n$ ${cmd} ${args.join(' ')}`);
	return spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;
}

const only = process.argv[2]; // `npm test -- unit` or `npm test -- e2e`
rmSync('tests/artifacts/results', { recursive: true, force: true });
let status = run('npx', ['svelte-kit', 'sync']);
if (!only || only === 'unit') {
	status ||= 0;
	const unit = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=tests/artifacts/results/vitest.json']);
	status = status || unit;
}
if (!only || only === 'e2e') {
	const build = run('npx', ['vite', 'build']);
	const e2e = build || run('npx', ['playwright', 'test']);
	status = status || build || e2e;
}

// one closing line over both runners
let passed = 0;
let failed = 0;
if (existsSync('tests/artifacts/results/vitest.json')) {
	const v = JSON.parse(readFileSync('tests/artifacts/results/vitest.json', 'utf8'));
	passed += v.numPassedTests;
	failed += v.numFailedTests;
}
if (existsSync('tests/artifacts/results/playwright.json')) {
	const p = JSON.parse(readFileSync('tests/artifacts/results/playwright.json', 'utf8'));
	passed += p.stats.expected;
	failed += p.stats.unexpected;
}
stop();
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status || (failed ? 1 : 0));
