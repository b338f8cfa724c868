// 账号管理: the system administrator requests, disables and enables accounts; the security
// administrator approves or rejects them, changes roles and areas, grants planners person access,
// unlocks accounts and manages the big screens' kiosk links (三员分立). A requested account — or
// one enabled again — is pending, with no role, until the security administrator approves it;
// the first password is two halves, one shown to each administrator, so neither can sign in as
// it. No personal data appears here.
import { fail } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import {
	AccountError, approveAccount, changeRole, rejectAccount, requestAccount, setAccountLock, setPersonAccess, unlockAccount
} from '$lib/server/auth/accounts';
import { createScreen, revokeScreen } from '$lib/server/auth/kiosk';
import { ROLES, ROLE_RULES } from '$lib/server/auth/roles';
import { actorOf, requireRole } from '$lib/server/admin/guard';
import { areaOptions, listAccounts, listScreens, roleLabel } from '$lib/server/admin/queries';
import type { RequestEvent } from './$types';

export async function load({ locals, setHeaders }) {
	const user = requireRole(locals, 'system_admin', 'security_admin');
	// one-time passwords and kiosk links are in action responses: never cache these pages
	setHeaders({ 'cache-control': 'no-store' });
	const db = (await getDb()).kysely;
	const security = user.role === 'security_admin';
	return {
		me: { username: user.username, displayName: user.displayName, role: user.role, roleLabel: roleLabel(user.role), accountId: user.accountId },
		duty: security ? ('security' as const) : ('system' as const),
		accounts: await listAccounts(db),
		screens: security ? await listScreens(db) : [],
		areas: await areaOptions(db),
		roles: ROLES.map((r) => ({ value: r, label: roleLabel(r), level: ROLE_RULES[r].level }))
	};
}

type Form = Record<string, string>;

async function formOf(request: Request): Promise<Form> {
	const data = await request.formData();
	const out: Form = {};
	// PostgreSQL text cannot hold NUL: drop control characters rather than fail the query
	for (const [k, v] of data) if (typeof v === 'string') out[k] = v.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
	return out;
}

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

function context(event: RequestEvent, role: 'system_admin' | 'security_admin') {
	const user = requireRole(event.locals, role);
	return { user, actor: actorOf(user, event.getClientAddress()) };
}

export const actions = {
	// ─── system administrator ──────────────────────────────────────────────────────────────
	create: async (event) => {
		const { actor } = context(event, 'system_admin');
		const form = await formOf(event.request);
		const values = { username: form.username ?? '', displayName: form.displayName ?? '', role: form.role ?? '', areaCode: (form.areaCode ?? '').trim() };
		const result = await attempt('create', async () => {
			const { username, halfA } = await requestAccount((await getDb()).kysely, values, actor);
			// half A, shown once, in this response only; the account is pending until approved
			return { requested: { username, halfA } };
		});
		return 'ok' in result ? result : fail(400, { ...result.data, values });
	},
	disable: async (event) => {
		const { user, actor } = context(event, 'system_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'disable', async (id) => {
			if (id === user.accountId) throw new AccountError('account: you cannot disable your own account');
			await setAccountLock((await getDb()).kysely, id, true, actor);
		});
	},
	enable: async (event) => {
		const { actor } = context(event, 'system_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'enable', async (id) => {
			await setAccountLock((await getDb()).kysely, id, false, actor);
		});
	},

	// ─── security administrator ────────────────────────────────────────────────────────────
	approve: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'approve', async (id) => {
			const { username, halfB } = await approveAccount((await getDb()).kysely, id, { role: form.role ?? '', areaCode: form.areaCode ?? '' }, actor);
			// half B, shown once, in this response only (none when the account has its own password)
			return { approved: { username, halfB } };
		});
	},
	reject: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'reject', async (id) => {
			await rejectAccount((await getDb()).kysely, id, actor);
		});
	},
	changeRole: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'changeRole', async (id) => {
			await changeRole((await getDb()).kysely, id, form.role ?? '', form.areaCode ?? '', actor);
		});
	},
	grantPersons: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'grantPersons', async (id) => {
			await setPersonAccess((await getDb()).kysely, id, true, actor);
		});
	},
	revokePersons: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'revokePersons', async (id) => {
			await setPersonAccess((await getDb()).kysely, id, false, actor);
		});
	},
	unlock: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		return withAccount(form, 'unlock', async (id) => {
			await unlockAccount((await getDb()).kysely, id, actor);
		});
	},
	createScreen: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		const values = { name: form.name ?? '', areaCode: (form.areaCode ?? '').trim() };
		const result = await attempt('createScreen', async () => {
			const { id, token } = await createScreen((await getDb()).kysely, values.name, values.areaCode, actor);
			// shown once: only the token's hash is stored
			return { screen: { id, name: values.name.trim(), link: `${event.url.origin}/kiosk/${token}` } };
		});
		return 'ok' in result ? result : fail(400, { ...result.data, screenValues: values });
	},
	revokeScreen: async (event) => {
		const { actor } = context(event, 'security_admin');
		const form = await formOf(event.request);
		const id = accountId(form);
		if (id === null) return fail(400, { action: 'revokeScreen', message: 'screen: missing or malformed id' });
		return attempt('revokeScreen', async () => {
			await revokeScreen((await getDb()).kysely, id, actor);
			return {};
		});
	}
};
