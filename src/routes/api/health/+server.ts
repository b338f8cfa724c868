// Up or down for anyone; the installation's details for signed-in administrators only.
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { healthAnswer } from '$lib/api/health';
import { anyone } from '$lib/server/api/guards';
import { getDb } from '$lib/server/db';
import { databaseUp, healthReport, HEALTH_DETAIL_ROLES } from '$lib/server/db/queries/health';

const NO_STORE = { 'cache-control': 'no-store' };

// no transaction: "down" is an answer, and it must not wait for the database it reports on
export const GET = endpoint({ guard: anyone, tx: 'none', lazyDb: true }, async ({ caller }) => {
	const down = () => reply(healthAnswer, { status: 'down' }, { status: 503, headers: NO_STORE });
	let db: Awaited<ReturnType<typeof getDb>>;
	try {
		db = await getDb();
	} catch {
		return down();
	}
	if (!(await databaseUp(db))) return down();
	// an administrator who still has to change their password is not fully signed in yet
	const user = caller.user;
	const admin = user && !user.mustChangePassword && !user.passwordExpired && HEALTH_DETAIL_ROLES.includes(user.role);
	if (!admin) return reply(healthAnswer, { status: 'ok' }, { headers: NO_STORE });
	return reply(healthAnswer, await healthReport(db), { headers: NO_STORE });
});
