// Small-cell suppression (小数抑制): the threshold and how a withheld count looks, shared by the
// server (src/lib/server/privacy/small-cells.ts applies it to JSON, tiles and exports) and the
// components that render it. Kept out of $lib/server so the browser may import it.

/**
 * A count of persons or households (households, residents, members, central households, households
 * looked after, …) strictly between 0 and this threshold is not disclosed to a viewer without
 * person access (`viewer.persons === false`: the display 大屏 and planners without the person
 * grant). 0 and counts of at least the threshold are shown as they are.
 *
 * How a withheld count is represented — one representation, everywhere:
 * - JSON (and GeoJSON properties): the value is `null`, and the object that holds it lists the
 *   withheld keys in `suppressed: string[]` (e.g. `{ "households": null, "suppressed": ["households"] }`);
 *   an object with nothing withheld has no `suppressed` key. A figure computed from a withheld
 *   count (a density, a share, a score) is withheld the same way.
 * - vector tiles: the attribute is left out of the feature (MVT has no null; a count attribute of
 *   those layers is otherwise always present). TileJSON says so in the field's description.
 * - CSV: the cell reads `<3` (SUPPRESSED_TEXT).
 * - on screen: `<3` (showCount below).
 */
export const SMALL_CELL_THRESHOLD = 3;

/** what a withheld count reads as in CSV and on screen */
export const SUPPRESSED_TEXT = `<${SMALL_CELL_THRESHOLD}`;

/** true for 1 … threshold − 1: a count that must not reach a viewer without person access */
export function isSmallCell(n: number | null | undefined): boolean {
	return typeof n === 'number' && n > 0 && n < SMALL_CELL_THRESHOLD;
}

/**
 * A count for display: a withheld one (null or undefined) as `<3`, others by `format`.
 * Only for counts the server may withhold: where a count is always there, null never reaches it.
 */
export function showCount(value: number | null | undefined, format: (n: number) => string = String): string {
	return value === null || value === undefined ? SUPPRESSED_TEXT : format(value);
}
