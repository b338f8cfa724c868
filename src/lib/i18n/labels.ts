// Label tables shared by several screens: a value the data holds → the catalogue key that names it.
import type { PlainKey } from './index.ts';

/** the levels of the area hierarchy (area.level); a community of kind `village` reads 村 */
export const LEVEL_LABELS: Record<string, PlainKey> = {
	district: 'level.district',
	street: 'level.street',
	community: 'level.community',
	grid: 'level.grid'
};
