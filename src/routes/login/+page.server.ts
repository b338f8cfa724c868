import { fail, redirect } from '@sveltejs/kit';
import { action, pageLoad } from '$lib/server/api/page';
import { anyone } from '$lib/server/api/guards';
import { loginForm } from '$lib/api/forms';
import { login } from '$lib/server/auth/login';
import { loginThrottle } from '$lib/server/auth/throttle';
import { SESSION_COOKIE, ABSOLUTE_LIFETIME_MS } from '$lib/server/auth/sessions';
// only same-site paths: an open redirect would turn the login page into a phishing aid
import { safeNext } from '$lib/server/auth/safe-next';

export const load = pageLoad({ guard: anyone, tx: 'none' }, async ({ caller, url }) => {
	if (caller.user) redirect(303, safeNext(url.searchParams.get('next')));
	return {};
});

export const actions = {
	// the form schema drops control characters from the name (no user name holds them, and
	// PostgreSQL text cannot hold NUL) and bounds both fields
	default: action({ guard: anyone, form: loginForm }, async ({ form: { username, password }, db, event, url, clientAddress: clientAddr }) => {
		if (!username || !password) return fail(400, { username, message: 'missing' as const });
		// per client address, beside the per-account lockout: a token is taken before the password
		// is verified, and given back when the sign-in succeeds
		const attempt = loginThrottle()?.take(clientAddr);
		if (attempt && !attempt.ok) {
			event.setHeaders({ 'retry-after': String(attempt.retryAfterSeconds) });
			return fail(429, { username, message: 'throttled' as const, retryAfter: attempt.retryAfterSeconds });
		}
		const result = await login(db.kysely, username, password, clientAddr);
		// one answer for every failure: unknown, wrong password, locked, disabled or pending alike
		if (!result.ok) return fail(401, { username, message: 'invalid' as const });
		attempt?.release();
		event.cookies.set(SESSION_COOKIE, result.token, {
			path: '/',
			httpOnly: true,
			sameSite: 'lax',
			secure: url.protocol === 'https:',
			maxAge: ABSOLUTE_LIFETIME_MS / 1000
		});
		redirect(303, safeNext(url.searchParams.get('next')));
	})
};
