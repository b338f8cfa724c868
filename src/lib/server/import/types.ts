// The shapes every part of the import shares: a feature as a reader gives it, a line of the
// validation report, and the one error that means "this file cannot be read at all".

/** A GeoJSON geometry as read, before any checks (coordinates may be anything). */
export interface RawGeometry {
	type: string;
	coordinates?: unknown;
	geometries?: RawGeometry[];
}

/** One feature or row of a source file, numbered from 1 in reading order. */
export interface SourceFeature {
	/** feature or row number in its file (1-based; for CSV/XLSX the data row, header excluded) */
	n: number;
	/** the file (inside a zip: the entry) it came from */
	file: string;
	properties: Record<string, unknown>;
	geometry: RawGeometry | null;
}

export type ReportAction = 'rejected' | 'repaired' | 'warning';

/** One line of the validation report: where, which field, why, and what was done. */
export interface ReportRow {
	file: string;
	/** feature or row number; 0 for a remark about the whole file */
	feature: number;
	field: string;
	reason: string;
	action: ReportAction;
}

/** The file cannot be read at all (the only case where the CLI exits non-zero). */
export class UnreadableFile extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UnreadableFile';
	}
}

export const LAYERS = ['areas', 'buildings', 'roads', 'service_centres'] as const;
export type ImportLayer = (typeof LAYERS)[number];
export function isImportLayer(s: string): s is ImportLayer {
	return (LAYERS as readonly string[]).includes(s);
}
