// GET /api/export/<layer>?format=geojson|csv|xlsx|shp&area=<code>[&encoding=GBK]: one layer of the
// map (areas, buildings, roads, service centres) within the caller's area, read in their scoped
// transaction (row-level security), bounded, and written to the audit log. No persons are in
// these layers; households and members are not exported here.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { mapViewer } from '$lib/server/api/guards';
import { exportLayerParams, exportLayerQuery } from '$lib/api/export';
import { audit } from '$lib/server/auth/audit';
import { areaWithin } from '$lib/server/coverage/respond';
import { exportRows } from '$lib/server/db/queries/export';
import { CONTENT_TYPE, csvFile, EXTENSION, geojsonFile, shapefileZip, xlsxFile } from '$lib/server/export/formats';

/** at most this many features in one export (a district's buildings fit; more asks for a smaller area) */
const MAX_FEATURES = Number(process.env.JICENG_EXPORT_MAX_FEATURES ?? 300_000);

export const GET = endpoint(
	{ guard: mapViewer, params: exportLayerParams, query: exportLayerQuery, tx: 'none' },
	async ({ caller, input, db, scoped, clientAddress }) => {
		const { layer } = input.params;
		const { format, encoding } = input.query;
		const area = areaWithin(caller, input.query.area);
		const rows = await scoped((trx) => exportRows(trx, layer, area, MAX_FEATURES + 1, format === 'csv' || format === 'xlsx' ? 'wkt' : 'geojson'));
		if (rows.length > MAX_FEATURES) error(413, `query.area: more than ${MAX_FEATURES} features; export a smaller area`);
		const body: string | Buffer =
			format === 'geojson'
				? geojsonFile(rows)
				: format === 'csv'
					? csvFile(layer, rows)
					: format === 'xlsx'
						? await xlsxFile(layer, rows)
						: await shapefileZip(layer, rows, encoding);
		await audit(db.kysely, {
			accountId: caller.accountId,
			username: caller.username,
			role: caller.principal,
			clientAddr: clientAddress,
			action: 'export',
			object: `${layer}.${format}${format === 'shp' ? ` ${encoding}` : ''} ${area}: ${rows.length} features`,
			result: 'ok'
		});
		const stamp = new Date().toISOString().slice(0, 10);
		return new Response(typeof body === 'string' ? body : new Uint8Array(body), {
			headers: {
				'content-type': CONTENT_TYPE[format],
				'content-disposition': `attachment; filename="${layer}-${area}-${stamp}.${EXTENSION[format]}"`,
				'cache-control': 'private, no-store'
			}
		});
	}
);
