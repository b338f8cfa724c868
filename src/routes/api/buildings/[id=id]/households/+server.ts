// A building's households and their members: masked unless the caller sees its persons unmasked.
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { householdsAnswer } from '$lib/api/persons';
import { personViewer } from '$lib/server/api/guards';
import { rowId } from '$lib/api/inputs';
import { householdsOfBuilding } from '$lib/server/db/queries/persons';

export const GET = endpoint({ guard: personViewer, params: v.object({ id: rowId }) }, async ({ caller, input, trx }) => {
	const households = await householdsOfBuilding(trx, input.params.id, caller);
	if (!households) error(404, `no building with id ${input.params.id}`);
	return reply(householdsAnswer, { masked: !caller.unmasked, households }, { headers: { 'cache-control': 'private, no-store' } });
});
