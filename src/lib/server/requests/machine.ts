// Residents' requests (issue 11 part 3): the state machine and who may do what. Pure: the query
// module (src/lib/server/db/queries/requests.ts) asks it before every write, and the README's
// table is this file in words.
//
//   submitted → accepted → in_progress → resolved → confirmed   (confirmed by the resident,
//                                                  ↘ reopened → accepted …   recorded by the grid leader)
//   escalate: grid → community → street (the higher level's organisation must accept it again)
//   return:   street → community → grid, with an instruction (the lower level carries on)
import type { Role } from '../auth/roles.ts';

export const REQUEST_STATES = ['submitted', 'accepted', 'in_progress', 'resolved', 'confirmed', 'reopened'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
export const REQUEST_LEVELS = ['grid', 'community', 'street'] as const;
export type RequestLevel = (typeof REQUEST_LEVELS)[number];
export const REQUEST_ACTIONS = ['accept', 'start', 'resolve', 'confirm', 'reopen', 'escalate', 'return'] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

/** the level whose party organisation each role speaks for */
export const ROLE_LEVEL: Partial<Record<Role, RequestLevel>> = {
	grid_leader: 'grid',
	community_secretary: 'community',
	street_secretary: 'street'
};

/** roles that may create a request (from a household or a point in their scope) */
export const CREATORS: readonly Role[] = ['grid_leader', 'community_secretary'];
/** roles that may read requests in their scope */
export const READERS: readonly Role[] = ['grid_leader', 'community_secretary', 'street_secretary', 'district_admin'];
/** roles that may change the time limits */
export const LIMIT_EDITORS: readonly Role[] = ['district_admin'];

const STATE_MOVES: Partial<Record<RequestAction, { from: readonly RequestState[]; to: RequestState }>> = {
	accept: { from: ['submitted', 'reopened'], to: 'accepted' },
	start: { from: ['accepted'], to: 'in_progress' },
	resolve: { from: ['in_progress'], to: 'resolved' },
	confirm: { from: ['resolved'], to: 'confirmed' },
	reopen: { from: ['resolved'], to: 'reopened' }
};

export interface Transition {
	state: RequestState;
	level: RequestLevel;
}

export type Refusal = 'forbidden' | 'invalid_state' | 'reason_required';

/** What `action` by `role` does to a request at (state, level), or why it may not. */
export function transition(role: Role, action: RequestAction, at: Transition, reason: string | null): Transition | { refused: Refusal } {
	const mine = ROLE_LEVEL[role];
	if (!mine) return { refused: 'forbidden' };
	const rank = REQUEST_LEVELS.indexOf(at.level);
	const myRank = REQUEST_LEVELS.indexOf(mine);
	const hasReason = !!reason && reason.trim().length > 0;
	if (action === 'confirm' || action === 'reopen') {
		// the resident's word, recorded by their grid leader (or the community for its grids)
		if (role !== 'grid_leader' && role !== 'community_secretary') return { refused: 'forbidden' };
	} else if (action === 'return') {
		// only the level that holds it sends it down, one level, with an instruction
		if (myRank !== rank) return { refused: 'forbidden' };
		if (rank === 0) return { refused: 'invalid_state' };
		if (at.state === 'confirmed' || at.state === 'resolved') return { refused: 'invalid_state' };
		if (!hasReason) return { refused: 'reason_required' };
		return { state: 'accepted', level: REQUEST_LEVELS[rank - 1] };
	} else if (myRank !== rank) {
		return { refused: 'forbidden' };
	}
	if (action === 'escalate') {
		if (rank === REQUEST_LEVELS.length - 1) return { refused: 'invalid_state' };
		if (at.state === 'confirmed' || at.state === 'resolved') return { refused: 'invalid_state' };
		if (!hasReason) return { refused: 'reason_required' };
		return { state: 'submitted', level: REQUEST_LEVELS[rank + 1] };
	}
	const move = STATE_MOVES[action];
	if (!move || !move.from.includes(at.state)) return { refused: 'invalid_state' };
	if (action === 'reopen' && !hasReason) return { refused: 'reason_required' };
	return { state: move.to, level: at.level };
}

export type Overdue = 'none' | 'amber' | 'red';
