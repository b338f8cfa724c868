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
