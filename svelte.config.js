import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { CSP_DIRECTIVES } from './src/lib/server/csp.js';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		adapter: adapter({ out: 'build' }),
		// keep the origin check on: state-changing form posts from other sites are refused
		csrf: { trustedOrigins: [] },
		// the policy lives in src/lib/server/csp.js: pages get it here, with a nonce or hashes;
		// security-headers.ts sends the same policy on every other response
		csp: { mode: 'auto', directives: CSP_DIRECTIVES },
		// src/service-worker.ts (offline viewing of the grid pages) is registered by those pages
		// only, in a secure context (src/lib/offline/viewing.ts), not by every page
		serviceWorker: { register: false }
	}
};

export default config;
