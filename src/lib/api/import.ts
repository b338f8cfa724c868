// What the import page sends (POST /api/import?…, the file as the body) and gets back: one JSON
// object per line — progress lines, then the result. Shared by the route and the page.
import * as v from 'valibot';
import { agrees, count } from './contract.ts';
import { oneOf } from './inputs.ts';

export const IMPORT_LAYERS = ['areas', 'buildings', 'roads', 'service_centres'] as const;

const flag = v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0');
const short = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max, `at most ${max} characters`)), '');

export const importQuery = v.object({
	layer: oneOf(IMPORT_LAYERS),
	/** the file's name (its extension says the format) */
	name: v.pipe(v.string(), v.minLength(1, 'must name the file'), v.maxLength(200, 'at most 200 characters')),
	mapping: short(80),
	crs: short(40),
	encoding: v.optional(v.picklist(['', 'UTF-8', 'GBK'], 'must be UTF-8 or GBK'), ''),
	/** a constant level for every feature (areas, service centres) */
	level: v.optional(v.picklist(['', 'district', 'street', 'community', 'grid', 'station'], 'must be a level'), ''),
	repair: flag,
	from_gcj02: flag,
	dry_run: flag,
	/** save the mapping used under this name */
	save_mapping: short(80)
});
export type ImportQuery = v.InferOutput<typeof importQuery>;

export interface ImportReportRow {
	file: string;
	feature: number;
	field: string;
	reason: string;
	action: 'rejected' | 'repaired' | 'warning';
}

export type ImportLine =
	| { type: 'progress'; features: number; perSecond: number; eta: number | null; phase: string }
	| { type: 'error'; message: string }
	| {
			type: 'result';
			features: number;
			accepted: number;
			rejected: number;
			crs: string | null;
			encoding: string | null;
			layer: string;
			file: string;
			dry_run: boolean;
			committed: boolean;
			written: { inserted: number; updated: number; unchanged: number };
			refused: string[];
			gcj02: { suspect: boolean; asRead: number | null; converted: number | null } | null;
			crs_source: string;
			seconds: number;
			features_per_second: number;
			report: ImportReportRow[];
			report_total: number;
			report_csv: string;
			preview: { type: 'FeatureCollection'; features: { type: 'Feature'; properties: Record<string, unknown>; geometry: unknown }[] };
	  };

// ---- the answer's contract (contract.ts): each line the import route sends ----

const reportRow = v.object({
	file: v.string(),
	feature: v.number(),
	field: v.string(),
	reason: v.string(),
	action: v.picklist(['rejected', 'repaired', 'warning'])
});

export const importLine = agrees<ImportLine>()(
	v.variant('type', [
		v.object({ type: v.literal('progress'), features: count, perSecond: v.number(), eta: v.nullable(v.number()), phase: v.string() }),
		v.object({ type: v.literal('error'), message: v.string() }),
		v.object({
			type: v.literal('result'),
			features: count,
			accepted: count,
			rejected: count,
			crs: v.nullable(v.string()),
			encoding: v.nullable(v.string()),
			layer: v.string(),
			file: v.string(),
			dry_run: v.boolean(),
			committed: v.boolean(),
			written: v.object({ inserted: count, updated: count, unchanged: count }),
			refused: v.array(v.string()),
			gcj02: v.nullable(v.object({ suspect: v.boolean(), asRead: v.nullable(v.number()), converted: v.nullable(v.number()) })),
			crs_source: v.string(),
			seconds: v.number(),
			features_per_second: v.number(),
			report: v.array(reportRow),
			report_total: count,
			report_csv: v.string(),
			preview: v.object({
				type: v.literal('FeatureCollection'),
				features: v.array(v.object({ type: v.literal('Feature'), properties: v.record(v.string(), v.unknown()), geometry: v.unknown() }))
			})
		})
	])
);
