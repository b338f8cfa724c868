// `npm run test:faults`: the fault tests (tests/faults, issue 14 part 2) against the built app. Builds
// it (under /tmp/e2e.lock where flock exists, beside other builds on a shared machine), copies the
// build to tests/artifacts/faults-build so a later rebuild cannot change it under a running server,
// then runs the tests; each starts a throwaway PostGIS of its own (pg_ctl stops and starts it).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const copy = 'tests/artifacts/faults-build';
const build = () => {
	const flock = ['/usr/bin/flock', '/bin/flock'].find((p) => existsSync(p));
	const script = `npx vite build && rm -rf ${copy} && mkdir -p tests/artifacts && cp -r build ${copy}`;
	const r = flock ? spawnSync(flock, ['/tmp/e2e.lock', 'bash', '-c', script], { stdio: 'inherit' }) : spawnSync('bash', ['-c', script], { stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!process.env.FAULTS_BUILD) {
	rmSync(copy, { recursive: true, force: true });
	build();
}
const r = spawnSync('npx', ['vitest', 'run', 'tests/faults', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, JICENG_FAULTS: '1' } });
process.exit(r.status ?? 1);
