import { getDb } from '$lib/server/db';
import { areaSummary, rootArea } from '$lib/server/db/queries/areas';

export async function load() {
	const db = await getDb();
	const root = await rootArea(db);
	return { summary: root ? await areaSummary(db, root.code) : null };
}
