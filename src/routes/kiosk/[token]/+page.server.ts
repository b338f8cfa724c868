// The big screen's link: /kiosk/<token> checks the token, keeps it in an HttpOnly cookie (the
// hooks read it on every request) and sends the screen on to its own page (/screen, issue 12), so the token leaves the
// address bar. A revoked or unknown token gets a 403.
import { error, redirect } from '@sveltejs/kit';
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { anyone } from '$lib/server/api/guards';
import { KIOSK_COOKIE, validateKiosk } from '$lib/server/auth/kiosk';
import { audit } from '$lib/server/auth/audit';

const KIOSK_COOKIE_MAX_AGE = 400 * 86_400; // the longest browsers keep a cookie

export const load = pageLoad(
	{ guard: anyone, params: v.object({ token: v.pipe(v.string(), v.maxLength(200, 'at most 200 characters')) }), tx: 'none' },
	async ({ input, db: { kysely: db }, event, url, clientAddress: clientAddr }) => {
		event.setHeaders({ 'cache-control': 'no-store' });
		const screen = await validateKiosk(db, input.params.token);
		if (!screen) {
			// the token itself is never logged
			await audit(db, { role: 'display', action: 'kiosk_access', object: 'unknown or revoked kiosk token', result: 'denied', clientAddr });
			error(403, '大屏链接无效或已被吊销，请联系安全管理员。 This kiosk link is invalid or has been revoked.');
		}
		event.cookies.set(KIOSK_COOKIE, input.params.token, {
			path: '/',
			httpOnly: true,
			sameSite: 'lax',
			secure: url.protocol === 'https:',
			maxAge: KIOSK_COOKIE_MAX_AGE
		});
		await audit(db, {
			username: `screen:${screen.id}:${screen.name}`.slice(0, 80),
			role: 'display',
			action: 'kiosk_access',
			object: `screen ${screen.id} on ${screen.areaCode}`,
			result: 'ok',
			clientAddr
		});
		redirect(303, '/screen');
	}
);
