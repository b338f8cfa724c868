// The access matrix: every route and tile layer of the app × every principal (each role of ROLES,
// a big screen, nobody) × ids from inside and outside the caller's area ⇒ the answer the rules say.
//
// What is checked comes from the app itself (route-inventory.ts): the routes from the file tree
// (+server methods, pages, form actions) and the tile layers from the layer declarations. What
// each must answer comes from one table below (TABLE: route × principal → expected answer),
// written from the rules (README "Accounts, roles and privacy"), not from the app's code. The
// first test fails when the table has no entry for a route, a layer, a principal or — for
// area-bound routes — an in-scope and an out-of-scope case; the second runs the table. Ids are
// discovered as the district administrator; every allowed answer is checked item by item
// (lists and tiles against the district administrator's view of the caller's area).
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type APIResponse, type PlaywrightWorkerArgs } from '@playwright/test';
import {
	anonymousApi,
	cloneApi,
	createKioskToken,
	decodeTile,
	densify,
	json,
	kioskApi,
	parseCsv,
	postAction,
	signedMetres,
	signInApi,
	signInAs,
	tileOf,
	tilePath,
	tilesCovering,
	tileToLonLat,
	type AccountRole,
	type ActionResult,
	type AreaGeometry,
	type DecodedFeature,
	type Position,
	type Tile
} from './access-helpers.ts';
import { inventory, ROLES, tileJsonKey, tileKey, tileLayers, type InventoryEntry } from './route-inventory.ts';

type Playwright = PlaywrightWorkerArgs['playwright'];
type Level = 'district' | 'street' | 'community' | 'grid';

// ─── the table ─────────────────────────────────────────────────────────────────────────────

/** the table's columns: every role of ROLES, the big screen (kiosk token) and nobody */
const COLUMNS = [
	'district_admin',
	'street_secretary',
	'community_secretary',
	'grid_leader',
	'planner',
	'auditor',
	'system_admin',
	'security_admin',
	'display',
	'anonymous'
] as const;
type Principal = (typeof COLUMNS)[number];

/**
 * An expected answer:
 * - a number: that status (for form actions: the action's result — 200 success, 400 failure, 403 refused)
 * - SCOPED: 200 (a tile: 200 or 204; a POST that made a record: 201) holding exactly the caller's area — nothing outside it, nothing of
 *   it missing (against the district administrator's view), persons as the role sees them
 * - COUNTS: as SCOPED, for a viewer who sees no persons: no household or member ids, no secretary's
 *   name, every count of persons between 0 and 3 withheld
 * - NONE: out of scope: 404, 403, 400 or an empty tile, or 200 holding only the caller's own area —
 *   never another area's data
 * - LOGIN / HOME / TO_ADMIN / TO_AUDIT / TO_SCREEN / TO_GRID: 303 to /login (…), /, /admin, /audit, /screen, /grid
 * - STATUS_ONLY / DETAILS: the health check without / with the installation's details
 * - DONE: the administrator's action took effect (and what it promises holds)
 */
type Token =
	| 200
	| 400
	| 401
	| 403
	| 404
	| 'SCOPED'
	| 'COUNTS'
	| 'NONE'
	| 'LOGIN'
	| 'HOME'
	| 'TO_ADMIN'
	| 'TO_AUDIT'
	| 'TO_SCREEN'
	| 'TO_GRID'
	| 'STATUS_ONLY'
	| 'DETAILS'
	| 'DONE';
/** one token for every case, or one per case: `in`/`out` stand for every `in:…`/`out:…` case not named */
type Cell = Token | Readonly<Record<string, Token>>;
interface Row {
	cells: Partial<Record<Principal, Cell>>;
	/** how many cells were written (must be one per column) */
	written: number;
}

/** a row of the table, one cell per column in COLUMNS' order */
function row(...cells: Cell[]): Row {
	const out: Partial<Record<Principal, Cell>> = {};
	cells.forEach((c, i) => {
		if (i < COLUMNS.length) out[COLUMNS[i]] = c;
	});
	return { cells: out, written: cells.length };
}
/** in scope ⇒ a, out of scope ⇒ b, and named cases as given */
const io = (a: Token, b: Token, more: Record<string, Token> = {}): Cell => ({ in: a, out: b, ...more });

const S = 'SCOPED',
	C = 'COUNTS',
	N = 'NONE',
	L = 'LOGIN',
	D = 'DONE';
const DENIED = 403;

// (columns aligned by hand: one line per route, one cell per principal)
// prettier-ignore
const TABLE: Record<string, Row> = {
	//                                          district_admin  street_secr.  community_s.  grid_leader   planner                                  auditor     system_adm. security_a. display                                  anonymous
	// ── pages
	'GET /':                                    row(io(200, 404), io(200, 404), io(200, 404), io(200, 404, { 'in:plain': 'TO_GRID' }), io(200, 404),                            'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', io(200, 404),                            L),
	'GET /login':                               row('HOME', 'HOME', 'HOME', 'HOME', 'HOME',                                                           'HOME',     'HOME',     'HOME',     200,                                     200),
	// a wrong user name and password: one answer for everybody
	'POST /login':                              row(401, 401, 401, 401, 401,                                                                          401,        401,        401,        401,                                     401),
	// a big screen has no password to change; the form refuses two different new passwords
	'GET /account/password':                    row(200, 200, 200, 200, 200,                                                                          200,        200,        200,        L,                                       L),
	'POST /account/password':                   row(400, 400, 400, 400, 400,                                                                          400,        400,        400,        L,                                       L),
	'GET /audit':                               row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           200,        DENIED,     DENIED,     DENIED,                                  L),
	'GET /admin':                               row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     200,        200,        DENIED,                                  L),
	// imports: the district administrator's, within their district (the scope comes from the session)
	'GET /import':                              row(200, DENIED, DENIED, DENIED, DENIED,                                                              DENIED,     DENIED,     DENIED,     DENIED,                                  L),
	// a dry run: a building inside the district is read and checked, one outside is rejected
	'POST /api/import':                         row(io(200, 200), DENIED, DENIED, DENIED, DENIED,                                                     DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	// a valid link signs the screen in, whoever opens it, and sends it to its page; an unknown token is refused
	'GET /kiosk/[token]':                       row(...COLUMNS.map(() => ({ valid: 'TO_SCREEN', unknown: 403 }) as Cell)),
	// ── the big screen (issue 12): its page and figures for the display only (a kiosk token);
	//    aggregates of its own area whatever the URL says
	'GET /screen':                              row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     DENIED,     200,                                     L),
	'GET /api/screen':                          row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	// ── my grid (issue 11 part 1): grid leaders and community secretaries, for grids (and central households) in their area;
	//    a grid leader landing on / goes to /grid
	'GET /grid':                                row(DENIED, DENIED, 200, 200, DENIED,                                                                 DENIED,     DENIED,     DENIED,     DENIED,                                  L),
	'GET /grid/[code]':                         row(DENIED, DENIED, io(200, 404), io(200, 404), DENIED,                                               DENIED,     DENIED,     DENIED,     DENIED,                                  L),
	'GET /grid/household/[id]':                 row(DENIED, DENIED, io(200, 404), io(200, 404), DENIED,                                               DENIED,     DENIED,     DENIED,     DENIED,                                  L),
	// printable maps and atlases (issue 13 part 2): the map's viewers, in their area only
	'GET /print/[code]':                        row(io(200, 404), io(200, 404), io(200, 404), io(200, 404), io(200, 404),                            'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', io(200, 404),                            L),
	'GET /print/atlas/[code]':                  row(io(200, 404), io(200, 404), io(200, 404), io(200, 404), io(200, 404),                            'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', io(200, 404),                            L),
	// daily snapshots: taken on demand by the district administrator; read (the time slider) by viewers of the map
	'POST /api/snapshots':                      row(200, DENIED, DENIED, DENIED, DENIED,                                                              DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/snapshots':                       row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	// ── the map's API
	// the installation's details for administrators only (区级管理员, 系统管理员, 安全管理员)
	'GET /api/health':                          row('DETAILS', 'STATUS_ONLY', 'STATUS_ONLY', 'STATUS_ONLY', 'STATUS_ONLY',                            'STATUS_ONLY', 'DETAILS', 'DETAILS', 'STATUS_ONLY',                          'STATUS_ONLY'),
	'GET /api/areas/[code]/summary':            row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	'GET /api/areas/[level].geojson':           row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	'GET /api/buildings/[id]/summary':          row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	'GET /api/buildings/[id]/households':       row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), DENIED,                                          DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'POST /api/members/[id]/reveal':            row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), DENIED,                                          DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	// visits (走访, issue 11 part 2): recorded by grid leaders and the secretaries above them for a household in
	// their area (a retry with the same client id answers the first visit); read also by the district
	// administrator; edited by the visitor only (someone else's visit: 403)
	'POST /api/visits':                         row(DENIED, io(S, N), io(S, N), io(S, N), DENIED,                                                    DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/visits':                          row(io(S, N), io(S, N), io(S, N), io(S, N), DENIED,                                                  DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'PATCH /api/visits/[id]':                   row(io(DENIED, N), io(S, N, { 'in:other': DENIED }), io(S, N, { 'in:other': DENIED }), io(S, N, { 'in:other': DENIED }), DENIED, DENIED, DENIED, DENIED, DENIED, 401),
	// residents' requests (群众诉求, issue 11 part 3): made by grid leaders and community secretaries for a household
	// in their area (the photo follows as a raw body, creators only); read by them, the street secretary and the
	// district administrator in their subtree; acted on by the level holding the request only (a fresh request is
	// held at the grid: the grid leader accepts it, a secretary above is refused)
	'POST /api/requests':                       row(DENIED, DENIED, io(S, N), io(S, N), DENIED,                                                      DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'POST /api/requests/[id]/photo':            row(DENIED, DENIED, io(S, N), io(S, N), DENIED,                                                      DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/requests':                        row(io(S, N), io(S, N), io(S, N), io(S, N), DENIED,                                                  DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/requests/[id]':                   row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), DENIED,                                          DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/requests/[id]/photo':             row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), DENIED,                                          DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'POST /api/requests/[id]/actions':          row(io(DENIED, N), io(DENIED, N), io(DENIED, N), io(S, N), DENIED,                                   DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	// the requests' pages: the same readers; the others go to their own pages or are refused
	'GET /requests':                            row(200, 200, 200, 200, DENIED,                                                                   'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', DENIED,                                  L),
	'GET /requests/[id]':                       row(io(200, 404), io(200, 404), io(200, 404), io(200, 404), DENIED,                               'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', DENIED,                                  L),
	// needs, resources and projects (需求清单 · 资源清单 · 项目清单, issue 11 part 4): needs entered by grid leaders and the
	// secretaries above them at a point of their area; resources listed and needs claimed (a project) and finished by
	// the community and street secretaries and the district administrator; all read by those who read requests
	'POST /api/needs':                          row(DENIED, io(S, N), io(S, N), io(S, N), DENIED,                                                    DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/needs':                           row(io(S, N), io(S, N), io(S, N), io(S, N), DENIED,                                                  DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /api/needs/matches':                   row(io(S, N), io(S, N), io(S, N), io(S, N), DENIED,                                                  DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'POST /api/resources':                      row(io(S, N), io(S, N), io(S, N), DENIED, DENIED,                                                    DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'POST /api/needs/[id]/claim':               row(io(S, N), io(S, N), io(S, N), DENIED, DENIED,                                                    DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'PATCH /api/projects/[id]':                 row(io(S, N), io(S, N), io(S, N), DENIED, DENIED,                                                    DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	'GET /needs':                               row(200, 200, 200, 200, DENIED,                                                                   'TO_AUDIT', 'TO_ADMIN', 'TO_ADMIN', DENIED,                                  L),
	'GET /api/search':                          row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	// ── coverage (an area outside the caller's subtree reads as nonexistent: 404)
	'GET /api/coverage/area/[code]':            row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	// layer exports (issue 13 part 2): an area outside the caller's subtree reads as nonexistent
	'GET /api/export/[layer]':                  row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	'GET /api/coverage/blind-spots':            row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	// the rules about central households (persons' homes) only for those who see persons
	'GET /api/coverage/gaps':                   row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404, { 'in:persons-rule': DENIED }),       DENIED,     DENIED,     DENIED,     io(C, 404, { 'in:persons-rule': DENIED }), 401),
	'GET /api/coverage/organisations':          row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	'GET /api/coverage/rankings':               row(io(S, 404), io(S, 404), io(S, 404), io(S, 404), io(C, 404),                                      DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	// a grid holds no service centre: the grid leader's `in` asks for its community's, which is above it
	'GET /api/coverage/reach/[centre]':         row(io(S, 404), io(S, 404), io(S, 404), io(404, 404), io(C, 404),                                    DENIED,     DENIED,     DENIED,     io(C, 404),                              401),
	// analyses for the roles that run them; a pin outside the caller's area (and its 2 km margin) is a 400
	'GET /api/coverage/suggest':                row(io(S, 400, { 'out:within': 404 }), io(S, 400, { 'out:within': 404 }), io(S, 400, { 'out:within': 404 }), DENIED, io(C, 400, { 'out:within': 404 }), DENIED, DENIED, DENIED, DENIED, 401),
	// a station outside the area and its margin is a 400; one just across the boundary counts the caller's area only
	'POST /api/coverage/whatif':                row(io(S, 400, { 'out:near': N }), io(S, 400, { 'out:near': N }), io(S, 400, { 'out:near': N }), DENIED, io(C, 400, { 'out:near': N }), DENIED, DENIED, DENIED, DENIED, 401),
	// ── tiles (layers placing households: only for those who see persons)
	[tileKey('streets')]:                       row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('communities')]:                   row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('grids')]:                         row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('buildings')]:                     row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('roads')]:                         row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('service_centres')]:               row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('members')]:                       row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N, { 'in:households': DENIED, 'out:households': DENIED }), DENIED, DENIED, DENIED, io(C, N, { 'in:households': DENIED, 'out:households': DENIED }), 401),
	// residents' requests: per grid to z13 for every viewer of the map; one point per request from z14 (households' places)
	[tileKey('requests')]:                      row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N, { 'in:households': DENIED, 'out:households': DENIED }), DENIED, DENIED, DENIED, io(C, N, { 'in:households': DENIED, 'out:households': DENIED }), 401),
	[tileKey('central_links')]:                 row(io(S, N), io(S, N), io(S, N), io(S, N), DENIED,                                                  DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	[tileKey('gaps')]:                          row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('coverage_street')]:               row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('coverage_community')]:            row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileKey('coverage_grid')]:                 row(io(S, N), io(S, N), io(S, N), io(S, N), io(C, N),                                                DENIED,     DENIED,     DENIED,     io(C, N),                                401),
	[tileJsonKey('streets')]:                   row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('communities')]:               row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('grids')]:                     row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('buildings')]:                 row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('roads')]:                     row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('service_centres')]:           row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('members')]:                   row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('requests')]:                  row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('central_links')]:             row(S, S, S, S, DENIED,                                                                               DENIED,     DENIED,     DENIED,     DENIED,                                  401),
	[tileJsonKey('gaps')]:                      row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('coverage_street')]:           row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('coverage_community')]:        row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	[tileJsonKey('coverage_grid')]:             row(S, S, S, S, C,                                                                                    DENIED,     DENIED,     DENIED,     C,                                       401),
	// ── /admin (三员分立: requests, disabling and enabling are the system administrator's; approvals,
	//    roles, grants, unlocks and screens the security administrator's). Run in this order: each
	//    administrator's action works on the accounts and screen the previous rows made.
	'POST /admin?/create':                      row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     D,          DENIED,     DENIED,                                  L),
	'POST /admin?/approve':                     row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/changeRole':                  row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/unlock':                      row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/grantPersons':                row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/revokePersons':               row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/disable':                     row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     D,          DENIED,     DENIED,                                  L),
	'POST /admin?/enable':                      row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     D,          DENIED,     DENIED,                                  L),
	'POST /admin?/reject':                      row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/createScreen':                row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/setScreenInterval':           row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	'POST /admin?/revokeScreen':                row(DENIED, DENIED, DENIED, DENIED, DENIED,                                                           DENIED,     DENIED,     D,          DENIED,                                  L),
	// ends a fresh session of each account (the shared ones go on)
	'POST /logout':                             row(L, L, L, L, L,                                                                                    L,          L,          L,          L,                                       L)
};

/** The demo accounts' areas (the first start prints them), and the big screen made for this test. */
const SCOPE_LEVEL: Record<Principal, Level> = {
	district_admin: 'district',
	street_secretary: 'street',
	community_secretary: 'community',
	grid_leader: 'grid',
	planner: 'district',
	auditor: 'district',
	system_admin: 'district',
	security_admin: 'district',
	display: 'street',
	anonymous: 'district'
};

/** routes that carry ids or areas but answer for nobody's area */
const NOT_AREA_BOUND = new Set(['GET /api/health', 'POST /api/snapshots']);
/** area-bound: must be probed inside and outside the caller's area */
function areaBound(e: InventoryEntry): boolean {
	if (NOT_AREA_BOUND.has(e.key) || e.kind === 'tilejson') return false;
	return e.kind === 'tile' || e.params.some((p) => p !== 'token') || e.pattern.startsWith('/api/') || e.key === 'GET /';
}

/** the token for one case: the case's own, else its prefix's (`in:csv` → `in`) */
function resolve(cell: Cell | undefined, c: string): Token | undefined {
	if (cell === undefined || typeof cell !== 'object') return cell;
	for (let k = c; ; k = k.slice(0, k.lastIndexOf(':'))) {
		if (k in cell) return cell[k];
		if (!k.includes(':')) return undefined;
	}
}

// ─── the world as the district administrator sees it ───────────────────────────────────────

const NOWHERE = { area: '999999', building: 999_999_999, member: 999_999_999, centre: 999_999_999 };
/** how far outside the caller's area an analysis input is surely refused (the margin is 2 km) */
const FAR_DEGREES = 0.06;

interface AreaFeature {
	properties: { code: string; name: string; level: Level; parent_code: string | null };
	geometry: AreaGeometry;
}
interface Household {
	household: number;
	building: number;
	central: boolean;
	at: Position;
}
interface Centre {
	id: number;
	level: string;
	at: Position;
	/** the area it belongs to: the district for the district's, else the street/community it stands in */
	area: string;
}

interface World {
	admin: APIRequestContext;
	chain: Record<Level, string>;
	names: Map<string, string>;
	parent: Map<string, string | null>;
	bbox: Map<string, [number, number, number, number]>;
	geometry: Map<string, AreaGeometry>;
	buildingGrid: Map<number, string>;
	households: Map<number, Household>;
	centres: Map<number, Centre>;
	/** each road's pieces (lon/lat), from the district's z14 tiles */
	roads: Map<number, Position[][]>;
	/** per level of the chain: a sibling of that level's chain area (the nearest outside) */
	sibling: Record<Level, string>;
	/** per area code: a building there with a central household, one of its members, and that household */
	sample: Map<string, { building: number; member: number; household: Household; householdIds: number[] }>;
	/** the district administrator's answer to a GET, once per path */
	adminGet(path: string): Promise<{ status: number; body: Buffer }>;
}

const LEVELS: Level[] = ['district', 'street', 'community', 'grid'];

async function discover(admin: APIRequestContext): Promise<World> {
	const cache = new Map<string, Promise<{ status: number; body: Buffer }>>();
	const adminGet = (path: string) => {
		let hit = cache.get(path);
		if (!hit) cache.set(path, (hit = admin.get(path, { maxRedirects: 0 }).then(async (r) => ({ status: r.status(), body: await r.body() }))));
		return hit;
	};
	const names = new Map<string, string>();
	const parent = new Map<string, string | null>();
	const geometry = new Map<string, AreaGeometry>();
	const byLevel: Record<Level, string[]> = { district: [], street: [], community: [], grid: [] };
	for (const level of ['street', 'community', 'grid'] as const) {
		const fc = await json<{ features: AreaFeature[] }>(await admin.get(`/api/areas/${level}.geojson`));
		for (const { properties: p, geometry: g } of fc.features) {
			names.set(p.code, p.name);
			parent.set(p.code, p.parent_code);
			geometry.set(p.code, g);
			byLevel[level].push(p.code);
			if (level === 'street' && p.parent_code && !byLevel.district.includes(p.parent_code)) byLevel.district.push(p.parent_code);
		}
	}
	for (const l of LEVELS) byLevel[l].sort();
	// the demo accounts' branch: the first street, its first community, its first grid
	const district = byLevel.district[0];
	const street = byLevel.street.find((c) => parent.get(c) === district)!;
	const community = byLevel.community.find((c) => parent.get(c) === street)!;
	const grid = byLevel.grid.find((c) => parent.get(c) === community)!;
	const chain = { district, street, community, grid };
	// the district: all its streets
	geometry.set(district, {
		type: 'MultiPolygon',
		coordinates: byLevel.street.flatMap((s) => {
			const g = geometry.get(s)!;
			return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
		})
	});
	const nextSibling = (code: string) => {
		const siblings = [...parent]
			.filter(([, p]) => p === parent.get(code))
			.map(([c]) => c)
			.sort();
		return siblings.find((c) => c !== code) ?? NOWHERE.area;
	};
	const sibling = { district: NOWHERE.area, street: nextSibling(street), community: nextSibling(community), grid: nextSibling(grid) };

	const bbox = new Map<string, [number, number, number, number]>();
	for (const code of [district, street, community, grid, sibling.street, sibling.community, sibling.grid]) {
		const s = await json<{ name: string; bbox: [number, number, number, number] }>(await admin.get(`/api/areas/${code}/summary`));
		bbox.set(code, s.bbox);
		names.set(code, s.name);
	}

	const tileFeatures = async (layer: string, t: Tile) => {
		const r = await adminGet(tilePath(layer, t));
		if (r.status !== 200 && r.status !== 204) throw new Error(`${tilePath(layer, t)} answered ${r.status} to the district administrator`);
		return decodeTile(r.status === 200 ? r.body : null, layer);
	};
	// every building's grid (buildings tiles carry grid_code), the centres, the roads (z14)
	const buildingGrid = new Map<number, string>();
	const centres = new Map<number, Centre>();
	const roads = new Map<number, Position[][]>();
	const containing = (p: Position, level: 'street' | 'community') => byLevel[level].find((c) => signedMetres(p, geometry.get(c)!) <= 0) ?? '?';
	for (const t of tilesCovering(bbox.get(district)!, 14)) {
		for (const f of await tileFeatures('buildings', t)) buildingGrid.set(Number(f.properties.id), String(f.properties.grid_code));
		for (const f of await tileFeatures('service_centres', t)) {
			const at = tileToLonLat(t, f.geometry[0][0].x, f.geometry[0][0].y, f.extent);
			const level = String(f.properties.level);
			const area = level === 'district' ? district : containing(at, level === 'street' ? 'street' : 'community');
			centres.set(Number(f.properties.id), { id: Number(f.properties.id), level, at, area });
		}
		for (const f of await tileFeatures('roads', t)) {
			const pieces = roads.get(Number(f.id)) ?? [];
			for (const line of f.geometry) pieces.push(line.map((p) => tileToLonLat(t, p.x, p.y, f.extent)));
			roads.set(Number(f.id), pieces);
		}
	}
	// every member household (members z16)
	const households = new Map<number, Household>();
	for (const t of tilesCovering(bbox.get(district)!, 16)) {
		for (const f of await tileFeatures('members', t)) {
			const p = f.geometry[0][0];
			households.set(Number(f.properties.household_id), {
				household: Number(f.properties.household_id),
				building: Number(f.properties.building_id),
				central: f.properties.central === 1,
				at: tileToLonLat(t, p.x, p.y, f.extent)
			});
		}
	}
	expect(buildingGrid.size, 'buildings found in the district').toBeGreaterThan(100);
	expect(households.size, 'member households found in the district').toBeGreaterThan(100);
	expect(centres.size, 'service centres found in the district').toBeGreaterThan(3);
	expect(
		[...centres.values()].filter((c) => c.area === '?'),
		'service centres placed in an area'
	).toEqual([]);
	expect(roads.size, 'roads found in the district').toBeGreaterThan(10);

	const sample: World['sample'] = new Map();
	for (const area of [grid, sibling.grid, sibling.community, sibling.street]) {
		if (area === NOWHERE.area) continue;
		// a member household in the area, a central one if there is one (central_links start there)
		const candidates = [...households.values()].filter((h) => buildingGrid.get(h.building)?.startsWith(area));
		const h = candidates.find((c) => c.central) ?? candidates[0];
		expect(h, `a member household in ${area}`).toBeTruthy();
		const list = await json<{ households: { id: number; members: { id: number }[] }[] }>(await admin.get(`/api/buildings/${h.building}/households`));
		const member = list.households.find((x) => x.id === h.household)!.members[0].id;
		sample.set(area, { building: h.building, member, household: h, householdIds: list.households.map((x) => x.id) });
	}
	return { admin, chain, names, parent, bbox, geometry, buildingGrid, households, centres, roads, sibling, sample, adminGet };
}

// ─── principals ────────────────────────────────────────────────────────────────────────────

interface Who {
	principal: Principal;
	ctx: APIRequestContext;
	level: Level;
	scope: string;
	inside: { area: string; building: number; member: number; household: Household; centre: number; point: Position };
	outside: {
		area: string;
		parent: string | null;
		building: number;
		member: number;
		household: Household | null;
		/** a centre of another area, and the one of the area above */
		centre: number;
		aboveCentre: number;
		/** far outside the area and its margin; just across its boundary */
		far: Position;
		near: Position;
	};
}

function whoFor(principal: Principal, ctx: APIRequestContext, world: World): Who {
	const level = SCOPE_LEVEL[principal];
	const scope = world.chain[level];
	const inside = world.sample.get(world.chain.grid)!;
	const outsideArea = world.sibling[level];
	// the nearest outside building: in the sibling of the caller's area (none for the district)
	const outside = level === 'district' ? null : world.sample.get(outsideArea)!;
	const parentArea = level === 'district' ? null : (world.parent.get(scope) ?? null);
	const centres = [...world.centres.values()].sort((a, b) => b.area.length - a.area.length || a.id - b.id);
	const ownCentre = centres.find((c) => c.area === scope) ?? centres.find((c) => c.area.startsWith(scope));
	const aboveCentre = parentArea ? centres.find((c) => c.area === parentArea) : undefined;
	const otherCentre =
		level === 'district'
			? undefined
			: (centres.find((c) => c.area.startsWith(outsideArea)) ?? centres.find((c) => !c.area.startsWith(scope) && !scope.startsWith(c.area)));
	const [, s, e, n] = world.bbox.get(scope)!;
	return {
		principal,
		ctx,
		level,
		scope,
		inside: {
			area: scope,
			building: inside.building,
			member: inside.member,
			household: inside.household,
			// a grid has no centre of its own: the one above it (which it must not get either)
			centre: (ownCentre ?? aboveCentre)?.id ?? NOWHERE.centre,
			point: inside.household.at
		},
		outside: {
			area: outsideArea,
			parent: parentArea,
			building: outside?.building ?? NOWHERE.building,
			member: outside?.member ?? NOWHERE.member,
			household: outside?.household ?? null,
			centre: otherCentre?.id ?? NOWHERE.centre,
			aboveCentre: aboveCentre?.id ?? NOWHERE.centre,
			far: [e + FAR_DEGREES, (s + n) / 2],
			near: outside?.household.at ?? [e + 0.004, (s + n) / 2]
		}
	};
}

// ─── probing ───────────────────────────────────────────────────────────────────────────────

interface Env {
	base: string;
	world: World;
	playwright: Playwright;
	keep<T extends APIRequestContext>(c: T): T;
	fixture: AdminFixture;
	kioskToken: string;
	stats: Stats;
}
interface Stats {
	/** per tile layer: in-scope features expected in the `in` tiles, over all principals */
	tileInScope: Map<string, number>;
	/** small counts (1, 2) that viewers who see persons were shown: the suppression check had something to withhold */
	smallShownToPersons: number;
	smallWithheld: number;
}
interface Outcome {
	path: string;
	method: string;
	status: number;
	location?: string;
	response: APIResponse;
	action?: ActionResult;
	/** problems found on the way (a session that outlived its logout…) */
	notes?: string[];
}
interface CheckArgs {
	who: Who;
	c: string;
	token: Token;
	/** the viewer sees no persons (COUNTS) */
	counts: boolean;
	out: Outcome;
	env: Env;
}
interface Probe {
	cases: string[];
	call(who: Who, c: string, env: Env): Promise<Outcome>;
	/** problems with an allowed answer's content (SCOPED, COUNTS, NONE with 200, DONE, STATUS_ONLY, DETAILS) */
	check?(a: CheckArgs): Promise<string[]>;
	/** a tile: 204 (no features) is an allowed answer */
	tile?: boolean;
}

/** a 1×1 PNG, for the request photo probes */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
/** the requests the caller sees (none for those who may not read them) */
async function listedRequests(who: Who): Promise<{ id: number; has_photo: boolean; state: string; level: string }[]> {
	const r = await who.ctx.get('/api/requests?limit=100', { maxRedirects: 0 });
	return r.ok() ? ((await r.json()) as { requests: { id: number; has_photo: boolean; state: string; level: string }[] }).requests : [];
}
/** an open need of the caller's area: a fresh one at the inside point where the caller may make one, else one it lists */
async function matrixNeed(who: Who, env: Env): Promise<number> {
	const made = await post(who.ctx, env, '/api/needs', {
		data: {
			client_id: `matrix-need-${who.principal}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
			category: 'other',
			title: 'access matrix',
			point: who.inside.point
		}
	});
	if (made.status === 201) return ((await made.response.json()) as { need: { id: number } }).need.id;
	const listed = await who.ctx.get('/api/needs', { maxRedirects: 0 });
	const needs = listed.ok() ? ((await listed.json()) as { needs: { id: number; state: string }[] }).needs : [];
	return needs.find((n) => n.state === 'open')?.id ?? NOWHERE.member;
}
/** a request in the caller's area: a fresh one of the inside household where the caller may make one, else one it lists */
async function matrixRequest(who: Who, env: Env, state?: string): Promise<number> {
	const made = await post(who.ctx, env, '/api/requests', {
		data: {
			client_id: `matrix-req-${who.principal}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
			household_id: who.inside.household.household,
			category: 'safety',
			urgency: 'urgent',
			description: 'access matrix'
		}
	});
	if (made.status === 201) return ((await made.response.json()) as { id: number }).id;
	const listed = await listedRequests(who);
	return (listed.find((r) => r.level === 'grid' && (!state || r.state === state)) ?? listed[0])?.id ?? NOWHERE.member;
}
const get = async (who: Who, path: string): Promise<Outcome> => {
	const response = await who.ctx.get(path, { maxRedirects: 0 });
	return { path, method: 'GET', status: response.status(), location: response.headers()['location'], response };
};
const post = async (
	ctx: APIRequestContext,
	env: Env,
	path: string,
	init: { data?: unknown; form?: Record<string, string>; accept?: string }
): Promise<Outcome> => {
	const response = await ctx.post(path, {
		...(init.data !== undefined ? { data: init.data } : {}),
		...(init.form ? { form: init.form } : {}),
		headers: { origin: env.base, ...(init.accept ? { accept: init.accept } : {}) },
		maxRedirects: 0
	});
	return { path, method: 'POST', status: response.status(), location: response.headers()['location'], response };
};
/**
 * A page's data request (what the client router fetches: /…/__data.json), read as the page would
 * answer: an error node's status, a redirect as 303, else 200.
 */
const dataRequest = async (who: Who, page: string, search = ''): Promise<Outcome> => {
	const path = `${page === '/' ? '' : page}/__data.json${search}`;
	const response = await who.ctx.get(path, { maxRedirects: 0 });
	const out: Outcome = { path, method: 'GET', status: response.status(), location: response.headers()['location'], response };
	if (response.status() !== 200) return out;
	const body = (await response.json().catch(() => null)) as { type?: string; location?: string; nodes?: ({ type: string; status?: number } | null)[] } | null;
	if (body?.type === 'redirect') return { ...out, status: 303, location: body.location };
	const error = body?.nodes?.find((n) => n?.type === 'error');
	if (error) return { ...out, status: error.status ?? 500 };
	if (body?.type !== 'data') return { ...out, status: 0, notes: [`data request answered ${JSON.stringify(body).slice(0, 100)}`] };
	return out;
};
const action = async (ctx: APIRequestContext, env: Env, path: string, form: Record<string, string>): Promise<Outcome> => {
	const a = await postAction(ctx, env.base, path, form);
	return { path, method: 'POST', status: a.status, location: a.location, response: a.response, action: a };
};

/** `counts`: the caller sees no persons (its in-scope answer is COUNTS), for a NONE answered with 200 */
async function judge(token: Token, probe: Probe, a: Omit<CheckArgs, 'token' | 'counts'>, counts: boolean): Promise<string[]> {
	const { out } = a;
	const s = out.status;
	const redirect = (to: string, exact: boolean) =>
		s === 303 && (exact ? out.location === to || out.location?.startsWith(`${to}?`) : (out.location ?? '').startsWith(to))
			? []
			: [`status ${s}${out.location ? ` → ${out.location}` : ''}, expected 303 → ${to}`];
	const withCheck = async (counts: boolean) => {
		if (!probe.check) return [`no content check for ${token}`];
		return probe.check({ ...a, token, counts });
	};
	const notes = out.notes ?? [];
	switch (token) {
		case 'LOGIN':
			return [...notes, ...redirect('/login', false)];
		case 'HOME':
			return [...notes, ...redirect('/', true)];
		case 'TO_ADMIN':
			return [...notes, ...redirect('/admin', true)];
		case 'TO_AUDIT':
			return [...notes, ...redirect('/audit', true)];
		case 'TO_SCREEN':
			return [...notes, ...redirect('/screen', true)];
		case 'TO_GRID':
			return [...notes, ...redirect('/grid', true)];
		case 'NONE':
			if ([400, 403, 404].includes(s) || (probe.tile && s === 204)) return notes;
			if (s !== 200) return [...notes, `status ${s}, expected nothing of another area (404, 403, 400, an empty tile, or the caller's own area)`];
			return [...notes, ...(await withCheck(counts))];
		case 'SCOPED':
		case 'COUNTS':
			// a write that made a record answers 201 Created
			if (!(s === 200 || (probe.tile && s === 204) || (s === 201 && out.method === 'POST')))
				return [...notes, `status ${s}, expected 200${probe.tile ? ' or 204' : ''}`];
			return [...notes, ...(await withCheck(token === 'COUNTS'))];
		case 'STATUS_ONLY':
		case 'DETAILS':
		case 'DONE':
			if (s !== 200) return [...notes, `status ${s}, expected 200${out.action?.message ? ` (${out.action.message})` : ''}`];
			return [...notes, ...(await withCheck(false))];
		default:
			return [
				...notes,
				...(s === token
					? []
					: [`status ${s}${out.location ? ` → ${out.location}` : ''}, expected ${token}${out.action?.message ? ` (${out.action.message})` : ''}`])
			];
	}
}

// ─── content checks ────────────────────────────────────────────────────────────────────────

const inScope = (who: Who, code: string) => typeof code === 'string' && code.startsWith(who.scope);
/** in the caller's area, or one of the areas above it (a breadcrumb, a grid's community) */
const inOrAbove = (who: Who, code: string) => inScope(who, code) || who.scope.startsWith(code);

function targetInScope(who: Who, world: World, target: string): boolean {
	if (target.startsWith('b:')) return world.buildingGrid.get(Number(target.slice(2)))?.startsWith(who.scope) ?? false;
	return inScope(who, target);
}

function privateCache(response: APIResponse): string[] {
	const cc = response.headers()['cache-control'] ?? '';
	return /private|no-store/.test(cc) ? [] : [`cache-control "${cc}" is not private`];
}

/** roles that see no persons get no secretary's name, no household or member ids */
function personsShown(counts: boolean, body: unknown): string[] {
	if (!counts) return [];
	const found: string[] = [];
	const walk = (v: unknown, path: string) => {
		if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
		else if (v && typeof v === 'object') {
			for (const [k, x] of Object.entries(v)) {
				if (k === 'secretary' && typeof x === 'string') found.push(`secretary "${x}" shown to a viewer who sees no persons (${path})`);
				if (/^(household_ids?|member_ids?|phone|mobile)$/.test(k) && x !== null && x !== undefined)
					found.push(`${path}.${k} shown to a viewer who sees no persons`);
				walk(x, `${path}.${k}`);
			}
		}
	};
	walk(body, '');
	return found;
}

/** fields that count persons or households (and lists of such counts) */
const COUNT_KEYS =
	/^(households|members|residents|members_working|living|working|hh_5min|hh_10min|hh_15min|hh_cared|hh_visited_30d|hh_visited_90d|hh_in_blind_spots|gain|cumulative|central_households|newly|before)$/;

/** small counts (1, 2) in a JSON body: none for viewers who see no persons */
function smallCells(a: CheckArgs, body: unknown): string[] {
	const found: string[] = [];
	const walk = (v: unknown, path: string, parent: Record<string, unknown> | null) => {
		if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, parent));
		else if (v && typeof v === 'object') {
			const o = v as Record<string, unknown>;
			for (const [k, x] of Object.entries(o)) {
				const isCount = COUNT_KEYS.test(k) || (k === 'objects' && o.rule === 'central_household_overloaded');
				if (isCount) {
					for (const n of Array.isArray(x) ? x : [x]) {
						if (typeof n === 'number' && n > 0 && n < 3) {
							if (a.counts) found.push(`${path}.${k} = ${n} shown to a viewer who sees no persons`);
							else a.env.stats.smallShownToPersons++;
						}
						if (n === null && a.counts) a.env.stats.smallWithheld++;
					}
				}
				if (!Array.isArray(x) || !isCount) walk(x, `${path}.${k}`, o);
			}
		}
	};
	walk(body, '', null);
	return found;
}

/** the codes of the areas a CSV mentions: each in the caller's area or above it; small counts withheld */
function csvProblems(a: CheckArgs, text: string): string[] {
	const problems: string[] = [];
	const rows = parseCsv(text);
	// headers read "中文 (key)"
	const header = (rows[0] ?? []).map((h) => /\(([A-Za-z0-9_]+)\)\s*$/.exec(h)?.[1] ?? h);
	if (!header.some((h) => COUNT_KEYS.test(h)) && !header.some((h) => /code/.test(h)))
		problems.push(`CSV header ${JSON.stringify(rows[0])}: neither counts nor codes to check`);
	for (const r of rows.slice(1)) {
		r.forEach((cell, i) => {
			if (/^\d{6}(\d{3}){0,3}$/.test(cell) && a.env.world.names.has(cell) && !inOrAbove(a.who, cell)) problems.push(`CSV mentions area ${cell} (${header[i]})`);
			if (COUNT_KEYS.test(header[i] ?? '') && /^[12]$/.test(cell)) {
				if (a.counts) problems.push(`CSV ${header[i]} = ${cell} shown to a viewer who sees no persons`);
				else a.env.stats.smallShownToPersons++;
			}
			if (COUNT_KEYS.test(header[i] ?? '') && cell === '<3') {
				if (a.counts) a.env.stats.smallWithheld++;
				else problems.push(`CSV ${header[i]} withheld from a viewer who sees persons`);
			}
		});
	}
	return problems;
}

async function adminJson<T>(world: World, path: string): Promise<T> {
	const r = await world.adminGet(path);
	if (r.status !== 200) throw new Error(`${path} answered ${r.status} to the district administrator`);
	return JSON.parse(r.body.toString('utf8')) as T;
}

/** the caller's ids against the district administrator's for the same area: nothing more, nothing less */
function sameIds(what: string, mine: unknown[], theirs: unknown[]): string[] {
	const m = new Set(mine.map(String)),
		t = new Set(theirs.map(String));
	const extra = [...m].filter((x) => !t.has(x));
	const missing = [...t].filter((x) => !m.has(x));
	return [
		...(extra.length ? [`${what} not in the caller's area: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5})` : ''}`] : []),
		...(missing.length
			? [`${what} of the caller's area missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`]
			: [])
	];
}

// ─── tiles ─────────────────────────────────────────────────────────────────────────────────

const LAYERS = new Map(tileLayers().map((l) => [l.name, l]));
/** the zoom each layer is probed at (its own range), around the inside / outside household */
const TILE_ZOOM: Record<string, number> = {
	streets: 13,
	communities: 14,
	grids: 15,
	buildings: 16,
	roads: 15,
	service_centres: 14,
	members: 15,
	central_links: 17,
	requests: 13,
	gaps: 15,
	coverage_street: 13,
	coverage_community: 14,
	coverage_grid: 15
};
/** attributes a viewer who sees no persons may miss (withheld when small, or computed from such) */
const WITHHELD_ATTRS = new Set(['households', 'members', 'member_density', 'share_5min', 'share_10min', 'share_15min', 'open', 'amber', 'red']);
const COUNT_ATTRS = new Set(['households', 'members', 'open', 'amber', 'red']);
/** within this many metres of an area's outline a road may be counted in or out (tile units are rounded) */
const ROAD_TOLERANCE_M = 3;

function featureKey(layer: string, f: DecodedFeature): string {
	return layer === 'central_links' ? `${f.properties.central_household_id}→${f.properties.household_id}` : String(f.id);
}

/** whether a feature belongs to the caller's area: true, false, or 'either' (too close to tell) */
function featureInScope(layer: string, f: DecodedFeature, who: Who, world: World, roadCache: Map<string, boolean | 'either'>): boolean | 'either' {
	const p = f.properties;
	const code = (x: unknown) => typeof x === 'string' && x.startsWith(who.scope);
	switch (layer) {
		case 'streets':
		case 'communities':
		case 'grids':
		case 'coverage_street':
		case 'coverage_community':
		case 'coverage_grid':
			return code(p.code);
		case 'buildings':
		case 'gaps':
		case 'requests':
			return code(p.grid_code);
		case 'service_centres':
			return code(world.centres.get(Number(p.id))?.area);
		case 'members':
			return p.kind === 'grid' ? code(p.grid_code) : code(world.buildingGrid.get(Number(p.building_id)));
		case 'central_links': {
			const gridOf = (h: unknown) => {
				const x = world.households.get(Number(h));
				return x ? world.buildingGrid.get(x.building) : undefined;
			};
			if (!code(gridOf(p.central_household_id))) return false;
			const other = gridOf(p.household_id);
			// a household without members is not on the members layer: its grid is unknown here
			return other === undefined ? 'either' : code(other);
		}
		case 'roads': {
			if (who.scope === world.chain.district) return true;
			const k = `${f.id}@${who.scope}`;
			let hit = roadCache.get(k);
			if (hit === undefined) {
				const g = world.geometry.get(who.scope)!;
				let min = Infinity;
				for (const piece of world.roads.get(Number(f.id)) ?? []) for (const pt of densify(piece)) min = Math.min(min, signedMetres(pt, g));
				hit = min < -ROAD_TOLERANCE_M ? true : min > ROAD_TOLERANCE_M ? false : 'either';
				roadCache.set(k, hit);
			}
			return hit;
		}
		default:
			throw new Error(`no scope rule for layer ${layer}: say in access-matrix.e2e.ts which attribute places its features`);
	}
}

const roadCache = new Map<string, boolean | 'either'>();

/** the tile of a probe: around the inside / outside household (service centres: around the centre) */
function tileOfCase(who: Who, c: string, z: number, layer: string, world: World): Tile {
	const at =
		layer === 'service_centres'
			? world.centres.get(c.startsWith('in') ? who.inside.centre : who.outside.centre)?.at
			: (c.startsWith('in') ? who.inside.household : who.outside.household)?.at;
	// the district has no outside: a tile far away, which must be empty
	return at ? tileOf(at[0], at[1], z) : tileOf(0.5, 0.5, z);
}

async function tileCheck(a: CheckArgs, layer: string, z: number): Promise<string[]> {
	const { who, c, counts, out, env } = a;
	const world = env.world;
	const problems: string[] = [];
	const cc = out.response.headers()['cache-control'] ?? '';
	if (LAYERS.get(layer)?.persons ? !cc.includes('no-store') : !cc.includes('private')) {
		problems.push(`tile cache-control "${cc}" (the layer ${LAYERS.get(layer)?.persons ? 'carries persons: no-store' : 'is private'})`);
	}
	const mine = decodeTile(out.status === 200 ? await out.response.body() : null, layer);
	const t = tileOfCase(who, c, z, layer, world);
	const ref = await world.adminGet(tilePath(layer, t));
	const theirs = decodeTile(ref.status === 200 ? ref.body : null, layer);
	const byKey = new Map(theirs.map((f) => [featureKey(layer, f), f]));
	const mineKeys = new Set(mine.map((f) => featureKey(layer, f)));
	let inScopeShown = 0;
	for (const f of theirs) {
		const s = featureInScope(layer, f, who, world, roadCache);
		if (s === true && !mineKeys.has(featureKey(layer, f))) problems.push(`${layer} ${featureKey(layer, f)} of the caller's area missing`);
		if (s !== false && mineKeys.has(featureKey(layer, f))) inScopeShown++;
	}
	if (c === 'in') env.stats.tileInScope.set(layer, (env.stats.tileInScope.get(layer) ?? 0) + inScopeShown);
	for (const f of mine) {
		const k = featureKey(layer, f);
		const ref = byKey.get(k);
		if (!ref) {
			problems.push(`${layer} ${k} is not in the district administrator's tile`);
			continue;
		}
		if (featureInScope(layer, ref, who, world, roadCache) === false)
			problems.push(`${layer} ${k} lies outside the caller's area (${JSON.stringify(ref.properties).slice(0, 120)})`);
		const p = f.properties,
			q = ref.properties;
		if (!counts) {
			for (const key of new Set([...Object.keys(p), ...Object.keys(q)])) {
				if (p[key] !== q[key]) problems.push(`${layer} ${k}.${key} = ${p[key]}, the district administrator sees ${q[key]}`);
			}
			continue;
		}
		for (const [key, v] of Object.entries(q)) {
			if (COUNT_ATTRS.has(key) && typeof v === 'number' && v > 0 && v < 3) {
				if (key in p) problems.push(`${layer} ${k}.${key} = ${p[key]} shown to a viewer who sees no persons`);
				else env.stats.smallWithheld++;
			} else if (WITHHELD_ATTRS.has(key)) {
				if (key in p && p[key] !== v) problems.push(`${layer} ${k}.${key} = ${p[key]}, the district administrator sees ${v}`);
			} else if (p[key] !== v) {
				if (!(key === 'household_id' && !(key in p))) problems.push(`${layer} ${k}.${key} = ${p[key]}, the district administrator sees ${v}`);
			}
		}
		for (const key of Object.keys(p))
			if (!(key in q) && key !== 'member_building') problems.push(`${layer} ${k}.${key}: an attribute the district administrator's tile lacks`);
		if ('household_id' in p) problems.push(`${layer} ${k} names household ${p.household_id} to a viewer who sees no persons`);
	}
	// the households of the probe: in the tile inside, not in the tile outside
	const building = c.startsWith('in') ? who.inside.building : who.outside.building;
	const mentions = (f: DecodedFeature) =>
		layer === 'buildings'
			? Number(f.properties.id) === building
			: layer === 'members'
				? Number(f.properties.building_id) === building
				: layer === 'central_links'
					? world.households.get(Number(f.properties.central_household_id))?.building === building
					: false;
	if (['buildings', 'members', 'central_links'].includes(layer)) {
		if (c.startsWith('in') && !mine.some(mentions)) problems.push(`the inside building ${building} is missing from the tile`);
		if (c.startsWith('out') && mine.some(mentions)) problems.push(`the outside building ${building} is in the tile`);
	}
	return problems;
}

function tileProbe(layer: string): Probe {
	const z = TILE_ZOOM[layer];
	if (layer === 'members') {
		// per building to z15; per household from z16 (spelt three ways: the same gate for each)
		const zoomOf = (c: string) => (c.includes('households') ? 16 : 15);
		return {
			tile: true,
			cases: ['in', 'out', 'in:households', 'out:households', 'in:households:016', 'in:households://'],
			call: (who, c, env) => {
				const t = tileOfCase(who, c, zoomOf(c), 'members', env.world);
				return get(
					who,
					c.endsWith(':016')
						? `/tiles/members/0${t.z}/${t.x}/${t.y}.mvt`
						: c.endsWith('://')
							? `/tiles//members/${t.z}/${t.x}/${t.y}.mvt`
							: tilePath('members', t)
				);
			},
			check: (a) => tileCheck(a, 'members', zoomOf(a.c))
		};
	}
	if (layer === 'requests') {
		// per grid to z13; one point per request from z14 (a household's place: refused to count viewers)
		const zoomOf = (c: string) => (c.includes('households') ? 14 : z);
		return {
			tile: true,
			cases: ['in', 'out', 'in:households', 'out:households'],
			call: (who, c, env) => get(who, tilePath('requests', tileOfCase(who, c, zoomOf(c), 'requests', env.world))),
			check: (a) => tileCheck(a, 'requests', zoomOf(a.c))
		};
	}
	return {
		tile: true,
		cases: layer === 'central_links' ? ['in', 'out', 'in://'] : ['in', 'out'],
		call: (who, c, env) => {
			const t = tileOfCase(who, c, z, layer, env.world);
			return get(who, c.endsWith('://') ? `/tiles//${layer}/${t.z}/${t.x}/${t.y}.mvt` : tilePath(layer, t));
		},
		check: (a) => tileCheck(a, layer, z)
	};
}

function tileJsonProbe(layer: string): Probe {
	return {
		cases: ['scope'],
		call: (who) => get(who, `/tiles/${layer}.json`),
		async check({ who, out, env }) {
			const doc = await out.response.json();
			const problems = privateCache(out.response);
			const want = env.world.bbox.get(who.scope)!;
			const got = doc.bounds as number[] | undefined;
			if (!got || got.some((v, i) => Math.abs(v - want[i]) > 1e-5)) problems.push(`bounds ${JSON.stringify(got)} are not the scope's ${JSON.stringify(want)}`);
			const ids = ((doc.vector_layers ?? []) as { id: string }[]).map((l) => l.id);
			if (JSON.stringify(ids) !== JSON.stringify([layer])) problems.push(`vector_layers ${JSON.stringify(ids)}`);
			if (!((doc.tiles ?? []) as string[]).some((u) => u.includes(`/tiles/${layer}/{z}/{x}/{y}.mvt`))) problems.push(`tiles ${JSON.stringify(doc.tiles)}`);
			return problems;
		}
	};
}

// ─── the administrators' duties ────────────────────────────────────────────────────────────

interface Requested {
	username: string;
	id?: number;
	halfA?: string;
	halfB?: string;
}
interface AdminFixture {
	/** requested, approved, role changed, locked and unlocked, disabled, enabled (pending again), rejected */
	a: Requested;
	/** a planner: granted person access, then not */
	b: Requested;
	/** requested, then rejected: removed */
	c: Requested;
	screen: { name: string; id?: number; token?: string };
	/** what refused callers tried to make: none may exist afterwards */
	refusedUsers: string[];
	refusedScreens: string[];
}

async function adminPage(env: Env): Promise<string> {
	const ctx = env.keep(await signInApi(env.playwright, env.base, 'security_admin'));
	const r = await ctx.get('/admin');
	if (r.status() !== 200) throw new Error(`/admin answered ${r.status()} to the security administrator`);
	return r.text();
}

function accountRow(html: string, username: string): { id: number; pending: boolean } | null {
	for (const [attr, pending] of [
		['data-pending', true],
		['data-username', false]
	] as const) {
		const at = html.indexOf(`${attr}="${username}"`);
		if (at < 0) continue;
		const m = /name="id" value="(\d+)"/.exec(html.slice(at, html.indexOf('</tr>', at)));
		if (m) return { id: Number(m[1]), pending };
	}
	return null;
}

const WRONG_PASSWORD = 'Wrong-Pass-2026!';

function adminProbe(name: string, duty: 'system_admin' | 'security_admin'): Probe {
	const path = `/admin?/${name}`;
	return {
		cases: ['duty'],
		async call(who, _c, env) {
			const f = env.fixture;
			const w = env.world;
			if (who.principal !== duty) {
				// refused callers try the real thing, on the same targets (or an escalation)
				const target = String(name === 'grantPersons' || name === 'revokePersons' ? (f.b.id ?? 0) : (f.a.id ?? 0));
				const form: Record<string, string> =
					name === 'create'
						? { username: `am-refused-${who.principal.replace(/_/g, '-')}`, displayName: '越权', role: 'district_admin', areaCode: w.chain.district }
						: name === 'createScreen'
							? { name: `越权大屏 ${who.principal}`, areaCode: w.chain.district }
							: name === 'revokeScreen' || name === 'setScreenInterval'
								? { id: String(f.screen.id ?? 0), tourInterval: '7' }
								: name === 'approve' || name === 'changeRole'
									? { id: target, role: 'district_admin', areaCode: w.chain.district }
									: { id: target };
				if (name === 'create') f.refusedUsers.push(form.username);
				if (name === 'createScreen') f.refusedScreens.push(form.name);
				return action(who.ctx, env, path, form);
			}
			const notes: string[] = [];
			const ok = (o: Outcome, what: string) => o.action?.type === 'success' || notes.push(`${what}: ${o.status} ${o.action?.message ?? ''}`);
			switch (name) {
				case 'create': {
					const b = await action(who.ctx, env, path, { username: f.b.username, displayName: '矩阵测试规划员', role: 'planner', areaCode: w.chain.district });
					ok(b, `request ${f.b.username}`);
					f.b.halfA = ((b.action?.data?.requested ?? {}) as { halfA?: string }).halfA;
					const o = await action(who.ctx, env, path, { username: f.a.username, displayName: '矩阵测试网格长', role: 'grid_leader', areaCode: w.chain.grid });
					f.a.halfA = ((o.action?.data?.requested ?? {}) as { halfA?: string }).halfA;
					const c = await action(who.ctx, env, path, { username: f.c.username, displayName: '矩阵测试驳回', role: 'planner', areaCode: w.chain.district });
					ok(c, `request ${f.c.username}`);
					const html = await adminPage(env);
					for (const x of [f.a, f.b, f.c]) {
						const r = accountRow(html, x.username);
						if (!r) notes.push(`${x.username} not listed on /admin after the request`);
						else if (!r.pending) notes.push(`${x.username} is not pending after the request`);
						x.id = r?.id;
					}
					return { ...o, notes };
				}
				case 'approve': {
					// the approver may change what was requested: A as the demo grid's leader
					const o = await action(who.ctx, env, path, { id: String(f.a.id ?? 0), role: 'grid_leader', areaCode: w.chain.grid });
					f.a.halfB = ((o.action?.data?.approved ?? {}) as { halfB?: string }).halfB;
					const b = await action(who.ctx, env, path, { id: String(f.b.id ?? 0), role: 'planner', areaCode: w.chain.district });
					ok(b, `approve ${f.b.username}`);
					return { ...o, notes };
				}
				case 'changeRole':
					return action(who.ctx, env, path, { id: String(f.a.id ?? 0), role: 'community_secretary', areaCode: w.chain.community });
				case 'unlock': {
					// five failed sign-ins lock the account; then even the right password is refused
					for (let i = 0; i < 5; i++) await (await signInAs(env.playwright, env.base, f.a.username, WRONG_PASSWORD)).ctx.dispose();
					const locked = await signInAs(env.playwright, env.base, f.a.username, `${f.a.halfA}${f.a.halfB}`);
					await locked.ctx.dispose();
					if (locked.status !== 401) notes.push(`a locked account signed in: ${locked.status}`);
					return { ...(await action(who.ctx, env, path, { id: String(f.a.id ?? 0) })), notes };
				}
				case 'grantPersons':
				case 'revokePersons':
					return action(who.ctx, env, path, { id: String(f.b.id ?? 0) });
				case 'disable':
				case 'enable':
					return action(who.ctx, env, path, { id: String(f.a.id ?? 0) });
				case 'reject': {
					// a new request is removed; an account enabled again (it has a password) stays disabled
					const a = await action(who.ctx, env, path, { id: String(f.a.id ?? 0) });
					ok(a, `reject ${f.a.username} (enabled again)`);
					return { ...(await action(who.ctx, env, path, { id: String(f.c.id ?? 0) })), notes };
				}
				case 'createScreen': {
					const o = await action(who.ctx, env, path, { name: f.screen.name, areaCode: w.chain.community });
					const link = ((o.action?.data?.screen ?? {}) as { link?: string }).link ?? '';
					f.screen.token = /\/kiosk\/([A-Za-z0-9_-]{43})$/.exec(link)?.[1];
					const html = await adminPage(env);
					const at = html.indexOf(f.screen.name);
					const ids = [...html.slice(0, at < 0 ? 0 : at).matchAll(/data-screen="(\d+)"/g)];
					f.screen.id = ids.length ? Number(ids[ids.length - 1][1]) : undefined;
					if (f.screen.id === undefined) notes.push(`screen ${f.screen.name} not listed on /admin`);
					return { ...o, notes };
				}
				case 'setScreenInterval':
					return action(who.ctx, env, path, { id: String(f.screen.id ?? 0), tourInterval: '45' });
				case 'revokeScreen':
					return action(who.ctx, env, path, { id: String(f.screen.id ?? 0) });
			}
			throw new Error(`no steps for /admin?/${name}`);
		},
		async check({ out, env }) {
			const f = env.fixture;
			const problems: string[] = [];
			if (out.action?.type !== 'success') return [`action answered ${out.action?.type} ${out.action?.message ?? ''}`];
			const data = out.action.data ?? {};
			const signIn = async (password: string) => {
				const r = await signInAs(env.playwright, env.base, f.a.username, password);
				return { status: r.status, location: r.location, ctx: env.keep(r.ctx) };
			};
			switch (name) {
				case 'create': {
					if (!f.a.halfA || !f.b.halfA) problems.push('no half A shown to the requester');
					// a pending account holds no role and cannot sign in
					const s = await signIn(f.a.halfA ?? 'x');
					if (s.status !== 401) problems.push(`a pending account signed in with half A: ${s.status}`);
					break;
				}
				case 'approve': {
					if (!f.a.halfB) problems.push('no half B shown to the approver');
					if (JSON.stringify(data).includes(f.a.halfA ?? '\u0000')) problems.push('the approver was shown half A');
					for (const half of [f.a.halfA, f.a.halfB]) if ((await signIn(half ?? 'x')).status !== 401) problems.push('one half alone signs in');
					// both halves: signed in, and sent to choose a password before anything else
					const s = await signIn(`${f.a.halfA}${f.a.halfB}`);
					if (s.status !== 303) problems.push(`half A + half B: ${s.status}`);
					else {
						const page = await s.ctx.get('/', { maxRedirects: 0 });
						if (page.status() !== 303 || page.headers()['location'] !== '/account/password')
							problems.push(`a first sign-in reaches / (${page.status()} ${page.headers()['location'] ?? ''})`);
						const api = await s.ctx.get(`/api/areas/${env.world.chain.grid}/summary`);
						if (api.status() !== 403) problems.push(`a first sign-in reaches the API: ${api.status()}`);
					}
					break;
				}
				case 'unlock': {
					const s = await signIn(`${f.a.halfA}${f.a.halfB}`);
					if (s.status !== 303) problems.push(`after the unlock the owner cannot sign in: ${s.status}`);
					break;
				}
				case 'disable': {
					const s = await signIn(`${f.a.halfA}${f.a.halfB}`);
					if (s.status !== 401) problems.push(`a disabled account signed in: ${s.status}`);
					break;
				}
				case 'enable': {
					// enabled again by the system administrator alone: pending until approved
					const r = accountRow(await adminPage(env), f.a.username);
					if (!r?.pending) problems.push(`${f.a.username} enabled by the system administrator is not pending`);
					const s = await signIn(`${f.a.halfA}${f.a.halfB}`);
					if (s.status !== 401) problems.push(`an enabled, unapproved account signed in: ${s.status}`);
					break;
				}
				case 'reject': {
					if (accountRow(await adminPage(env), f.c.username)) problems.push(`${f.c.username} still listed after the rejection`);
					const s = await signIn(`${f.a.halfA}${f.a.halfB}`);
					if (s.status !== 401) problems.push(`an account whose enabling was rejected signed in: ${s.status}`);
					break;
				}
				case 'setScreenInterval': {
					// the screen's row now says 45 s (a refused caller's 7 s never landed)
					const html = await adminPage(env);
					const at = html.indexOf(`data-screen="${f.screen.id}"`);
					const rowHtml = at < 0 ? '' : html.slice(at, html.indexOf('</tr>', at));
					if (!/value="45"/.test(rowHtml)) problems.push(`screen ${f.screen.id}'s interval is not 45 s on /admin`);
					break;
				}
				case 'createScreen':
				case 'revokeScreen': {
					if (!f.screen.token) {
						problems.push('no kiosk link shown');
						break;
					}
					const screen = env.keep(await env.playwright.request.newContext({ baseURL: env.base }));
					const r = await screen.get(`/kiosk/${f.screen.token}`, { maxRedirects: 0 });
					const want = name === 'createScreen' ? 303 : 403;
					if (r.status() !== want) problems.push(`the screen's link answered ${r.status()}, expected ${want}`);
					break;
				}
			}
			return problems;
		}
	};
}

// ─── the probes, per table key ─────────────────────────────────────────────────────────────

interface BreadcrumbStep {
	code: string;
	in_scope: boolean;
}

const areaOf = (who: Who, c: string) => (c === 'in' ? who.inside.area : c === 'out' ? who.outside.area : (who.outside.parent ?? NOWHERE.area));
/** `within=`: the caller's area (in), a sibling's (out), the one above it (out:above) */
const withinOf = (who: Who, c: string) => (c === 'out' ? who.outside.area : c === 'out:above' ? (who.outside.parent ?? NOWHERE.area) : who.scope);

const PROBES: Record<string, Probe> = {
	'GET /': {
		cases: ['in', 'out', 'in:building', 'out:building', 'in:plain', 'in:data', 'out:data'],
		call: (who, c) =>
			c.endsWith(':data')
				? dataRequest(who, '/', `?sel=${c === 'in:data' ? who.inside.area : who.outside.area}`)
				: get(
						who,
						c === 'in:plain'
							? '/'
							: c.endsWith(':building')
								? `/?sel=b:${c.startsWith('in') ? who.inside.building : who.outside.building}`
								: `/?sel=${c === 'in' ? who.inside.area : who.outside.area}`
					)
	},
	'GET /login': { cases: ['page'], call: (who) => get(who, '/login') },
	'POST /login': {
		// as the form posts it (the page around it sends a signed-in account home)
		cases: ['wrong'],
		call: (who, _c, env) => action(who.ctx, env, '/login', { username: 'am-nobody', password: WRONG_PASSWORD })
	},
	'GET /account/password': { cases: ['page'], call: (who) => get(who, '/account/password') },
	'POST /account/password': {
		cases: ['mismatch'],
		call: (who, _c, env) => post(who.ctx, env, '/account/password', { form: { current: 'x', next: 'Abcdefg-1', confirm: 'Abcdefg-2' }, accept: 'text/html' })
	},
	'GET /audit': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/audit') : dataRequest(who, '/audit')) },
	'GET /admin': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/admin') : dataRequest(who, '/admin')) },
	'GET /import': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/import') : dataRequest(who, '/import')) },
	'GET /screen': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/screen') : dataRequest(who, '/screen')) },
	// my grid: the grid of the demo accounts' chain (in every caller's area that has one) and a grid of the
	// caller's nearest outside area; a central household there and one outside
	'GET /grid': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/grid') : dataRequest(who, '/grid')) },
	'GET /grid/[code]': {
		cases: ['in', 'out', 'in:data', 'out:data'],
		call: (who, c, { world }) => {
			const grid = c.startsWith('in') ? world.chain.grid : (world.buildingGrid.get(who.outside.building) ?? world.sibling.grid);
			return c.endsWith(':data') ? dataRequest(who, `/grid/${grid}`) : get(who, `/grid/${grid}`);
		}
	},
	'GET /grid/household/[id]': {
		cases: ['in', 'out', 'in:data', 'out:data'],
		call: (who, c, { world }) => {
			const grid = c.startsWith('in') ? world.chain.grid : (world.buildingGrid.get(who.outside.building) ?? world.sibling.grid);
			const central = [...world.households.values()].find((h) => h.central && world.buildingGrid.get(h.building) === grid);
			const id = central?.household ?? NOWHERE.member;
			return c.endsWith(':data') ? dataRequest(who, `/grid/household/${id}`) : get(who, `/grid/household/${id}`);
		}
	},
	// a print of the caller's own area, and of the nearest area outside it
	'GET /print/[code]': {
		cases: ['in', 'out', 'in:data', 'out:data'],
		call: (who, c) => {
			const code = c.startsWith('in') ? who.inside.area : who.outside.area;
			return c.endsWith(':data') ? dataRequest(who, `/print/${code}`) : get(who, `/print/${code}`);
		}
	},
	'GET /print/atlas/[code]': {
		cases: ['in', 'out', 'in:data', 'out:data'],
		call: (who, c) => {
			const code = c.startsWith('in') ? who.inside.area : who.outside.area;
			return c.endsWith(':data') ? dataRequest(who, `/print/atlas/${code}`) : get(who, `/print/atlas/${code}`);
		}
	},
	// the screen's area comes from its token: `within` naming another area changes nothing
	'GET /api/screen': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, c === 'in' ? '/api/screen' : `/api/screen?within=${who.outside.area}`),
		async check(a) {
			const { who, out } = a;
			const body = (await out.response.json()) as { area: { code: string }; ranked: { rows: { code: string }[] }[]; blind_spots: { grid_code: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (body.area.code !== who.scope) problems.push(`the screen shows area ${body.area.code}, not its own ${who.scope}`);
			for (const l of body.ranked) for (const r of l.rows) if (!inScope(who, r.code)) problems.push(`ranked ${r.code}`);
			for (const b of body.blind_spots) if (!inScope(who, b.grid_code)) problems.push(`blind spot in ${b.grid_code}`);
			if (/building_ids|household_id|member_id/.test(JSON.stringify(body))) problems.push('ids of buildings, households or members on the screen');
			return problems;
		}
	},
	'POST /api/snapshots': { cases: ['now'], call: (who, _c, env) => post(who.ctx, env, '/api/snapshots', {}) },
	'GET /api/snapshots': {
		cases: ['in', 'out', 'out:above'],
		call: (who, c) => get(who, `/api/snapshots?level=grid&within=${withinOf(who, c)}`),
		async check(a) {
			const { who, out } = a;
			const body = (await out.response.json()) as { day: string | null; areas: { code: string }[]; blind_spots: { grid_code: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (!body.day) problems.push('no snapshot day (POST /api/snapshots runs first)');
			if (!body.areas.length) problems.push('no areas in the snapshot');
			for (const r of body.areas) if (!inScope(who, r.code)) problems.push(`snapshot of ${r.code}`);
			for (const b of body.blind_spots) if (!inScope(who, b.grid_code)) problems.push(`snapshot blind spot in ${b.grid_code}`);
			return problems;
		}
	},
	// a dry run (writes nothing) of one small building at a point inside or far outside the caller's area
	'POST /api/import': {
		cases: ['in', 'out'],
		call: (who, c, env) => {
			const [lon, lat] = c === 'in' ? who.inside.point : who.outside.far;
			const d = 0.0001;
			const ring = [
				[lon, lat],
				[lon + d, lat],
				[lon + d, lat + d],
				[lon, lat + d],
				[lon, lat]
			];
			const data = {
				type: 'FeatureCollection',
				features: [{ type: 'Feature', properties: { code: 'matrix-probe' }, geometry: { type: 'Polygon', coordinates: [ring] } }]
			};
			return post(who.ctx, env, '/api/import?layer=buildings&name=probe.geojson&dry_run=1', { data });
		},
		async check({ c, out }) {
			const lines = (await out.response.text())
				.split('\n')
				.filter(Boolean)
				.map((l) => JSON.parse(l) as { type: string; accepted?: number; rejected?: number; committed?: boolean });
			const result = lines.find((l) => l.type === 'result');
			if (!result) return ['no result line'];
			const problems: string[] = [];
			if (result.committed) problems.push('a dry run committed');
			if (c === 'out' && (result.accepted !== 0 || result.rejected !== 1))
				problems.push(`a building outside the district: accepted ${result.accepted}, rejected ${result.rejected}`);
			return problems;
		}
	},
	'GET /kiosk/[token]': {
		cases: ['valid', 'unknown'],
		async call(who, c, env) {
			// in a copy of the caller's context: the screen's cookie must not stick to it
			const ctx = env.keep(await cloneApi(env.playwright, env.base, who.ctx));
			const path = `/kiosk/${c === 'valid' ? env.kioskToken : 'A'.repeat(43)}`;
			const response = await ctx.get(path, { maxRedirects: 0 });
			return { path, method: 'GET', status: response.status(), location: response.headers()['location'], response };
		}
	},
	'POST /logout': {
		cases: ['fresh'],
		async call(who, _c, env) {
			const ctx =
				who.principal === 'anonymous' || who.principal === 'display'
					? env.keep(await cloneApi(env.playwright, env.base, who.ctx))
					: env.keep(await signInApi(env.playwright, env.base, who.principal as AccountRole));
			const out = await post(ctx, env, '/logout', {});
			if (who.principal !== 'anonymous' && who.principal !== 'display') {
				const after = await ctx.get('/account/password', { maxRedirects: 0 });
				if (after.status() !== 303) out.notes = [`the session outlived its logout: /account/password answered ${after.status()}`];
			}
			return out;
		}
	},
	'GET /api/health': {
		cases: ['public'],
		call: (who) => get(who, '/api/health'),
		async check({ token, out }) {
			const body = await out.response.json();
			const problems = (out.response.headers()['cache-control'] ?? '').includes('no-store') ? [] : ['health is not no-store'];
			if (body.status !== 'ok') problems.push(`status ${body.status}`);
			if (token === 'STATUS_ONLY' && JSON.stringify(Object.keys(body)) !== '["status"]') problems.push(`details shown: ${Object.keys(body).join(', ')}`);
			if (token === 'DETAILS' && !Array.isArray(body.migrations)) problems.push('no details (migrations) for an administrator');
			return problems;
		}
	},
	'GET /api/areas/[code]/summary': {
		cases: ['in', 'out', 'out:above'],
		call: (who, c) => get(who, `/api/areas/${areaOf(who, c)}/summary`),
		async check(a) {
			const { who, out } = a;
			const body = await out.response.json();
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (!inScope(who, body.code)) problems.push(`area ${body.code} outside the scope`);
			for (const ch of body.children as { code: string }[]) if (!inScope(who, ch.code)) problems.push(`child ${ch.code} outside the scope`);
			for (const step of body.breadcrumb as BreadcrumbStep[]) {
				if (step.in_scope !== inScope(who, step.code)) problems.push(`breadcrumb ${step.code} marked in_scope=${step.in_scope}`);
			}
			return problems;
		}
	},
	'GET /api/areas/[level].geojson': {
		cases: ['in', 'out'],
		call: (who, c) => {
			// the level of the area in question (the district has no outline list: its grids, or streets)
			const code = c === 'in' ? who.inside.area : who.outside.area;
			const level = code.length === 6 ? (c === 'in' ? 'grid' : 'street') : code.length === 9 ? 'street' : code.length === 12 ? 'community' : 'grid';
			return get(who, `/api/areas/${level}.geojson`);
		},
		async check({ who, c, out }) {
			const fc = (await out.response.json()) as { features: AreaFeature[] };
			const problems = privateCache(out.response);
			for (const f of fc.features) if (!inScope(who, f.properties.code)) problems.push(`outline of ${f.properties.code}`);
			const codes = new Set(fc.features.map((f) => f.properties.code));
			if (c === 'in' && fc.features.length === 0) problems.push('no outlines at all');
			if (c === 'in' && who.inside.area.length > 6 && !codes.has(who.inside.area)) problems.push(`own area ${who.inside.area} missing`);
			if (c === 'out' && codes.has(who.outside.area)) problems.push(`outside area ${who.outside.area} listed`);
			return problems;
		}
	},
	'GET /api/buildings/[id]/summary': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/buildings/${c === 'in' ? who.inside.building : who.outside.building}/summary`),
		async check(a) {
			const body = await a.out.response.json();
			const problems = [...privateCache(a.out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (!inScope(a.who, body.grid_code)) problems.push(`building of grid ${body.grid_code}`);
			return problems;
		}
	},
	'GET /api/buildings/[id]/households': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/buildings/${c === 'in' ? who.inside.building : who.outside.building}/households`),
		async check({ out, env }) {
			const body = (await out.response.json()) as { masked: boolean; households: { id: number }[] };
			const problems = privateCache(out.response);
			// every account that sees persons here sees its own area unmasked
			if (body.masked) problems.push('masked for a role that sees its own area unmasked');
			const expected = env.world.sample.get(env.world.chain.grid)!.householdIds;
			const ids = body.households.map((h) => h.id);
			if (JSON.stringify(ids) !== JSON.stringify(expected)) problems.push(`households ${ids.length} ≠ the district's ${expected.length}`);
			return problems;
		}
	},
	'POST /api/members/[id]/reveal': {
		cases: ['in', 'out'],
		call: (who, c, env) => post(who.ctx, env, `/api/members/${c === 'in' ? who.inside.member : who.outside.member}/reveal`, {}),
		async check({ who, out }) {
			const body = await out.response.json();
			const problems = privateCache(out.response);
			if (body.id !== who.inside.member) problems.push(`revealed member ${body.id}, not ${who.inside.member}`);
			return problems;
		}
	},
	// a visit to the inside household (or one outside), sent twice with one client id: the answer
	// judged is the retry's, which must be the first visit again (200, created false)
	'POST /api/visits': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const household = c === 'in' ? who.inside.household.household : (who.outside.household?.household ?? NOWHERE.member);
			const data = { client_id: `matrix-${who.principal}-${c}-${Date.now().toString(36)}`, household_id: household, kind: 'routine', note: 'access matrix' };
			const first = await post(who.ctx, env, '/api/visits', { data });
			const again = await post(who.ctx, env, '/api/visits', { data });
			const notes: string[] = [];
			if (first.status === 201 || again.status < 300) {
				const a = (await first.response.json()) as { visit: { id: number }; created: boolean };
				const b = (await again.response.json()) as { visit: { id: number }; created: boolean };
				if (first.status !== 201 || !a.created) notes.push(`the first submission answered ${first.status}, created ${a.created}`);
				if (b.created || b.visit?.id !== a.visit?.id) notes.push(`the retry made visit ${b.visit?.id} (created ${b.created}), not ${a.visit?.id} again`);
			} else if (first.status !== again.status) notes.push(`the first submission answered ${first.status}, the retry ${again.status}`);
			return { ...again, notes };
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { visit: { household_id: number; grid_code: string } };
			const problems = privateCache(out.response);
			if (body.visit.household_id !== who.inside.household.household) problems.push(`visit of household ${body.visit.household_id}`);
			if (!inScope(who, body.visit.grid_code)) problems.push(`visit in grid ${body.visit.grid_code}`);
			return problems;
		}
	},
	'GET /api/visits': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/visits?household=${c === 'in' ? who.inside.household.household : (who.outside.household?.household ?? NOWHERE.member)}`),
		async check({ who, out }) {
			const body = (await out.response.json()) as { visits: { household_id: number; grid_code: string }[] };
			const problems = privateCache(out.response);
			// the POST rows ran first: the inside household has the secretaries' and the grid leader's visits
			if (!body.visits.length) problems.push('no visits listed for the inside household');
			for (const x of body.visits) {
				if (x.household_id !== who.inside.household.household) problems.push(`visit of household ${x.household_id}`);
				if (!inScope(who, x.grid_code)) problems.push(`visit in grid ${x.grid_code}`);
			}
			return problems;
		}
	},
	// in: a visit the caller just recorded (the district administrator records none: any visit in its
	// area); in:other: a visit someone else recorded; out: an id that is no visit of the caller's area
	// a request for the inside household (or one outside), sent twice with one client id: the retry must answer the first
	'POST /api/requests': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const data = {
				client_id: `matrix-req-${who.principal}-${c}-${Date.now().toString(36)}`,
				household_id: c === 'in' ? who.inside.household.household : (who.outside.household?.household ?? NOWHERE.member),
				category: 'facilities',
				urgency: 'normal',
				description: 'access matrix'
			};
			const first = await post(who.ctx, env, '/api/requests', { data });
			const again = await post(who.ctx, env, '/api/requests', { data });
			const notes: string[] = [];
			if (first.status === 201) {
				const a = (await first.response.json()) as { id: number; created: boolean };
				const b = (await again.response.json()) as { id: number; created: boolean };
				if (again.status !== 200 || b.created || b.id !== a.id) notes.push(`the retry answered ${again.status} with request ${b.id}, not ${a.id} again`);
			} else if (first.status !== again.status) notes.push(`the first submission answered ${first.status}, the retry ${again.status}`);
			return { ...again, notes };
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { id: number };
			const problems = privateCache(out.response);
			const seen = await who.ctx.get(`/api/requests/${body.id}`);
			if (!seen.ok()) problems.push(`the request made is not readable by its maker (${seen.status()})`);
			else {
				const d = (await seen.json()) as { request: { grid_code: string; household_id: number } };
				if (d.request.household_id !== who.inside.household.household) problems.push(`request of household ${d.request.household_id}`);
				if (!inScope(who, d.request.grid_code)) problems.push(`request in grid ${d.request.grid_code}`);
			}
			return problems;
		}
	},
	// in: a fresh request of the caller's (a request listed in its area for those who make none) gets a 1×1 PNG
	'POST /api/requests/[id]/photo': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const id = c === 'in' ? await matrixRequest(who, env) : NOWHERE.member;
			const path = `/api/requests/${id}/photo`;
			const response = await who.ctx.post(path, {
				data: Buffer.from(PNG_1X1, 'base64'),
				headers: { origin: env.base, 'content-type': 'image/png' },
				maxRedirects: 0
			});
			return { path, method: 'POST', status: response.status(), location: response.headers()['location'], response };
		},
		async check({ out }) {
			const body = (await out.response.json()) as { has_photo: boolean; type: string };
			return body.has_photo && body.type === 'image/png' ? [] : [`answered ${JSON.stringify(body)}`];
		}
	},
	'GET /api/requests': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/requests?limit=100${c === 'in' ? '' : `&area=${who.outside.area || NOWHERE.area}`}`),
		async check({ who, c, out }) {
			const body = (await out.response.json()) as { requests: { grid_code: string }[] };
			const problems = privateCache(out.response);
			// the POST rows ran first: the inside household has the grid leader's and the community secretary's requests
			if (c === 'in' && !body.requests.length) problems.push('no requests listed in the area');
			for (const r of body.requests) if (!inScope(who, r.grid_code)) problems.push(`request in grid ${r.grid_code}`);
			return problems;
		}
	},
	'GET /api/requests/[id]': {
		cases: ['in', 'out'],
		call: async (who, c) => get(who, `/api/requests/${c === 'in' ? ((await listedRequests(who))[0]?.id ?? NOWHERE.member) : NOWHERE.member}`),
		async check({ who, out }) {
			const body = (await out.response.json()) as { request: { grid_code: string }; events: { action: string }[] };
			const problems = privateCache(out.response);
			if (!inScope(who, body.request.grid_code)) problems.push(`request in grid ${body.request.grid_code}`);
			if (body.events[0]?.action !== 'submit') problems.push('its trail does not start with submit');
			return problems;
		}
	},
	'GET /api/requests/[id]/photo': {
		cases: ['in', 'out'],
		call: async (who, c) =>
			get(who, `/api/requests/${c === 'in' ? ((await listedRequests(who)).find((r) => r.has_photo)?.id ?? NOWHERE.member) : NOWHERE.member}/photo`),
		async check({ out }) {
			const type = out.response.headers()['content-type'];
			const problems = privateCache(out.response);
			if (type !== 'image/png' && type !== 'image/jpeg') problems.push(`content-type ${type}`);
			return problems;
		}
	},
	'GET /requests': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/requests') : dataRequest(who, '/requests')) },
	'GET /requests/[id]': {
		cases: ['in', 'out', 'in:data', 'out:data'],
		call: async (who, c) => {
			const id = c.startsWith('in') ? ((await listedRequests(who))[0]?.id ?? NOWHERE.member) : NOWHERE.member;
			return c.endsWith(':data') ? dataRequest(who, `/requests/${id}`) : get(who, `/requests/${id}`);
		}
	},
	// in: a fresh request (held at the grid) accepted; only the grid leader may
	'POST /api/requests/[id]/actions': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const id = c === 'in' ? await matrixRequest(who, env, 'submitted') : NOWHERE.member;
			return post(who.ctx, env, `/api/requests/${id}/actions`, { data: { action: 'accept', reason: null } });
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { request: { state: string; grid_code: string } };
			const problems = privateCache(out.response);
			if (body.request.state !== 'accepted') problems.push(`state ${body.request.state} after accept`);
			if (!inScope(who, body.request.grid_code)) problems.push(`request in grid ${body.request.grid_code}`);
			return problems;
		}
	},
	'PATCH /api/visits/[id]': {
		cases: ['in', 'in:other', 'out'],
		async call(who, c, env) {
			const household = who.inside.household.household;
			let id = NOWHERE.member;
			const listed = await who.ctx.get(`/api/visits?household=${household}`);
			const visits = listed.ok() ? ((await listed.json()) as { visits: { id: number; editable: boolean }[] }).visits : [];
			if (c === 'in') {
				const made = await post(who.ctx, env, '/api/visits', {
					data: { client_id: `matrix-edit-${who.principal}-${Date.now().toString(36)}`, household_id: household, kind: 'help' }
				});
				id = made.status === 201 ? ((await made.response.json()) as { visit: { id: number } }).visit.id : (visits[0]?.id ?? id);
			} else if (c === 'in:other') {
				id = visits.find((x) => !x.editable)?.id ?? id;
			}
			const path = `/api/visits/${id}`;
			const response = await who.ctx.fetch(path, {
				method: 'PATCH',
				data: { note: 'edited by the access matrix', follow_up_on: null },
				headers: { origin: env.base },
				maxRedirects: 0
			});
			const notes = c !== 'out' && id === NOWHERE.member && listed.ok() ? [`no visit to edit for case ${c}`] : [];
			return { path, method: 'PATCH', status: response.status(), location: response.headers()['location'], response, notes };
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { visit: { note: string; grid_code: string; editable: boolean } };
			const problems = privateCache(out.response);
			if (body.visit.note !== 'edited by the access matrix') problems.push(`note "${body.visit.note}" after the edit`);
			if (!inScope(who, body.visit.grid_code)) problems.push(`visit in grid ${body.visit.grid_code}`);
			return problems;
		}
	},
	// a need at a point of the caller's grid (out: far outside the area), sent twice with one client id
	'POST /api/needs': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const data = {
				client_id: `matrix-need-${who.principal}-${c}-${Date.now().toString(36)}`,
				category: 'elderly',
				title: 'access matrix',
				point: c === 'in' ? who.inside.point : who.outside.far
			};
			const first = await post(who.ctx, env, '/api/needs', { data });
			const again = await post(who.ctx, env, '/api/needs', { data });
			const notes: string[] = [];
			if (first.status === 201) {
				const a = (await first.response.json()) as { need: { id: number } };
				const b = (await again.response.json()) as { need: { id: number }; created: boolean };
				if (again.status !== 200 || b.created || b.need.id !== a.need.id)
					notes.push(`the retry answered ${again.status} with need ${b.need?.id}, not ${a.need.id} again`);
			} else if (first.status !== again.status) notes.push(`the first submission answered ${first.status}, the retry ${again.status}`);
			return { ...again, notes };
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { need: { grid_code: string; state: string } };
			const problems = privateCache(out.response);
			if (!inScope(who, body.need.grid_code)) problems.push(`need in grid ${body.need.grid_code}`);
			return problems;
		}
	},
	'GET /api/needs': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/needs${c === 'in' ? '' : `?area=${who.outside.area || NOWHERE.area}`}`),
		async check({ who, c, out }) {
			const body = (await out.response.json()) as { needs: { grid_code: string }[]; resources: { area_code: string }[]; projects: { grid_code: string }[] };
			const problems = privateCache(out.response);
			// the POST rows ran first: the inside grid has the grid leader's and the secretaries' needs
			if (c === 'in' && !body.needs.length) problems.push('no needs listed in the area');
			for (const n of body.needs) if (!inScope(who, n.grid_code)) problems.push(`need in grid ${n.grid_code}`);
			for (const p of body.projects) if (!inScope(who, p.grid_code)) problems.push(`project in grid ${p.grid_code}`);
			for (const r of body.resources) if (!inOrAbove(who, r.area_code)) problems.push(`resource offered to ${r.area_code}`);
			return problems;
		}
	},
	'GET /api/needs/matches': {
		cases: ['in', 'out'],
		call: (who, c) => get(who, `/api/needs/matches${c === 'in' ? '' : `?area=${who.outside.area || NOWHERE.area}`}`),
		async check({ who, out }) {
			const body = (await out.response.json()) as { matches: { need_id: number; nearest: { resource_id: number }[] }[] };
			const problems = privateCache(out.response);
			const lists = (await (await who.ctx.get('/api/needs')).json()) as { needs: { id: number }[]; resources: { id: number }[] };
			const needs = new Set(lists.needs.map((n) => n.id));
			const resources = new Set(lists.resources.map((r) => r.id));
			for (const m of body.matches) {
				if (!needs.has(m.need_id)) problems.push(`need ${m.need_id} is not one of the caller's`);
				for (const r of m.nearest) if (!resources.has(r.resource_id)) problems.push(`resource ${r.resource_id} is not one the caller sees`);
			}
			return problems;
		}
	},
	// a resource offered by a member of the caller's grid (out: a member of another area)
	'POST /api/resources': {
		cases: ['in', 'out'],
		call: (who, c, env) =>
			post(who.ctx, env, '/api/resources', {
				data: {
					client_id: `matrix-res-${who.principal}-${c}-${Date.now().toString(36)}`,
					category: 'elderly',
					title: 'access matrix',
					member_id: c === 'in' ? who.inside.member : who.outside.member || NOWHERE.member
				}
			}),
		async check({ who, out }) {
			const body = (await out.response.json()) as { resource: { area_code: string; offered_by: { kind: string; id: number } } };
			const problems = privateCache(out.response);
			if (body.resource.area_code !== who.scope) problems.push(`offered to ${body.resource.area_code}, not the caller's area`);
			if (body.resource.offered_by.id !== who.inside.member) problems.push(`offered by ${JSON.stringify(body.resource.offered_by)}`);
			return problems;
		}
	},
	// in: an open need of the caller's area (a fresh one where the caller may make one), claimed for a member of its grid
	'POST /api/needs/[id]/claim': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			const id = c === 'in' ? await matrixNeed(who, env) : NOWHERE.member;
			return post(who.ctx, env, `/api/needs/${id}/claim`, { data: { member_id: who.inside.member, due_on: '2099-12-31' } });
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { project: { grid_code: string; state: string; owner: { kind: string; id: number } | null } };
			const problems = privateCache(out.response);
			if (!inScope(who, body.project.grid_code)) problems.push(`project in grid ${body.project.grid_code}`);
			if (body.project.state !== 'in_progress' || body.project.owner?.id !== who.inside.member) problems.push(`project ${JSON.stringify(body.project)}`);
			return problems;
		}
	},
	// in: a project just made from an open need of the caller's area (for those who cannot claim: any listed), finished
	'PATCH /api/projects/[id]': {
		cases: ['in', 'out'],
		async call(who, c, env) {
			let id = NOWHERE.member;
			if (c === 'in') {
				const need = await matrixNeed(who, env);
				const made = await post(who.ctx, env, `/api/needs/${need}/claim`, { data: { member_id: who.inside.member, due_on: '2099-12-31' } });
				if (made.status === 201) id = ((await made.response.json()) as { project: { id: number } }).project.id;
				else {
					const listed = await who.ctx.get('/api/needs', { maxRedirects: 0 });
					id = listed.ok() ? (((await listed.json()) as { projects: { id: number }[] }).projects[0]?.id ?? id) : id;
				}
			}
			const path = `/api/projects/${id}`;
			const response = await who.ctx.fetch(path, {
				method: 'PATCH',
				data: { state: 'done', result: 'done by the access matrix' },
				headers: { origin: env.base },
				maxRedirects: 0
			});
			return { path, method: 'PATCH', status: response.status(), location: response.headers()['location'], response };
		},
		async check({ who, out }) {
			const body = (await out.response.json()) as { project: { grid_code: string; state: string; result: string } };
			const problems = privateCache(out.response);
			if (!inScope(who, body.project.grid_code)) problems.push(`project in grid ${body.project.grid_code}`);
			if (body.project.state !== 'done' || body.project.result !== 'done by the access matrix') problems.push(`project ${JSON.stringify(body.project)}`);
			return problems;
		}
	},
	'GET /needs': { cases: ['page', 'page:data'], call: (who, c) => (c === 'page' ? get(who, '/needs') : dataRequest(who, '/needs')) },
	'GET /api/search': {
		cases: ['in', 'out', 'in:broad'],
		call: (who, c, { world }) => {
			const q = c === 'in:broad' ? '网格' : c === 'in' ? world.names.get(who.inside.area)! : (world.names.get(who.outside.area) ?? '不存在的地方');
			return get(who, `/api/search?q=${encodeURIComponent(q)}`);
		},
		async check(a) {
			const { who, c, out, env } = a;
			const body = (await out.response.json()) as { hits: { target: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body)];
			for (const h of body.hits) if (!targetInScope(who, env.world, h.target)) problems.push(`hit ${h.target} outside the scope`);
			if (c === 'in' && !body.hits.some((h) => h.target === who.inside.area)) problems.push(`own area ${who.inside.area} not found by name`);
			if (c === 'out' && body.hits.some((h) => h.target === who.outside.area)) problems.push(`outside area ${who.outside.area} found by name`);
			if (c === 'in:broad' && body.hits.length === 0) problems.push('no hits for 网格');
			return problems;
		}
	},
	'GET /api/coverage/area/[code]': {
		cases: ['in', 'out', 'out:above'],
		call: (who, c) => get(who, `/api/coverage/area/${areaOf(who, c)}`),
		async check(a) {
			const { who, out, env } = a;
			const body = await out.response.json();
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (body.area?.code !== who.inside.area) problems.push(`area ${body.area?.code}, asked for ${who.inside.area}`);
			const theirs = await adminJson<{ area: Record<string, unknown> }>(env.world, `/api/coverage/area/${who.inside.area}`);
			for (const [k, v] of Object.entries(body.area ?? {})) {
				if (k === 'suppressed') continue;
				if (v !== theirs.area[k] && !(a.counts && v === null && (body.area.suppressed ?? []).includes(k)))
					problems.push(`area.${k} = ${v}, the district administrator sees ${theirs.area[k]}`);
			}
			return problems;
		}
	},
	'GET /api/export/[layer]': {
		cases: ['in', 'out', 'out:above', 'in:csv'],
		call: (who, c) => get(who, `/api/export/buildings?area=${withinOf(who, c)}${c === 'in:csv' ? '&format=csv' : ''}`),
		async check(a) {
			const { who, c, out, env } = a;
			const theirs = await adminJson<{ features: { properties: { source_id: string; grid_code: string } }[] }>(
				env.world,
				`/api/export/buildings?area=${who.scope}`
			);
			const problems = [...privateCache(out.response)];
			if (c === 'in:csv') {
				const text = await out.response.text();
				problems.push(...csvProblems(a, text));
				const rows = parseCsv(text).filter((r) => r.some((x) => x !== ''));
				if (rows.length - 1 !== theirs.features.length) problems.push(`CSV has ${rows.length - 1} buildings, the caller's area ${theirs.features.length}`);
				return problems;
			}
			const fc = (await out.response.json()) as { features: { properties: { source_id: string; grid_code: string } }[] };
			problems.push(...personsShown(a.counts, fc));
			for (const { properties: p } of fc.features) if (!inScope(who, p.grid_code)) problems.push(`building ${p.source_id} in grid ${p.grid_code}`);
			problems.push(
				...sameIds(
					'buildings',
					fc.features.map((f) => f.properties.source_id),
					theirs.features.map((f) => f.properties.source_id)
				)
			);
			return problems;
		}
	},
	'GET /api/coverage/blind-spots': {
		cases: ['in', 'out', 'out:above', 'in:csv', 'in:geojson'],
		call: (who, c) => get(who, `/api/coverage/blind-spots?limit=5000&within=${withinOf(who, c)}${c.startsWith('in:') ? `&format=${c.slice(3)}` : ''}`),
		async check(a) {
			const { who, c, out, env } = a;
			const theirs = await adminJson<{ rows: { id: number }[] }>(env.world, `/api/coverage/blind-spots?limit=5000&within=${who.scope}`);
			if (c === 'in:geojson') {
				const fc = (await out.response.json()) as { features: { properties: { id: number; grid_code: string; building_ids?: number[] } }[] };
				const problems = [...privateCache(out.response), ...personsShown(a.counts, fc), ...smallCells(a, fc)];
				for (const { properties: p } of fc.features) {
					if (!inScope(who, p.grid_code)) problems.push(`blind spot ${p.id} in grid ${p.grid_code}`);
					for (const b of p.building_ids ?? [])
						if (!inScope(who, env.world.buildingGrid.get(Number(b)) ?? '?')) problems.push(`blind spot ${p.id} names building ${b} outside the scope`);
				}
				problems.push(
					...sameIds(
						'blind spots',
						fc.features.map((f) => f.properties.id),
						theirs.rows.map((r) => r.id)
					)
				);
				return problems;
			}
			if (c === 'in:csv') {
				const text = await out.response.text();
				const problems = [...privateCache(out.response), ...csvProblems(a, text)];
				const n = parseCsv(text).filter((r) => r.some((x) => x !== '')).length - 1;
				if (n !== theirs.rows.length) problems.push(`CSV has ${n} blind spots, the caller's area ${theirs.rows.length}`);
				return problems;
			}
			const body = (await out.response.json()) as { within: string; rows: { id: number; grid_code: string; building_ids?: number[] }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			if (body.within !== who.scope) problems.push(`within ${body.within}`);
			for (const r of body.rows) {
				if (!inScope(who, r.grid_code)) problems.push(`blind spot ${r.id} in grid ${r.grid_code}`);
				for (const b of r.building_ids ?? [])
					if (!inScope(who, env.world.buildingGrid.get(b) ?? '?')) problems.push(`blind spot ${r.id} names building ${b} outside the scope`);
			}
			problems.push(
				...sameIds(
					'blind spots',
					body.rows.map((r) => r.id),
					theirs.rows.map((r) => r.id)
				)
			);
			return problems;
		}
	},
	'GET /api/coverage/gaps': {
		cases: ['in', 'out', 'out:above', 'in:persons-rule'],
		call: (who, c) =>
			get(who, `/api/coverage/gaps?rule=${c === 'in:persons-rule' ? 'central_household_overloaded' : 'household_uncared'}&within=${withinOf(who, c)}`),
		async check(a) {
			const { who, c, out, env } = a;
			const rule = c === 'in:persons-rule' ? 'central_household_overloaded' : 'household_uncared';
			const body = (await out.response.json()) as { rows: { object_id: string; area_code: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			for (const r of body.rows) if (!inScope(who, r.area_code)) problems.push(`gap ${r.object_id} in ${r.area_code}`);
			const theirs = await adminJson<{ rows: { object_id: string }[] }>(env.world, `/api/coverage/gaps?rule=${rule}&within=${who.scope}`);
			problems.push(
				...sameIds(
					`${rule} gaps`,
					body.rows.map((r) => r.object_id),
					theirs.rows.map((r) => r.object_id)
				)
			);
			if (c === 'in' && theirs.rows.length === 0) problems.push(`no ${rule} gaps in ${who.scope}: the probe proves nothing`);
			return problems;
		}
	},
	'GET /api/coverage/organisations': {
		cases: ['in', 'out', 'out:above', 'in:csv'],
		call: (who, c) => get(who, `/api/coverage/organisations?within=${withinOf(who, c)}${c === 'in:csv' ? '&format=csv' : ''}`),
		async check(a) {
			const { who, c, out, env } = a;
			if (c === 'in:csv') return [...privateCache(out.response), ...csvProblems(a, await out.response.text())];
			const body = (await out.response.json()) as { rows: { org_id: number; area_code: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			for (const r of body.rows) if (!inScope(who, r.area_code)) problems.push(`organisation ${r.org_id} in ${r.area_code}`);
			const theirs = await adminJson<{ rows: { org_id: number }[] }>(env.world, `/api/coverage/organisations?within=${who.scope}`);
			problems.push(
				...sameIds(
					'organisations',
					body.rows.map((r) => r.org_id),
					theirs.rows.map((r) => r.org_id)
				)
			);
			if (theirs.rows.length === 0) problems.push(`no organisations in ${who.scope}: the probe proves nothing`);
			return problems;
		}
	},
	'GET /api/coverage/rankings': {
		cases: ['in', 'out', 'out:above', 'in:csv', 'in:geojson'],
		call: (who, c) => get(who, `/api/coverage/rankings?level=grid&within=${withinOf(who, c)}${c.startsWith('in:') ? `&format=${c.slice(3)}` : ''}`),
		async check(a) {
			const { who, c, out, env } = a;
			if (c === 'in:csv') return [...privateCache(out.response), ...csvProblems(a, await out.response.text())];
			const theirs = await adminJson<{ rows: { code: string }[] }>(env.world, `/api/coverage/rankings?level=grid&within=${who.scope}`);
			const body = (await out.response.json()) as { rows?: { code: string }[]; features?: { properties: { code: string } }[] };
			const rows = c === 'in:geojson' ? (body.features ?? []).map((f) => f.properties) : (body.rows ?? []);
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body)];
			for (const r of rows) if (!inScope(who, r.code)) problems.push(`ranked ${r.code}`);
			problems.push(
				...sameIds(
					'ranked grids',
					rows.map((r) => r.code),
					theirs.rows.map((r) => r.code)
				)
			);
			return problems;
		}
	},
	'GET /api/coverage/reach/[centre]': {
		cases: ['in', 'out', 'out:above'],
		call: (who, c) => get(who, `/api/coverage/reach/${c === 'in' ? who.inside.centre : c === 'out' ? who.outside.centre : who.outside.aboveCentre}`),
		async check({ who, out }) {
			const body = (await out.response.json()) as { features: { properties: { centre_id: number } }[] };
			const problems = privateCache(out.response);
			if (!body.features.length) problems.push('no reach');
			for (const f of body.features) if (f.properties.centre_id !== who.inside.centre) problems.push(`reach of centre ${f.properties.centre_id}`);
			return problems;
		}
	},
	'GET /api/coverage/suggest': {
		cases: ['in', 'out', 'out:within', 'in:csv'],
		call: (who, c) =>
			get(
				who,
				c === 'in'
					? `/api/coverage/suggest?k=1&circle=1&within=${who.scope}`
					: c === 'in:csv'
						? `/api/coverage/suggest?k=3&circle=1&within=${who.scope}&format=csv`
						: c === 'out'
							? `/api/coverage/suggest?k=1&circle=1&pin=${who.outside.far.join(',')}`
							: `/api/coverage/suggest?k=1&circle=1&within=${who.outside.area}`
			),
		async check(a) {
			const { who, c, out, env } = a;
			if (c === 'in:csv') return [...privateCache(out.response), ...csvProblems(a, await out.response.text())];
			const body = (await out.response.json()) as { within: string; suggestions: { key: string; lon: number; lat: number }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, body.suggestions)];
			if (body.within !== who.scope) problems.push(`within ${body.within}`);
			if (!body.suggestions?.length) problems.push('no suggestion');
			const g = env.world.geometry.get(who.scope)!;
			for (const s of body.suggestions ?? []) {
				const d = signedMetres([s.lon, s.lat], g);
				if (d > 50) problems.push(`site ${s.key} lies ${Math.round(d)} m outside the caller's area`);
			}
			return problems;
		}
	},
	'POST /api/coverage/whatif': {
		cases: ['in', 'out', 'out:near'],
		call: (who, c, env) => {
			const [lon, lat] = c === 'in' ? who.inside.point : c === 'out' ? who.outside.far : who.outside.near;
			return post(who.ctx, env, '/api/coverage/whatif', { data: { lon, lat } });
		},
		async check(a) {
			const { who, c, out } = a;
			const body = (await out.response.json()) as { communities: { code: string }[] };
			const problems = [...privateCache(out.response), ...personsShown(a.counts, body), ...smallCells(a, { ...body, reach: undefined })];
			for (const x of body.communities ?? []) if (!inScope(who, x.code)) problems.push(`figures of community ${x.code}`);
			if (c === 'in' && !body.communities?.length) problems.push('no community counted');
			return problems;
		}
	},
	...Object.fromEntries(
		tileLayers().flatMap((l) => [
			[tileKey(l.name), tileProbe(l.name)],
			[tileJsonKey(l.name), tileJsonProbe(l.name)]
		])
	),
	...Object.fromEntries((['create', 'disable', 'enable'] as const).map((n) => [`POST /admin?/${n}`, adminProbe(n, 'system_admin')])),
	...Object.fromEntries(
		(['approve', 'reject', 'changeRole', 'grantPersons', 'revokePersons', 'unlock', 'createScreen', 'setScreenInterval', 'revokeScreen'] as const).map((n) => [
			`POST /admin?/${n}`,
			adminProbe(n, 'security_admin')
		])
	)
};

// ─── the tests ─────────────────────────────────────────────────────────────────────────────

/** What the table misses of the inventory, and what it holds that the app no longer has. */
function inventoryProblems(): { problems: string[]; entries: InventoryEntry[] } {
	const entries = inventory();
	const problems: string[] = [];
	const principals: string[] = [...ROLES, 'display', 'anonymous'];
	for (const p of principals) if (!(COLUMNS as readonly string[]).includes(p)) problems.push(`principal ${p}: no column in the table (and no demo scope)`);
	for (const c of COLUMNS) if (!principals.includes(c)) problems.push(`column ${c}: not a principal (ROLES, display, anonymous)`);
	for (const p of principals) if (!(p in SCOPE_LEVEL)) problems.push(`principal ${p}: no demo scope in SCOPE_LEVEL`);
	const keys = new Set(entries.map((e) => e.key));
	for (const e of entries) {
		const r = TABLE[e.key];
		const probe = PROBES[e.key];
		if (!r) {
			problems.push(`${e.key} (${e.source}): no row in the table`);
			continue;
		}
		if (r.written !== COLUMNS.length) problems.push(`${e.key}: ${r.written} cells for ${COLUMNS.length} columns`);
		if (!probe) {
			problems.push(`${e.key}: no probe (how to call it inside and outside the caller's area)`);
			continue;
		}
		if (areaBound(e) && !(probe.cases.some((c) => c === 'in' || c.startsWith('in:')) && probe.cases.some((c) => c === 'out' || c.startsWith('out:')))) {
			problems.push(`${e.key}: area-bound, but not probed both inside and outside the caller's area (cases ${probe.cases.join(', ')})`);
		}
		for (const p of principals) {
			const cell = r.cells[p as Principal];
			if (cell === undefined) {
				problems.push(`${e.key} × ${p}: no entry`);
				continue;
			}
			for (const c of probe.cases) if (resolve(cell, c) === undefined) problems.push(`${e.key} × ${p} × ${c}: no expectation`);
		}
	}
	for (const k of Object.keys(TABLE)) if (!keys.has(k)) problems.push(`${k}: in the table, but neither a route of src/routes nor a layer of SOURCES`);
	for (const k of Object.keys(PROBES)) if (!keys.has(k)) problems.push(`${k}: a probe, but neither a route nor a layer`);
	for (const l of tileLayers()) {
		const z = TILE_ZOOM[l.name];
		if (z === undefined || z < l.minzoom || z > l.maxzoom) problems.push(`layer ${l.name}: probe zoom ${z} outside its range ${l.minzoom}–${l.maxzoom}`);
	}
	return { problems, entries };
}

test('access matrix: the table has an entry for every route and tile layer × every principal, in and out of scope', () => {
	const { problems, entries } = inventoryProblems();
	console.log(
		`inventory: ${entries.length} keys (${entries.filter((e) => e.kind === 'tile' || e.kind === 'tilejson').length} of tile layers), ${[...ROLES].length + 2} principals`
	);
	expect(problems).toEqual([]);
});

test('access matrix: every route and layer × every principal × inside/outside answers as the table says', async ({ playwright, baseURL }) => {
	test.setTimeout(900_000);
	const started = Date.now();
	const base = baseURL!;
	const contexts: APIRequestContext[] = [];
	const keep = <T extends APIRequestContext>(c: T) => (contexts.push(c), c);
	// a route the inventory has and the table lacks is named by the test above; here it is skipped
	const { entries } = inventoryProblems();
	const runnable = Object.keys(TABLE).filter((k) => PROBES[k] && entries.some((e) => e.key === k));

	const admin = keep(await signInApi(playwright, base, 'district_admin'));
	const world = await discover(admin);

	const security = keep(await signInApi(playwright, base, 'security_admin'));
	const kioskToken = await createKioskToken(security, base, '访问矩阵测试大屏', world.chain.street);
	const who: Who[] = [];
	for (const p of COLUMNS) {
		let ctx: APIRequestContext;
		if (p === 'anonymous') ctx = keep(await anonymousApi(playwright, base));
		else if (p === 'display') ctx = keep(await kioskApi(playwright, base, kioskToken));
		else ctx = p === 'district_admin' ? admin : keep(await signInApi(playwright, base, p));
		who.push(whoFor(p, ctx, world));
	}
	const stamp = Date.now().toString(36);
	const env: Env = {
		base,
		world,
		playwright,
		keep,
		kioskToken,
		fixture: {
			a: { username: `am-a-${stamp}` },
			b: { username: `am-b-${stamp}` },
			c: { username: `am-c-${stamp}` },
			screen: { name: `矩阵测试大屏 ${stamp}` },
			refusedUsers: [],
			refusedScreens: []
		},
		stats: { tileInScope: new Map(), smallShownToPersons: 0, smallWithheld: 0 }
	};

	const cells: {
		route: string;
		principal: Principal;
		case: string;
		method: string;
		path: string;
		expected: Token;
		status: number;
		location?: string;
		problems: string[];
	}[] = [];
	for (const key of runnable) {
		const probe = PROBES[key];
		for (const w of who) {
			for (const c of probe.cases) {
				const expected = resolve(TABLE[key].cells[w.principal], c)!;
				let out: Outcome;
				let problems: string[];
				try {
					out = await probe.call(w, c, env);
					const counts = expected === 'COUNTS' || resolve(TABLE[key].cells[w.principal], 'in') === 'COUNTS';
					problems = await judge(expected, probe, { who: w, c, out, env }, counts);
				} catch (e) {
					out = { path: '?', method: '?', status: 0 } as Outcome;
					problems = [`probe failed: ${(e as Error).message}`];
				}
				cells.push({
					route: key,
					principal: w.principal,
					case: c,
					method: out.method,
					path: out.path,
					expected,
					status: out.status,
					location: out.location,
					problems
				});
			}
		}
	}

	// what refused callers tried to make does not exist; every layer had something in scope somewhere
	const extra: string[] = [];
	const html = await adminPage(env);
	for (const u of env.fixture.refusedUsers) if (accountRow(html, u)) extra.push(`refused request made account ${u}`);
	for (const s of env.fixture.refusedScreens) if (html.includes(s)) extra.push(`refused screen ${s} exists`);
	for (const l of tileLayers())
		if (!env.stats.tileInScope.get(l.name)) extra.push(`layer ${l.name}: no in-scope feature in any principal's inside tile — the probe proves nothing`);
	if (env.stats.smallShownToPersons + env.stats.smallWithheld === 0) extra.push('no small count seen anywhere: the small-cell checks prove nothing');

	const failures = cells.filter((c) => c.problems.length > 0);
	const routes = new Set(cells.map((c) => c.route)).size;
	const summary = {
		size: `${routes} routes and layers × ${who.length} principals × their cases = ${cells.length} checks`,
		failures: failures.length,
		seconds: (Date.now() - started) / 1000,
		scopes: Object.fromEntries(who.map((w) => [w.principal, w.scope])),
		ids: Object.fromEntries(
			who.map((w) => [
				w.principal,
				{ inside: { ...w.inside, household: w.inside.household.household }, outside: { ...w.outside, household: w.outside.household?.household ?? null } }
			])
		),
		stats: { ...env.stats, tileInScope: Object.fromEntries(env.stats.tileInScope) },
		extra
	};
	console.log(`access matrix: ${summary.size}, ${failures.length} failing, ${summary.seconds.toFixed(1)} s`);
	mkdirSync('tests/artifacts', { recursive: true });
	writeFileSync('tests/artifacts/access-matrix.json', JSON.stringify({ summary, cells }, null, 1));

	for (const c of contexts) await c.dispose();
	expect([
		...failures.map((f) => `${f.principal} ${f.method} ${f.path} [${f.route} / ${f.case}, expected ${f.expected}]: ${f.problems.join('; ')}`),
		...extra
	]).toEqual([]);
});
