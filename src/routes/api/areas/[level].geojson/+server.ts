import { error } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { AREA_LEVELS, areaOutlinesGeoJson, isAreaLevel } from '$lib/server/db/queries/areas';

export async function GET({ params }) {
	const level = params.level;
	if (!isAreaLevel(level) || level === 'district') {
		error(400, `unknown area level "${level}" (expected ${AREA_LEVELS.slice(1).join(', ')})`);
	}
	const body = await areaOutlinesGeoJson(await getDb(), level);
	return new Response(body, {
		headers: { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': 'private, max-age=60' }
	});
}
