// What the stored daily snapshots answer (GET /api/snapshots): the days there are, and one day's
// figures per area and its blind spots, with small counts withheld as elsewhere. The planner's
// time slider and the screen's trends read these.
import * as v from 'valibot';
import { count, nullableNumber, shownCount } from './contract.ts';

export const snapshotArea = v.object({
	code: v.string(),
	name: v.string(),
	households: shownCount,
	members: shownCount,
	share_5min: nullableNumber,
	share_10min: nullableNumber,
	share_15min: nullableNumber,
	coverage_index: nullableNumber,
	blind_spots: v.nullable(count),
	rectify: v.nullable(v.boolean())
});

export const snapshotsAnswer = v.object({
	days: v.array(v.string()),
	day: v.nullable(v.string()),
	level: v.optional(v.picklist(['street', 'community', 'grid'])),
	within: v.optional(v.string()),
	areas: v.array(snapshotArea),
	blind_spots: v.array(v.object({ grid_code: v.string(), households: shownCount, buildings: count, geometry: v.looseObject({ type: v.string() }) }))
});

/** POST /api/snapshots: the snapshot just taken */
export const snapshotTakenAnswer = v.object({ day: v.string(), areas: count, blind_spots: count });
