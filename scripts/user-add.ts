// `npm run user:add -- --role grid_leader --area 420105001001001 --username wang.li --name 王丽 [--grant-persons]`
// Creates an active account with a one-time password (printed once; changed at first sign-in).
// This is the server's shell operator's way, outside the app's separation of duties: on /admin an
// account is requested by the system administrator and approved by the security administrator,
// each seeing one half of the first password (README, "Accounts, roles and privacy").
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/lib/server/db/config.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { AccountError, createAccount, generatePassword } from '../src/lib/server/auth/accounts.ts';
import { ROLES } from '../src/lib/server/auth/roles.ts';

function fail(message: string): never {
	console.error(`user:add: ${message}`);
	process.exit(2);
}

let values;
try {
	({ values } = parseArgs({
		options: {
			role: { type: 'string' },
			area: { type: 'string' },
			username: { type: 'string' },
			name: { type: 'string' },
			'grant-persons': { type: 'boolean', default: false }
		},
		strict: true
	}));
} catch (e) {
	fail((e as Error).message.split('\n')[0]);
}
for (const key of ['role', 'area', 'username', 'name'] as const) {
	if (!values[key]) fail(`--${key} is required (roles: ${ROLES.join(', ')})`);
}

try {
	const db = await openDb();
	await migrate(db);
	const password = generatePassword();
	await createAccount(
		db.kysely,
		{
			username: values.username!,
			displayName: values.name!,
			role: values.role!,
			areaCode: values.area!,
			password,
			canViewPersons: values['grant-persons']
		},
		{ accountId: null, username: process.env.USER ?? 'cli', role: 'cli' }
	);
	await db.close();
	console.log(`user:add: created ${values.username} (${values.role} on ${values.area}); one-time password: ${password}`);
} catch (e) {
	if (e instanceof AccountError || e instanceof ConfigError) fail(e.message);
	throw e;
}
