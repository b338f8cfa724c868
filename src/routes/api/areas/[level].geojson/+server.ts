import { error } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { AREA_LEVELS, areaOutlinesGeoJson, isAreaLevel } from '$lib/server/db/queries/areas';
import { mapViewer } from '$lib/server/auth/guard';

export async function GET({ params, locals }) {
	const viewer = mapViewer(locals);
	const level = params.level;
	if (!isAreaLevel(level) || level === 'district') {
		error(400, `unknown area level "${level}" (expected ${AREA_LEVELS.slice(1).join(', ')})`);
	}
	const body = await withScope(await getDb(), viewer.scope, (trx) => areaOutlinesGeoJson(trx, level, viewer.scope));
	return new Response(body, {
		headers: { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': 'private, max-age=60' }
	});
}
