// Who may call a route: each guard takes the request's locals (set by hooks.server.ts from the
// session or the screen's kiosk token) and answers the caller, or refuses with 401/403.
import { error, redirect } from '@sveltejs/kit';
import { ROLE_RULES, type Role } from '../auth/roles.ts';
import { requireRole } from '../admin/guard.ts';
import type { SessionUser } from '../auth/sessions.ts';
import type { Viewer } from '../auth/viewer.ts';

export interface Guard<C> {
	/** a word for the guard, as the route list and the access tests name it */
	readonly name: string;
	check(locals: App.Locals): C;
}

function guard<C>(name: string, check: (locals: App.Locals) => C): Guard<C> {
	return { name, check };
}

/** Whoever asks, signed in or not (the health check, sign-out); the viewer if there is one. */
export const anyone = guard('anyone', (locals): { viewer: Viewer | null; user: SessionUser | null } => ({ viewer: locals.viewer, user: locals.user }));

/** Viewers of the map and its figures (not the auditor or the administrators). */
export const mapViewer = guard('map', (locals): Viewer => {
	const viewer = locals.viewer;
	if (!viewer) error(401, 'sign in first');
	if (!viewer.map) error(403, 'this role does not see the map');
	return viewer;
});

/** Viewers who may see persons at all (lists of households, members). */
export const personViewer = guard('persons', (locals): Viewer => {
	const viewer = mapViewer.check(locals);
	if (!viewer.persons) error(403, 'this role sees counts, not persons');
	return viewer;
});

/** The big screen only (a kiosk token, not a session): its own page and figures (issue 12). */
export const screenDisplay = guard('display', (locals): { viewer: Viewer; screen: NonNullable<App.Locals['screen']> } => {
	const viewer = locals.viewer;
	if (!viewer) error(401, 'sign in first');
	if (viewer.principal !== 'display' || !locals.screen) error(403, 'the big screen only: open it with its kiosk link');
	return { viewer, screen: locals.screen };
});

/** Roles that run planner analyses (what-if stations, site suggestions). */
export const analyst = guard('analyses', (locals): Viewer => {
	const viewer = mapViewer.check(locals);
	if (!ROLE_RULES[viewer.principal].analyses) error(403, 'this role does not run analyses');
	return viewer;
});

/** A signed-in account, whatever its role (its own password page); otherwise to the sign-in page. */
export const accountHolder = guard('account', (locals): SessionUser => {
	if (!locals.user) redirect(303, '/login');
	return locals.user;
});

/** Accounts of the given roles only (the administrators' and the auditor's pages). */
export function accountRole<R extends Role>(...roles: R[]): Guard<SessionUser & { role: R }> {
	return guard(`role:${roles.join('|')}`, (locals) => requireRole(locals, ...roles));
}

/** The map page: viewers of the map; the auditor and the administrators go to their own pages. */
export const mapPage = guard('map page', (locals): Viewer => {
	const viewer = locals.viewer;
	if (!viewer) redirect(303, '/login');
	if (!viewer.map) redirect(303, viewer.principal === 'auditor' ? '/audit' : '/admin');
	return viewer;
});

/** The grid pages (我的网格, issue 11): grid leaders, and community secretaries for their grids. */
export const gridWorker = guard('grid', (locals): Viewer => {
	const viewer = locals.viewer;
	if (!viewer) redirect(303, '/login');
	if (viewer.principal !== 'grid_leader' && viewer.principal !== 'community_secretary')
		error(403, 'the grid pages are for grid leaders and community secretaries');
	return viewer;
});
