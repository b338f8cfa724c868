// Every request passes here: security headers, who is asking, and the gate in front of every
// route but login, health and static files.
import { isRedirect, json, redirect, type Handle, type RequestEvent, type ServerInit } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { SESSION_COOKIE, validateSession } from '$lib/server/auth/sessions';
import { KIOSK_COOKIE, validateKiosk } from '$lib/server/auth/kiosk';
import { viewerFor } from '$lib/server/auth/viewer';
import { withSecurityHeaders } from '$lib/server/security-headers';
import { startSnapshotTimer } from '$lib/server/screen/snapshot-timer';
import { DB_RETRY_AFTER_S, isDbUnavailable, unavailableResponse } from '$lib/server/db/unavailable';
import { requestUrgency, withUrgency } from '$lib/server/db/urgency';

// open (and migrate) the database once, before the first request
export const init: ServerInit = async () => {
	// and take the day's snapshot for the big screen's trends (issue 12) from this process
	startSnapshotTimer(await getDb());
};

const PUBLIC_PATHS = [/^\/login$/, /^\/api\/health$/, /^\/kiosk\/[^/]+$/, /^\/glyphs\//, /^\/_app\//, /^\/favicon\.svg$/];
// pages a user who must change their password may still reach
const PASSWORD_PATHS = [/^\/account\/password$/, /^\/logout$/];

/**
 * Every response this hook returns passes through here, so each carries the security headers:
 * the early refusals and redirects as much as the routes' answers. (In production scripts/start.ts
 * also sets them before SvelteKit or the static file handler answers, which covers static files,
 * built assets and what SvelteKit answers without calling this hook.)
 */
export const handle: Handle = ({ event, resolve }) =>
	// when the server pool is busy, what the request asks decides how soon it gets a connection (db/urgency.ts)
	withUrgency(requestUrgency(event.request.method, event.url.pathname), () => answer(event, resolve));

async function answer(event: RequestEvent, resolve: Parameters<Handle>[0]['resolve']): Promise<Response> {
	const early: EarlyCookies = [];
	let resolved = false;
	let response: Response;
	try {
		response = await gate(event, (e, opts) => ((resolved = true), resolve(e, opts)), early);
	} catch (e) {
		// the database away while the gate reads the session: 503 with Retry-After, not a 500
		if (isDbUnavailable(e)) return withSecurityHeaders(unavailableResponse(e), event.url.protocol === 'https:');
		// a redirect thrown by the gate: answered here as SvelteKit would answer it (a data request
		// and an enhanced form action get it as JSON), so that it carries the headers too
		if (!isRedirect(e)) throw e;
		response = event.isDataRequest
			? json({ type: 'redirect', location: e.location }, { headers: { 'cache-control': 'private, no-store' } })
			: isActionJsonRequest(event)
				? json({ type: 'redirect', status: e.status, location: e.location }, { headers: { 'cache-control': 'no-store' } })
				: new Response(null, { status: e.status, headers: { location: e.location } });
	}
	// SvelteKit adds the cookies set on the way to what resolve() answers; an answer made here
	// gets them from us (an expired session's cookie is deleted on the way to /login)
	if (!resolved) for (const [name, value, options] of early) response.headers.append('set-cookie', event.cookies.serialize(name, value, options));
	response = withSecurityHeaders(response, event.url.protocol === 'https:');
	// every 503 (the database away, an analysis with no place free) says when to come back
	if (response.status === 503 && !response.headers.has('retry-after')) response.headers.set('retry-after', String(DB_RETRY_AFTER_S));
	return response;
}

type EarlyCookies = [name: string, value: string, options: Parameters<RequestEvent['cookies']['serialize']>[2]][];

/** A form action posted by `use:enhance`: it expects a redirect as JSON, not as a 30x. */
function isActionJsonRequest(event: RequestEvent): boolean {
	const accept = event.request.headers.get('accept') ?? '';
	return event.request.method === 'POST' && event.request.headers.get('x-sveltekit-action') === 'true' && accept.includes('application/json');
}

async function gate(event: RequestEvent, resolve: Parameters<Handle>[0]['resolve'], early: EarlyCookies): Promise<Response> {
	const { url, cookies, request } = event;
	event.locals.user = null;
	event.locals.viewer = null;
	event.locals.screen = null;

	// PostgreSQL text cannot hold NUL: a URL carrying one is malformed, whatever route it is for
	if (/%00|\u0000/.test(url.pathname + url.search)) {
		return json({ message: 'malformed URL: contains a NUL character' }, { status: 400 });
	}

	// JSON endpoints that change state accept same-origin requests only (SvelteKit's own check
	// covers form posts)
	if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
		const origin = request.headers.get('origin');
		if (origin !== url.origin) {
			return json({ message: 'cross-origin request refused' }, { status: 403 });
		}
	}

	const path = url.pathname;
	try {
		const db = await getDb();
		const sessionToken = cookies.get(SESSION_COOKIE);
		if (sessionToken) {
			const user = await validateSession(db.kysely, sessionToken);
			if (user) {
				event.locals.user = user;
				event.locals.viewer = viewerFor(user.role, user.areaCode, user.accountId, user.username, user.canViewPersons);
			} else {
				cookies.delete(SESSION_COOKIE, { path: '/' });
				early.push([SESSION_COOKIE, '', { path: '/', maxAge: 0 }]);
			}
		}
		if (!event.locals.viewer) {
			const kioskToken = cookies.get(KIOSK_COOKIE);
			const screen = kioskToken ? await validateKiosk(db.kysely, kioskToken) : null;
			if (screen) {
				event.locals.viewer = viewerFor('display', screen.areaCode, null, `screen:${screen.id}:${screen.name}`);
				event.locals.screen = screen;
			}
		}
	} catch (e) {
		// the health check answers "down" when the database does not, whoever asks
		if (path !== '/api/health') throw e;
		event.locals.user = null;
		event.locals.viewer = null;
	}

	const isPublic = PUBLIC_PATHS.some((re) => re.test(path));
	const isApi = path.startsWith('/api/') || path.startsWith('/tiles/');
	if (!isPublic && !event.locals.viewer) {
		if (isApi) return json({ message: 'sign in first' }, { status: 401, headers: { 'cache-control': 'no-store' } });
		redirect(303, `/login?next=${encodeURIComponent(path + url.search)}`);
	}
	const user = event.locals.user;
	if (user && (user.mustChangePassword || user.passwordExpired) && !isPublic && !PASSWORD_PATHS.some((re) => re.test(path))) {
		if (isApi) return json({ message: 'change your password first' }, { status: 403 });
		redirect(303, '/account/password');
	}

	return resolve(event);
}
