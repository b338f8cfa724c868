// The data of a print page (/print/<code>) or an atlas (/print/atlas/<code>): each sheet's map
// (map-svg.ts) and, in the atlas, the area's figures from the panel's own query path
// (selectionSummary) and its coverage from the coverage queries with small cells withheld — never
// a second way of computing a number. Everything within the caller's scoped transaction.
import type { Scoped } from '../db/scoped.ts';
import type { Viewer } from '../auth/viewer.ts';
import { selectionSummary } from '../db/queries/selection.ts';
import { areaCoverage, coverageRun } from '../db/queries/coverage.ts';
import { areaCoverageFor } from '../privacy/coverage.ts';
import { printMap } from './map-svg.ts';
import { mapBox, type Orientation, type Paper, type PrintPageData, type PrintSheet } from '../../api/print.ts';

/** the most sheets one atlas prints (a street's communities, a community's grids fit) */
export const MAX_SHEETS = 60;

async function sheet(trx: Scoped, viewer: Viewer, code: string, aspect: number, withFigures: boolean): Promise<PrintSheet | undefined> {
	const sel = await selectionSummary(trx, code, viewer);
	if (!sel || sel.type !== 'area') return undefined;
	const map = await printMap(trx, code, aspect);
	if (!map) return undefined;
	const cov = withFigures ? await areaCoverage(trx, code, viewer.scope) : null;
	return {
		code: sel.code,
		name: sel.name,
		level: sel.level,
		kind: sel.kind,
		svg: map.svg,
		frame: map.frame,
		kinds: map.kinds,
		levels: map.levels,
		blind_spots: map.counts.blind_spots,
		figures: withFigures ? sel.figures : null,
		coverage: cov && areaCoverageFor(cov, viewer)
	};
}

/** The print of `code` (one sheet) or its atlas (one sheet per child area; a grid's is itself); undefined when out of scope. */
export async function printPage(
	trx: Scoped,
	viewer: Viewer,
	code: string,
	opts: { paper: Paper; orientation: Orientation; atlas: boolean }
): Promise<PrintPageData | undefined> {
	const sel = await selectionSummary(trx, code, viewer);
	if (!sel || sel.type !== 'area') return undefined;
	const [bw, bh] = mapBox(opts.paper, opts.orientation, opts.atlas);
	const codes = opts.atlas && sel.children.length > 0 ? sel.children.slice(0, MAX_SHEETS).map((c) => c.code) : [code];
	const sheets: PrintSheet[] = [];
	for (const c of codes) {
		const s = await sheet(trx, viewer, c, bw / bh, opts.atlas);
		if (s) sheets.push(s);
	}
	const own = viewer.scope ? await selectionSummary(trx, viewer.scope, viewer) : undefined;
	const issuer = own?.type === 'area' ? (own.organisation?.name ?? own.name) : sel.name;
	const run = await coverageRun(trx);
	return {
		paper: opts.paper,
		orientation: opts.orientation,
		issuer,
		data_date: (run ? new Date(run.computed_at) : new Date()).toISOString(),
		data_version: run?.data_version ?? null,
		area: { code: sel.code, name: sel.name, level: sel.level },
		sheets,
		atlas: opts.atlas
	};
}
