// Sign-out. POST only: a logout link that a GET could trigger would let any page sign users out.
import { redirect } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { anyone } from '$lib/server/api/guards';
import { SESSION_COOKIE, endSession } from '$lib/server/auth/sessions';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint({ guard: anyone, tx: 'none' }, async ({ caller: { user }, db, event, clientAddress }) => {
	const token = event.cookies.get(SESSION_COOKIE);
	if (token) await endSession(db.kysely, token);
	if (user) {
		await audit(db.kysely, { accountId: user.accountId, username: user.username, role: user.role, clientAddr: clientAddress, action: 'logout', result: 'ok' });
	}
	event.cookies.delete(SESSION_COOKIE, { path: '/' });
	redirect(303, '/login');
});
