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

const only = process.argv[2]; // `npm test -- unit`, `-- e2e`, `-- static` or `-- faults`
rmSync('tests/artifacts/results', { recursive: true, force: true });
// every step that ends badly is named at the end: a run can fail with no failing test (a suite
// that could not start, an error outside any test, a build that broke)
const badSteps: string[] = [];
function step(name: string, cmd: string, args: string[]): number {
	const code = run(cmd, args);
	if (code !== 0) badSteps.push(`${name} (exit ${code})`);
	return code;
}
step('svelte-kit sync', 'npx', ['svelte-kit', 'sync']);
// the static checks first: types (svelte-check) and lint (ESLint), cheap next to the suites
if (!only || only === 'unit' || only === 'static') {
	step('svelte-check', 'npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--fail-on-warnings']);
	step('eslint', 'npx', ['eslint', '.']);
	step('prettier', 'npx', ['prettier', '--check', '.']);
}
if (!only || only === 'unit') {
	step('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=tests/artifacts/results/vitest.json']);
}
if (!only || only === 'e2e') {
	if (step('vite build', 'npx', ['vite', 'build']) === 0) step('playwright', 'npx', ['playwright', 'test']);
}
// the faults (database restarts, crashes, a full disk, kill -9) against the built app: ≈ 5 min, last
if (!only || only === 'faults') step('fault tests', 'node', ['scripts/test-faults.ts']);

// one closing line over both runners
let passed = 0;
let failed = 0;
const brokenSuites: string[] = [];
// each failing (or flaky) test named with the first line of its error, so a log's tail says which
const failures: string[] = [];
const firstLine = (text: unknown) =>
	String(text ?? '')
		.replace(/\x1b\[[0-9;]*m/g, '')
		.split('\n')
		.find((line) => line.trim())
		?.slice(0, 300) ?? '';
if (existsSync('tests/artifacts/results/vitest.json')) {
	const v = JSON.parse(readFileSync('tests/artifacts/results/vitest.json', 'utf8'));
	passed += v.numPassedTests;
	failed += v.numFailedTests;
	for (const file of v.testResults ?? []) {
		for (const a of file.assertionResults ?? []) {
			if (a.status === 'failed') failures.push(`vitest ${file.name.replace(process.cwd() + '/', '')} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
		}
	}
	// a file whose set-up failed counts no failed test: name it
	for (const file of v.testResults ?? []) {
		if (file.status === 'failed' && !(file.assertionResults ?? []).some((a: { status: string }) => a.status === 'failed')) {
			brokenSuites.push(
				`${file.name.replace(process.cwd() + '/', '')}: ${String(file.message ?? '')
					.split('\n')[0]
					.slice(0, 300)}`
			);
		}
	}
}
if (existsSync('tests/artifacts/results/playwright.json')) {
	const p = JSON.parse(readFileSync('tests/artifacts/results/playwright.json', 'utf8'));
	passed += p.stats.expected;
	failed += p.stats.unexpected;
	type Result = { status: string; error?: { message?: string } };
	type Spec = { title: string; file: string; tests: { status: string; results: Result[] }[] };
	type Suite = { suites?: Suite[]; specs?: Spec[] };
	const walk = (suite: Suite) => {
		for (const spec of suite.specs ?? []) {
			for (const t of spec.tests) {
				if (t.status !== 'unexpected' && t.status !== 'flaky') continue;
				const error = t.results.find((r) => r.status !== 'passed')?.error?.message;
				failures.push(`playwright ${t.status === 'flaky' ? '(flaky, passed on retry) ' : ''}${spec.file} › ${spec.title}: ${firstLine(error)}`);
			}
		}
		for (const inner of suite.suites ?? []) walk(inner);
	};
	for (const suite of p.suites ?? []) walk(suite);
}
stop();
for (const failure of failures) console.log(`failed: ${failure}`);
for (const suite of brokenSuites) console.log(`suite failed outside its tests: ${suite}`);
if (badSteps.length) console.log(`steps that failed: ${badSteps.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed${brokenSuites.length ? `, ${brokenSuites.length} suites failed to run` : ''}`);
process.exit(badSteps.length || failed ? 1 : 0);
