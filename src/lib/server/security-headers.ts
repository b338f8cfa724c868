// The security headers every response carries: pages, JSON, redirects, the hooks' early refusals
// (hooks.server.ts) and, in production, static files and built assets too (scripts/start.ts sets
// them before adapter-node's static handler or SvelteKit answers).
import { CSP_DIRECTIVES } from './csp.js';

const KEYWORDS = new Set(['self', 'none', 'unsafe-inline', 'unsafe-eval', 'strict-dynamic', 'unsafe-hashes', 'report-sample', 'wasm-unsafe-eval']);

/**
 * The app's policy as a header value, without nonces or hashes: for every response SvelteKit did
 * not already give its own (pages get kit.csp's, with the nonce of their inline script).
 */
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
	.map(([name, values]) => [name, ...(values as string[]).map((v) => (KEYWORDS.has(v) ? `'${v}'` : v))].join(' '))
	.join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin',
	'x-frame-options': 'DENY',
	'permissions-policy': 'geolocation=(), camera=(), microphone=()',
	'cross-origin-opener-policy': 'same-origin'
};

export const HSTS = 'max-age=31536000';

/** Sets the headers on `headers` (a Fetch Headers or anything with has/set); keeps a CSP already there. */
export function setSecurityHeaders(headers: { has(name: string): boolean; set(name: string, value: string): void }, https: boolean): void {
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
	if (!headers.has('content-security-policy')) headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
	if (https) headers.set('strict-transport-security', HSTS);
}

/** The response with the security headers; a copy when its headers are immutable (a proxied fetch). */
export function withSecurityHeaders(response: Response, https: boolean): Response {
	try {
		setSecurityHeaders(response.headers, https);
		return response;
	} catch {
		const copy = new Response(response.body, response);
		setSecurityHeaders(copy.headers, https);
		return copy;
	}
}
