import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { healthReport } from '$lib/server/db/queries/health';

export async function GET() {
	return json(await healthReport(await getDb()), { headers: { 'cache-control': 'no-store' } });
}
