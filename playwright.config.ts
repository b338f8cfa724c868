import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.e2e.ts',
	outputDir: 'tests/artifacts/playwright',
	timeout: 60_000,
	workers: 1,
	// one retry: a test that passes only on its second run is still named in `npm test`'s closing
	// lines as flaky (scripts/test.ts), never silently green; software WebGL on a loaded machine
	// makes a few of these tests slow, and a rare timing loss should not fail a run
	retries: 1,
	reporter: [['list'], ['json', { outputFile: 'tests/artifacts/results/playwright.json' }]],
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		viewport: { width: 1280, height: 800 },
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync']
		}
	},
	webServer: {
		// a fresh embedded database with the small demo, on the production build
		command: `rm -rf data/pglite-e2e && node scripts/start.ts`,
		// ORIGIN: adapter-node assumes https without it, and then refuses every form post from
		// http://127.0.0.1 as cross-site (the sign-in form included)
		env: {
			PORT: String(port),
			PGLITE_DIR: 'data/pglite-e2e',
			JICENG_DEMO: 'small',
			JICENG_DEMO_PASSWORD: 'Demo-Pass-2026!',
			DATABASE_URL: '',
			// every run signs in from 127.0.0.1, and the login fuzz fails ~60 times: widen the
			// per-address throttle (tests/auth/lockout-race.test.ts covers it at its default)
			JICENG_LOGIN_THROTTLE: '1000/300',
			ORIGIN: `http://127.0.0.1:${port}`
		},
		url: `http://127.0.0.1:${port}/api/health`,
		timeout: 180_000,
		reuseExistingServer: false,
		stdout: 'pipe'
	}
});
