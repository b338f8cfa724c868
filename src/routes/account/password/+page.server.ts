import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { AccountError, changePassword } from '$lib/server/auth/accounts';
import { SESSION_COOKIE } from '$lib/server/auth/sessions';

export async function load({ locals }) {
	if (!locals.user) redirect(303, '/login');
	return { forced: locals.user.mustChangePassword, expired: locals.user.passwordExpired, demo: locals.user.demo };
}

export const actions = {
	default: async ({ request, locals, cookies, url, getClientAddress }) => {
		if (!locals.user) redirect(303, '/login');
		const form = await request.formData();
		const current = String(form.get('current') ?? '');
		const next = String(form.get('next') ?? '');
		if (next !== String(form.get('confirm') ?? '')) return fail(400, { message: 'new password: the two entries differ' });
		let rotated;
		try {
			// every other session of the account ends; this one goes on under a new token
			rotated = await changePassword((await getDb()).kysely, locals.user.accountId, current, next, getClientAddress(), cookies.get(SESSION_COOKIE));
		} catch (e) {
			if (e instanceof AccountError) return fail(400, { message: e.message });
			throw e;
		}
		if (!rotated) redirect(303, '/login');
		cookies.set(SESSION_COOKIE, rotated.token, {
			path: '/',
			httpOnly: true,
			sameSite: 'lax',
			secure: url.protocol === 'https:',
			maxAge: Math.max(1, Math.floor((rotated.expiresAt.getTime() - Date.now()) / 1000))
		});
		redirect(303, '/');
	}
};
