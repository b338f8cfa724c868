// The coverage rules of the organisation system (DOMAIN.md, seed 004), each written once. The
// server's SQL (area figures, gaps, tiles) is built from these values, and the browser only
// reads what the server computed with them: it never applies a rule itself.

/** buildings where this many members live or work need a building-level organisation */
export const MEMBER_BUILDING_THRESHOLD = 3;

/** a central household looks after 10–15 households (DOMAIN.md): more is overload */
export const CENTRAL_HOUSEHOLD_MAX = 15;

/** commercial buildings of at least this many floors count as 商圈市场 (malls, markets), not corner shops */
export const KEY_COMMERCIAL_MIN_FLOORS = 3;

/** organisations that cover a building by sitting in it */
export const COVERING_KINDS = ['building_group', 'office_branch', 'liaison_station', 'park_branch'] as const;
export type CoveringKind = (typeof COVERING_KINDS)[number];

/** the minutes each living circle is named after (GB 50180-2018: 5-, 10- and 15-minute living circles) */
export const CIRCLE_MINUTES = [5, 10, 15] as const;

/** default walking distance of the 5-, 10- and 15-minute living circles, metres (GB 50180-2018: about 300, 500 and 800–1000 m) */
export const LIVING_CIRCLE_METRES = [300, 500, 1000] as const;

/** default walking speed, metres per minute (80 m/min ≈ 4.8 km/h) */
export const WALKING_SPEED_M_PER_MIN = 80;

/**
 * the windows of visit coverage (走访覆盖), days: a household counts as visited when a visit falls
 * on one of the last N calendar days, today included (issue 11 part 2)
 */
export const VISIT_WINDOWS_DAYS = [30, 90] as const;
export type VisitWindow = (typeof VISIT_WINDOWS_DAYS)[number];

/**
 * road pieces whose end lies within this many metres of another piece (its end or its line) and
 * that are not otherwise connected to it are joined by a straight walking link when the network
 * is built (issue 13: OSM extracts cut at tile edges, paths digitised with small gaps); the
 * server reads JICENG_ROAD_SNAP_M to override it, 0 turns the joining off
 */
export const ROAD_SNAP_M = 15;

/**
 * the visit window the coverage index counts (a household visited in the last 90 days is reached
 * by work coverage: a quarter, the usual round of a grid's 300–500 households)
 */
export const VISIT_INDEX_WINDOW_DAYS: VisitWindow = 90;
