import { redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { SESSION_COOKIE, endSession } from '$lib/server/auth/sessions';
import { audit } from '$lib/server/auth/audit';

// POST only: a logout link that a GET could trigger would let any page sign users out
export async function POST({ cookies, locals, getClientAddress }) {
	const token = cookies.get(SESSION_COOKIE);
	const db = (await getDb()).kysely;
	if (token) await endSession(db, token);
	if (locals.user) {
		await audit(db, { accountId: locals.user.accountId, username: locals.user.username, role: locals.user.role,
			clientAddr: getClientAddress(), action: 'logout', result: 'ok' });
	}
	cookies.delete(SESSION_COOKIE, { path: '/' });
	redirect(303, '/login');
}
