// Who is asking, reduced to what every query needs: the subtree they may see and whether
// persons are shown, masked or not. Built on the server from the session, never from the URL.
import { ROLE_RULES, type Principal } from './roles.ts';
import { AREA_CODE } from '../../api/inputs.ts';

export interface Viewer {
	principal: Principal;
	/** the area code the viewer is bound to: they see it and everything below it */
	scope: string;
	accountId: number | null;
	/** account user name, or the screen's name for a display */
	username: string;
	/** sees the map, its tiles and figures */
	map: boolean;
	/** sees persons at all (lists of households and members) */
	persons: boolean;
	/** sees names in lists unmasked and may reveal a full record */
	unmasked: boolean;
}

export function viewerFor(principal: Principal, scope: string, accountId: number | null, username: string, canViewPersons = false): Viewer {
	const rules = ROLE_RULES[principal];
	return {
		principal,
		scope,
		accountId,
		username,
		map: rules.map,
		persons: rules.persons || (principal === 'planner' && canViewPersons),
		unmasked: rules.unmasked
	};
}

export function inScope(viewer: Pick<Viewer, 'scope'>, code: string): boolean {
	return code.startsWith(viewer.scope);
}

/** LIKE pattern for everything in the viewer's subtree (scopes are digits only). */
export function scopePattern(scope: string): string {
	if (!AREA_CODE.test(scope)) throw new Error(`invalid scope "${scope.slice(0, 20)}"`);
	return `${scope}%`;
}
