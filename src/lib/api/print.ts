// The printable maps (issue 13 part 2: /print/<code> and /print/atlas/<code>): their inputs and the
// shapes the pages receive. The map itself is SVG built on the server (src/lib/server/print).
import * as v from 'valibot';
import type { AreaSelectionFigures } from './selection.ts';
import type { ShownAreaCoverageRow } from './coverage.ts';

export const PAPERS = ['a4', 'a3'] as const;
export const ORIENTATIONS = ['landscape', 'portrait'] as const;
export type Paper = (typeof PAPERS)[number];
export type Orientation = (typeof ORIENTATIONS)[number];

/** paper sizes in millimetres, portrait (width, height) */
export const PAPER_MM: Record<Paper, readonly [number, number]> = { a4: [210, 297], a3: [297, 420] };

export const printQuery = v.object({
	paper: v.optional(v.picklist(PAPERS, 'must be a4 or a3'), 'a4'),
	orientation: v.optional(v.picklist(ORIENTATIONS, 'must be landscape or portrait'), 'landscape')
});

/** the paper's width and height in millimetres for the orientation */
export function paperSize(paper: Paper, orientation: Orientation): [number, number] {
	const [w, h] = PAPER_MM[paper];
	return orientation === 'portrait' ? [w, h] : [h, w];
}

/** the map's frame: its viewBox in metres around the area's centre (lon0, lat0), and the scale bar's length */
export interface PrintFrame {
	x: number;
	y: number;
	width: number;
	height: number;
	lon0: number;
	lat0: number;
	scale_bar_m: number;
}

/** one printed page: an area's map, and (in the atlas) its figures from the panel's query path */
export interface PrintSheet {
	code: string;
	name: string;
	level: string;
	kind: string | null;
	svg: string;
	frame: PrintFrame;
	/** building kinds and centre levels drawn (the legend) */
	kinds: string[];
	levels: string[];
	blind_spots: number;
	figures: AreaSelectionFigures | null;
	coverage: ShownAreaCoverageRow | null;
}

export interface PrintPageData {
	paper: Paper;
	orientation: Orientation;
	/** the unit issuing the print: the organisation leading the caller's area, or the area's name */
	issuer: string;
	/** the data's date: the coverage run's computed_at (ISO), or the time of printing when there is none */
	data_date: string;
	data_version: number | null;
	/** the area the print is of (the atlas's parent) */
	area: { code: string; name: string; level: string };
	sheets: PrintSheet[];
	atlas: boolean;
}

/** the page's margin, and the heights of its title and footer rows, in millimetres */
export const PRINT_LAYOUT = { margin: 10, title: 14, footer: 22 } as const;

/** the map's box on the page in millimetres: the whole body, or (atlas) 62 % of it beside / above the figures */
export function mapBox(paper: Paper, orientation: Orientation, atlas: boolean): [number, number] {
	const [pw, ph] = paperSize(paper, orientation);
	const w = pw - 2 * PRINT_LAYOUT.margin;
	const h = ph - 2 * PRINT_LAYOUT.margin - PRINT_LAYOUT.title - PRINT_LAYOUT.footer;
	if (!atlas) return [w, h];
	return orientation === 'landscape' ? [w * 0.62, h] : [w, h * 0.62];
}
