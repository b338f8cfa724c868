// Where to go after signing in: the `next` parameter of /login, which anyone can write into a
// link. Only a path on this site is followed; anything that a browser could read as another site
// lands on `/`, so the login page cannot be turned into a phishing aid (an open redirect).
//
// Browsers are lenient in ways a string test misses: they strip tabs and newlines from URLs
// (`/\t/evil.example` becomes `//evil.example`), read `\` as `/`, and a path's `..` and `.`
// segments collapse (`/.//evil` becomes `//evil`). So `next` is refused when any of its forms,
// percent-decoded up to three times, holds a control character or a backslash or starts with
// `//`, then resolved against an origin with `new URL`, and only that resolution's own path,
// query and fragment are given back, once more checked not to start with `//`.

/** Any origin does: only whether `next` stays on it matters, and only its path is kept. */
const PLACEHOLDER_ORIGIN = 'http://jiceng.invalid';

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Decodes %XX escapes byte by byte, leaving malformed ones: enough to see what a browser would. */
function percentDecode(s: string): string {
	return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function unsafeForm(s: string): boolean {
	return CONTROL.test(s) || s.includes('\\') || s.startsWith('//') || !s.startsWith('/');
}

/**
 * The path (with query and fragment) to send a user to after signing in: `next` when it is a
 * path on this site, `/` otherwise.
 */
export function safeNext(next: string | null | undefined, origin: string = PLACEHOLDER_ORIGIN): string {
	if (typeof next !== 'string' || next === '' || next.length > 2048) return '/';
	let form = next;
	for (let round = 0; round < 4; round++) {
		if (unsafeForm(form)) return '/';
		const decoded = percentDecode(form);
		if (decoded === form) break;
		form = decoded;
	}
	let resolved: URL;
	let base: URL;
	try {
		base = new URL(origin);
		resolved = new URL(next, base);
	} catch {
		return '/';
	}
	if (resolved.origin !== base.origin) return '/';
	const target = resolved.pathname + resolved.search + resolved.hash;
	return unsafeForm(target) ? '/' : target;
}
