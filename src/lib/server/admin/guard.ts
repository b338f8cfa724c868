// The administrators' pages: each duty to its one role (三员分立), everyone else a 403.
import { error } from '@sveltejs/kit';
import type { Actor } from '../auth/accounts.ts';
import type { SessionUser } from '../auth/sessions.ts';
import { ROLE_RULES, type Role } from '../auth/roles.ts';

/** The signed-in account, if its role is one of `roles`; otherwise a 403 (a kiosk screen too), or 401 for nobody. */
export function requireRole<R extends Role>(locals: App.Locals, ...roles: R[]): SessionUser & { role: R } {
	const user = locals.user;
	// a big screen (kiosk viewer, no account) is signed in, just not as an account: 403
	if (!user) error(locals.viewer ? 403 : 401, locals.viewer ? '大屏不能访问此页 / not for the big screen' : 'sign in first');
	if (!(roles as Role[]).includes(user.role)) {
		const zh = roles.map((r) => ROLE_RULES[r].label['zh-CN']).join('、');
		const en = roles.map((r) => ROLE_RULES[r].label.en).join(', ');
		error(403, `仅限${zh}访问 / for ${en} only`);
	}
	return user as SessionUser & { role: R };
}

export function actorOf(user: SessionUser, clientAddr: string | null): Actor {
	return { accountId: user.accountId, username: user.username, role: user.role, clientAddr };
}
