// Every request passes here: security headers, who is asking, and the gate in front of every
// route but login, health and static files.
import { error, json, redirect, type Handle, type ServerInit } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { SESSION_COOKIE, validateSession } from '$lib/server/auth/sessions';
import { KIOSK_COOKIE, validateKiosk } from '$lib/server/auth/kiosk';
import { viewerFor } from '$lib/server/auth/viewer';

// open (and migrate) the database once, before the first request
export const init: ServerInit = async () => {
	await getDb();
};

const PUBLIC_PATHS = [/^\/login$/, /^\/api\/health$/, /^\/kiosk\/[^/]+$/, /^\/glyphs\//, /^\/_app\//, /^\/favicon\.svg$/];
// pages a user who must change their password may still reach
const PASSWORD_PATHS = [/^\/account\/password$/, /^\/logout$/];

export const handle: Handle = async ({ event, resolve }) => {
	const { url, cookies, request } = event;
	event.locals.user = null;
	event.locals.viewer = null;

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

	const db = await getDb();
	const sessionToken = cookies.get(SESSION_COOKIE);
	if (sessionToken) {
		const user = await validateSession(db.kysely, sessionToken);
		if (user) {
			event.locals.user = user;
			event.locals.viewer = viewerFor(user.role, user.areaCode, user.accountId, user.username, user.canViewPersons);
		} else {
			cookies.delete(SESSION_COOKIE, { path: '/' });
		}
	}
	if (!event.locals.viewer) {
		const kioskToken = cookies.get(KIOSK_COOKIE);
		const screen = kioskToken ? await validateKiosk(db.kysely, kioskToken) : null;
		if (screen) event.locals.viewer = viewerFor('display', screen.areaCode, null, `screen:${screen.id}:${screen.name}`);
	}

	const path = url.pathname;
	const isPublic = PUBLIC_PATHS.some((re) => re.test(path));
	const isApi = path.startsWith('/api/') || path.startsWith('/tiles/');
	if (!isPublic && !event.locals.viewer) {
		if (isApi) return json({ message: 'sign in first' }, { status: 401, headers: { 'cache-control': 'no-store' } });
		redirect(303, `/login?next=${encodeURIComponent(path + url.search)}`);
	}
	const user = event.locals.user;
	if (user && (user.mustChangePassword || user.passwordExpired) && !isPublic && !PASSWORD_PATHS.some((re) => re.test(path))) {
		if (isApi) error(403, 'change your password first');
		redirect(303, '/account/password');
	}

	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('x-frame-options', 'DENY');
	response.headers.set('permissions-policy', 'geolocation=(), camera=(), microphone=()');
	if (url.protocol === 'https:') response.headers.set('strict-transport-security', 'max-age=31536000');
	return response;
};
