// One account per role for the demo district, and a kiosk link for the big screen, so the app
// can be tried at once. Marked `demo`; their passwords are printed once at first start
// (JICENG_DEMO_PASSWORD fixes one password for all, for scripted demos and tests).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { createAccount, generatePassword } from './accounts.ts';
import { createScreen } from './kiosk.ts';
import { ROLES, ROLE_RULES, type Role } from './roles.ts';

export interface DemoCredential {
	username: string;
	password: string;
	role: Role;
	areaCode: string;
	areaName: string;
}

export const demoUsername = (role: Role) => `demo-${role.replace(/_/g, '-')}`;

export async function createDemoAccounts(db: Kysely<Database>, fixedPassword?: string): Promise<{ accounts: DemoCredential[]; kioskToken: string }> {
	// the first area of each level along one branch of the tree: a street, its first community, its first grid
	const district = await db.selectFrom('area').select(['code', 'name']).where('level', '=', 'district').orderBy('code').executeTakeFirstOrThrow();
	const firstBelow = (code: string) => db.selectFrom('area').select(['code', 'name']).where('parent_code', '=', code).orderBy('code').executeTakeFirstOrThrow();
	const street = await firstBelow(district.code);
	const community = await firstBelow(street.code);
	const grid = await firstBelow(community.code);
	const areaFor: Record<string, { code: string; name: string }> = { district, street, community, grid };

	await db.deleteFrom('account').where('demo', '=', true).execute();
	const system = { accountId: null, username: 'system', role: 'system' };
	const accounts: DemoCredential[] = [];
	for (const role of ROLES) {
		const area = areaFor[ROLE_RULES[role].level ?? 'district'];
		const username = demoUsername(role);
		const password = fixedPassword ?? generatePassword();
		await createAccount(
			db,
			{
				username,
				displayName: `演示·${ROLE_RULES[role].label['zh-CN']}`,
				role,
				areaCode: area.code,
				password,
				demo: true,
				mustChangePassword: false
			},
			system
		);
		accounts.push({ username, password, role, areaCode: area.code, areaName: area.name });
	}
	const { token } = await createScreen(db, '指挥中心大屏（演示）', district.code, system);
	return { accounts, kioskToken: token };
}

export function printDemoAccounts(log: (line: string) => void, accounts: DemoCredential[], kioskToken: string, origin: string): void {
	log('');
	log('┌ Demo accounts (演示账号) — shown once; demo data only, not for production');
	for (const a of accounts) {
		log(`│ ${a.username.padEnd(26)} ${a.password.padEnd(20)} ${ROLE_RULES[a.role].label['zh-CN']} · ${a.areaName} (${a.areaCode})`);
	}
	log(`│ big screen (大屏) kiosk link: ${origin}/kiosk/${kioskToken}`);
	log('└ Create real accounts with: npm run user:add -- --role <role> --area <code> --username <name> --name <display name>');
	log('');
}
