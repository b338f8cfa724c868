// The catalogue keys of the needs' names (issue 11 part 4), named literally so the catalogue test
// and TypeScript see each one. Unknown values fall back to the value itself (labelOf).
import type { PlainKey } from '$lib/i18n';

export const NEED_CATEGORY_KEY: Record<string, PlainKey> = {
	elderly: 'needs.category.elderly',
	children: 'needs.category.children',
	health: 'needs.category.health',
	legal: 'needs.category.legal',
	employment: 'needs.category.employment',
	culture: 'needs.category.culture',
	environment: 'needs.category.environment',
	other: 'needs.category.other'
};
export const NEED_STATE_KEY: Record<string, PlainKey> = { open: 'needs.state.open', claimed: 'needs.state.claimed', done: 'needs.state.done' };
export const PROJECT_STATE_KEY: Record<string, PlainKey> = {
	in_progress: 'needs.project_state.in_progress',
	done: 'needs.project_state.done',
	cancelled: 'needs.project_state.cancelled'
};
export const DIRECTION_KEY: Record<string, PlainKey> = { claims_need: 'needs.direction.claims_need', claims_resource: 'needs.direction.claims_resource' };
export const NEED_ERROR_KEY: Record<string, PlainKey> = {
	forbidden: 'needs.error.forbidden',
	not_found: 'needs.error.not_found',
	client_id_reused: 'needs.error.client_id_reused',
	outside_area: 'needs.error.outside_area',
	already_claimed: 'needs.error.already_claimed',
	wrong_category: 'needs.error.wrong_category',
	finished: 'needs.error.finished',
	due_in_past: 'needs.error.due_in_past'
};
