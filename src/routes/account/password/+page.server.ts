import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { AccountError, changePassword } from '$lib/server/auth/accounts';

export async function load({ locals }) {
	if (!locals.user) redirect(303, '/login');
	return { forced: locals.user.mustChangePassword, expired: locals.user.passwordExpired, demo: locals.user.demo };
}

export const actions = {
	default: async ({ request, locals, getClientAddress }) => {
		if (!locals.user) redirect(303, '/login');
		const form = await request.formData();
		const current = String(form.get('current') ?? '');
		const next = String(form.get('next') ?? '');
		if (next !== String(form.get('confirm') ?? '')) return fail(400, { message: 'new password: the two entries differ' });
		try {
			await changePassword((await getDb()).kysely, locals.user.accountId, current, next, getClientAddress());
		} catch (e) {
			if (e instanceof AccountError) return fail(400, { message: e.message });
			throw e;
		}
		redirect(303, '/');
	}
};
