// The inputs of a layer export (GET /api/export/<layer>), shared by the route and the page that links to it.
import * as v from 'valibot';
import { within } from './inputs.ts';

export const EXPORT_LAYER_NAMES = ['areas', 'buildings', 'roads', 'service_centres'] as const;
export const EXPORT_FORMATS = ['geojson', 'csv', 'xlsx', 'shp'] as const;

export const exportLayerParams = v.object({ layer: v.picklist(EXPORT_LAYER_NAMES, `must be one of ${EXPORT_LAYER_NAMES.join(', ')}`) });

export const exportLayerQuery = v.object({
	format: v.optional(v.picklist(EXPORT_FORMATS, `must be one of ${EXPORT_FORMATS.join(', ')}`), 'geojson'),
	/** an area within the caller's (empty: the caller's whole area) */
	area: within,
	/** the Shapefile's attribute table: UTF-8 (default) or GBK, for older GIS software */
	encoding: v.optional(v.picklist(['UTF-8', 'GBK'] as const, 'must be UTF-8 or GBK'), 'UTF-8')
});
