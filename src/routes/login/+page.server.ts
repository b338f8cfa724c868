import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { login } from '$lib/server/auth/login';
import { loginThrottle } from '$lib/server/auth/throttle';
import { SESSION_COOKIE, ABSOLUTE_LIFETIME_MS } from '$lib/server/auth/sessions';
// only same-site paths: an open redirect would turn the login page into a phishing aid
import { safeNext } from '$lib/server/auth/safe-next';

export async function load({ locals, url }) {
	if (locals.user) redirect(303, safeNext(url.searchParams.get('next')));
	return {};
}

export const actions = {
	default: async ({ request, cookies, url, getClientAddress, setHeaders }) => {
		const form = await request.formData();
		// no user name holds control characters, and PostgreSQL text cannot hold NUL (a 500, not a refusal)
		const username = String(form.get('username') ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 64);
		const password = String(form.get('password') ?? '').slice(0, 256);
		if (!username || !password) return fail(400, { username, message: 'missing' as const });
		// per client address, beside the per-account lockout: a token is taken before the password
		// is verified, and given back when the sign-in succeeds
		const clientAddr = getClientAddress();
		const attempt = loginThrottle()?.take(clientAddr);
		if (attempt && !attempt.ok) {
			setHeaders({ 'retry-after': String(attempt.retryAfterSeconds) });
			return fail(429, { username, message: 'throttled' as const, retryAfter: attempt.retryAfterSeconds });
		}
		const result = await login((await getDb()).kysely, username, password, clientAddr);
		// one answer for every failure: unknown, wrong password, locked, disabled or pending alike
		if (!result.ok) return fail(401, { username, message: 'invalid' as const });
		attempt?.release();
		cookies.set(SESSION_COOKIE, result.token, {
			path: '/',
			httpOnly: true,
			sameSite: 'lax',
			secure: url.protocol === 'https:',
			maxAge: ABSOLUTE_LIFETIME_MS / 1000
		});
		redirect(303, safeNext(url.searchParams.get('next')));
	}
};
