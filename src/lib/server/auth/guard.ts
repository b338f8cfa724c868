// Route guards: the hooks let only signed-in callers through; these say what each may reach.
import { error } from '@sveltejs/kit';
import type { Viewer } from './viewer.ts';

/** The viewer, if they may see the map and its figures (not the auditor or the administrators). */
export function mapViewer(locals: App.Locals): Viewer {
	const viewer = locals.viewer;
	if (!viewer) error(401, 'sign in first');
	if (!viewer.map) error(403, 'this role does not see the map');
	return viewer;
}

/** The viewer, if they may see persons at all. */
export function personViewer(locals: App.Locals): Viewer {
	const viewer = mapViewer(locals);
	if (!viewer.persons) error(403, 'this role sees counts, not persons');
	return viewer;
}
