// The app's Content-Security-Policy, in one place. Plain JavaScript because svelte.config.js
// (loaded by Node before any TypeScript tooling) reads it for `kit.csp`, which puts it, with a
// nonce or hashes, on every page SvelteKit renders; security-headers.ts sends the same policy on
// every other response (JSON, redirects, early refusals, static files and built assets — the MVT
// worker script under /_app/immutable runs under the policy of its own response).
//
// No unsafe-eval anywhere; MapLibre and loaders.gl start their workers from blob: URLs, deck.gl
// loads its icons (drawn in code) from data: URLs.

/** @type {NonNullable<NonNullable<import('@sveltejs/kit').KitConfig['csp']>['directives']>} */
export const CSP_DIRECTIVES = {
	'default-src': ['self'],
	'script-src': ['self'],
	'style-src': ['self', 'unsafe-inline'],
	'img-src': ['self', 'data:', 'blob:'],
	'font-src': ['self'],
	'connect-src': ['self', 'data:', 'blob:'],
	'worker-src': ['self', 'blob:'],
	'child-src': ['self', 'blob:'],
	'object-src': ['none'],
	'base-uri': ['self'],
	'form-action': ['self'],
	'frame-ancestors': ['none']
};
