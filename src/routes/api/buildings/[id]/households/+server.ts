import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { householdsOfBuilding } from '$lib/server/db/queries/persons';
import { personViewer } from '$lib/server/auth/guard';

export async function GET({ params, locals }) {
	const viewer = personViewer(locals);
	if (!/^\d{1,15}$/.test(params.id)) error(400, `malformed building id "${params.id}"`);
	const households = await withScope(await getDb(), viewer.scope, (trx) => householdsOfBuilding(trx, Number(params.id), viewer));
	if (!households) error(404, `no building with id ${params.id}`);
	return json({ masked: !viewer.unmasked, households }, { headers: { 'cache-control': 'private, no-store' } });
}
