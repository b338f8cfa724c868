// A hypothetical station: households newly within each circle, per community, and its reach.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { mapViewer } from '$lib/server/auth/guard';
import { whatIf } from '$lib/server/coverage/whatif';
import { freshCoverage, requireAnalyses } from '$lib/server/coverage/respond';

export async function POST({ request, locals }) {
	const viewer = mapViewer(locals);
	requireAnalyses(viewer);
	const body = await request.json().catch(() => null);
	const lon = Number(body?.lon);
	const lat = Number(body?.lat);
	if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 85) {
		error(400, 'body must be {"lon": number, "lat": number}');
	}
	const db = await getDb();
	const engine = await freshCoverage(db);
	const model = await engine.model();
	const result = await whatIf(db.kysely, model, lon, lat, viewer.scope, engine.params);
	return json({ ...result, access_m: Number.isFinite(result.access_m) ? result.access_m : null }, { headers: { 'cache-control': 'private, no-store' } });
}
