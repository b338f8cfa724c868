import { fail, redirect } from '@sveltejs/kit';
import { action, pageLoad } from '$lib/server/api/page';
import { accountHolder } from '$lib/server/api/guards';
import { passwordForm } from '$lib/api/forms';
import { AccountError, changePassword } from '$lib/server/auth/accounts';
import { SESSION_COOKIE } from '$lib/server/auth/sessions';

export const load = pageLoad({ guard: accountHolder, tx: 'none' }, async ({ caller: user }) => ({
	forced: user.mustChangePassword,
	expired: user.passwordExpired,
	demo: user.demo
}));

export const actions = {
	default: action({ guard: accountHolder, form: passwordForm }, async ({ caller: user, form, db, event, url, clientAddress }) => {
		if (form.next !== form.confirm) return fail(400, { message: 'new password: the two entries differ' });
		let rotated;
		try {
			// every other session of the account ends; this one goes on under a new token
			rotated = await changePassword(db.kysely, user.accountId, form.current, form.next, clientAddress, event.cookies.get(SESSION_COOKIE));
		} catch (e) {
			if (e instanceof AccountError) return fail(400, { message: e.message });
			throw e;
		}
		if (!rotated) redirect(303, '/login');
		event.cookies.set(SESSION_COOKIE, rotated.token, {
			path: '/',
			httpOnly: true,
			sameSite: 'lax',
			secure: url.protocol === 'https:',
			maxAge: Math.max(1, Math.floor((rotated.expiresAt.getTime() - Date.now()) / 1000))
		});
		redirect(303, '/');
	})
};
