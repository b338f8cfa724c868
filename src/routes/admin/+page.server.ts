// 账号管理: the system administrator requests, disables and enables accounts; the security
// administrator approves or rejects them, changes roles and areas, grants planners person access,
// unlocks accounts and manages the big screens' kiosk links (三员分立). A requested account — or
// one enabled again — is pending, with no role, until the security administrator approves it;
// the first password is two halves, one shown to each administrator, so neither can sign in as
// it. No personal data appears here.
import { fail } from '@sveltejs/kit';
import { action, pageLoad } from '$lib/server/api/page';
import { accountRole } from '$lib/server/api/guards';
import { adminForm } from '$lib/api/forms';
import {
	AccountError,
	approveAccount,
	changeRole,
	rejectAccount,
	requestAccount,
	setAccountLock,
	setPersonAccess,
	unlockAccount
} from '$lib/server/auth/accounts';
import { createScreen, revokeScreen, setScreenInterval, TOUR_INTERVAL_S } from '$lib/server/auth/kiosk';
import { ROLES, ROLE_RULES } from '$lib/server/auth/roles';
import { actorOf } from '$lib/server/admin/guard';
import { areaOptions, listAccounts, listScreens, roleLabel } from '$lib/server/admin/queries';
import type { Db } from '$lib/server/db/open';
import type { SessionUser } from '$lib/server/auth/sessions';
import type { Actor } from '$lib/server/auth/accounts';
import type * as v from 'valibot';

export const load = pageLoad({ guard: accountRole('system_admin', 'security_admin'), tx: 'none' }, async ({ caller: user, db: { kysely: db }, event }) => {
	// one-time passwords and kiosk links are in action responses: never cache these pages
	event.setHeaders({ 'cache-control': 'no-store' });
	const security = user.role === 'security_admin';
	return {
		me: { username: user.username, displayName: user.displayName, role: user.role, roleLabel: roleLabel(user.role), accountId: user.accountId },
		duty: security ? ('security' as const) : ('system' as const),
		accounts: await listAccounts(db),
		screens: security ? await listScreens(db) : [],
		areas: await areaOptions(db),
		roles: ROLES.map((r) => ({ value: r, label: roleLabel(r), level: ROLE_RULES[r].level }))
	};
});

type Form = v.InferOutput<typeof adminForm>;

function accountId(form: Form): number | null {
	const id = Number(form.id);
	return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** Runs one change; an AccountError becomes a 400 with its one-line message. */
async function attempt<T extends object>(action: string, change: () => Promise<T>) {
	try {
		return { action, ok: true as const, ...(await change()) };
	} catch (e) {
		if (e instanceof AccountError) return fail(400, { action, message: e.message });
		throw e;
	}
}

function withAccount<T extends object = object>(form: Form, action: string, change: (id: number) => Promise<T | void>) {
	const id = accountId(form);
	if (id === null) return fail(400, { action, message: 'account: missing or malformed id' });
	return attempt(action, async () => ({ ...((await change(id)) ?? {}) }) as Partial<T>);
}

interface Duty {
	user: SessionUser;
	actor: Actor;
	form: Form;
	db: Db['kysely'];
	origin: string;
}

/** An action of one administrator's duty: guarded by that role, its form parsed, its actor named. */
function duty<R>(role: 'system_admin' | 'security_admin', run: (d: Duty) => Promise<R>) {
	return action({ guard: accountRole(role), form: adminForm }, ({ caller: user, form, db, clientAddress, url }) =>
		run({ user, actor: actorOf(user, clientAddress), form, db: db.kysely, origin: url.origin })
	);
}

export const actions = {
	// ─── system administrator ──────────────────────────────────────────────────────────────
	create: duty('system_admin', async ({ actor, form, db }) => {
		const values = { username: form.username, displayName: form.displayName, role: form.role, areaCode: form.areaCode.trim() };
		const result = await attempt('create', async () => {
			const { username, halfA } = await requestAccount(db, values, actor);
			// half A, shown once, in this response only; the account is pending until approved
			return { requested: { username, halfA } };
		});
		return 'ok' in result ? result : fail(400, { ...result.data, values });
	}),
	disable: duty('system_admin', async ({ user, actor, form, db }) =>
		withAccount(form, 'disable', async (id) => {
			if (id === user.accountId) throw new AccountError('account: you cannot disable your own account');
			await setAccountLock(db, id, true, actor);
		})
	),
	enable: duty('system_admin', async ({ actor, form, db }) =>
		withAccount(form, 'enable', async (id) => {
			await setAccountLock(db, id, false, actor);
		})
	),

	// ─── security administrator ────────────────────────────────────────────────────────────
	approve: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'approve', async (id) => {
			const { username, halfB } = await approveAccount(db, id, { role: form.role, areaCode: form.areaCode }, actor);
			// half B, shown once, in this response only (none when the account has its own password)
			return { approved: { username, halfB } };
		})
	),
	reject: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'reject', async (id) => {
			await rejectAccount(db, id, actor);
		})
	),
	changeRole: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'changeRole', async (id) => {
			await changeRole(db, id, form.role, form.areaCode, actor);
		})
	),
	grantPersons: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'grantPersons', async (id) => {
			await setPersonAccess(db, id, true, actor);
		})
	),
	revokePersons: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'revokePersons', async (id) => {
			await setPersonAccess(db, id, false, actor);
		})
	),
	unlock: duty('security_admin', async ({ actor, form, db }) =>
		withAccount(form, 'unlock', async (id) => {
			await unlockAccount(db, id, actor);
		})
	),
	createScreen: duty('security_admin', async ({ actor, form, db, origin }) => {
		const values = { name: form.name, areaCode: form.areaCode.trim(), tourInterval: form.tourInterval.trim() };
		const result = await attempt('createScreen', async () => {
			const interval = values.tourInterval === '' ? TOUR_INTERVAL_S.default : Number(values.tourInterval);
			const { id, token } = await createScreen(db, values.name, values.areaCode, actor, interval);
			// shown once: only the token's hash is stored
			return { screen: { id, name: values.name.trim(), link: `${origin}/kiosk/${token}` } };
		});
		return 'ok' in result ? result : fail(400, { ...result.data, screenValues: values });
	}),
	setScreenInterval: duty('security_admin', async ({ actor, form, db }) => {
		const id = accountId(form);
		if (id === null) return fail(400, { action: 'setScreenInterval', message: 'screen: missing or malformed id' });
		// an empty or non-numeric interval is refused by setScreenInterval's own check, naming the range
		const interval = form.tourInterval.trim() === '' ? NaN : Number(form.tourInterval);
		return attempt('setScreenInterval', async () => {
			await setScreenInterval(db, id, interval, actor);
			return {};
		});
	}),
	revokeScreen: duty('security_admin', async ({ actor, form, db }) => {
		const id = accountId(form);
		if (id === null) return fail(400, { action: 'revokeScreen', message: 'screen: missing or malformed id' });
		return attempt('revokeScreen', async () => {
			await revokeScreen(db, id, actor);
			return {};
		});
	})
};
