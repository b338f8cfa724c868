// "Suggest k sites": greedy maximal coverage (lazy evaluation) over road nodes and public
// buildings in the caller's area, with pinned and excluded sites. GET, so it can be exported.
import { error, json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { withScope } from '$lib/server/db/scoped';
import { mapViewer } from '$lib/server/auth/guard';
import { suggestSites } from '$lib/server/coverage/suggest';
import { suggestionsCsv, suggestionsGeoJson } from '$lib/server/coverage/export';
import { areaWithin, download, exportFormat, freshCoverage, requireAnalyses } from '$lib/server/coverage/respond';

function keys(url: URL, name: string): string[] {
	return (url.searchParams.get(name) ?? '').split(',').map((k) => k.trim()).filter((k) => /^[a-z]+:[\w.,:-]{1,60}$/.test(k)).slice(0, 50);
}

export async function GET({ url, locals, getClientAddress }) {
	const viewer = mapViewer(locals);
	requireAnalyses(viewer);
	const within = areaWithin(viewer, url);
	const format = exportFormat(url);
	const k = Number(url.searchParams.get('k') ?? 3);
	const circle = Number(url.searchParams.get('circle') ?? 3);
	if (!Number.isInteger(k) || k < 1 || k > 20) error(400, 'k must be an integer from 1 to 20');
	if (![1, 2, 3].includes(circle)) error(400, 'circle must be 1, 2 or 3 (5-, 10- or 15-minute)');
	const pinnedPoints = (url.searchParams.get('pin') ?? '').split(';').filter(Boolean).slice(0, 20).map((p) => {
		const [lon, lat] = p.split(',').map(Number);
		if (!Number.isFinite(lon) || !Number.isFinite(lat)) error(400, `pin "${p.slice(0, 40)}" is not lon,lat`);
		return { lon, lat };
	});
	const db = await getDb();
	const engine = await freshCoverage(db);
	const model = await engine.model();
	const result = await withScope(db, viewer.scope, (trx) => suggestSites(trx, model, {
		scope: within, k, circle: circle as 1 | 2 | 3,
		pinned: [...keys(url, 'pinned'), ...pinnedPoints], excluded: keys(url, 'excluded')
	}));
	if (format === 'csv') return download(db, viewer, getClientAddress(), 'site-suggestions', 'csv', suggestionsCsv(result.suggestions));
	if (format === 'geojson') return download(db, viewer, getClientAddress(), 'site-suggestions', 'geojson', JSON.stringify(suggestionsGeoJson(result.suggestions)));
	return json({ within, k, circle, ...result }, { headers: { 'cache-control': 'private, no-store' } });
}
