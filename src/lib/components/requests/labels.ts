// The catalogue keys of the requests' names (issue 11 part 3), named literally so the catalogue
// test and TypeScript see each one. Unknown values fall back to the value itself.
import type { PlainKey } from '$lib/i18n';

export const CATEGORY_KEY: Record<string, PlainKey> = {
	environment: 'screen.request_category.environment',
	facilities: 'screen.request_category.facilities',
	safety: 'screen.request_category.safety',
	neighbours: 'screen.request_category.neighbours',
	welfare: 'screen.request_category.welfare',
	other: 'screen.request_category.other'
};
export const URGENCY_KEY: Record<string, PlainKey> = {
	normal: 'requests.urgency.normal',
	urgent: 'requests.urgency.urgent',
	critical: 'requests.urgency.critical'
};
export const STATE_KEY: Record<string, PlainKey> = {
	submitted: 'screen.request_status.submitted',
	accepted: 'screen.request_status.accepted',
	in_progress: 'screen.request_status.in_progress',
	resolved: 'screen.request_status.resolved',
	confirmed: 'requests.state.confirmed',
	reopened: 'screen.request_status.reopened'
};
export const LEVEL_KEY: Record<string, PlainKey> = { grid: 'requests.level.grid', community: 'requests.level.community', street: 'requests.level.street' };
export const ACTION_KEY: Record<string, PlainKey> = {
	submit: 'requests.action.submit',
	accept: 'requests.action.accept',
	start: 'requests.action.start',
	resolve: 'requests.action.resolve',
	confirm: 'requests.action.confirm',
	reopen: 'requests.action.reopen',
	escalate: 'requests.action.escalate',
	return: 'requests.action.return'
};
/** the API's refusal codes (the `message` of its error answers) */
export const ERROR_KEY: Record<string, PlainKey> = {
	forbidden: 'requests.error.forbidden',
	invalid_state: 'requests.error.invalid_state',
	reason_required: 'requests.error.reason_required',
	not_found: 'requests.error.not_found',
	no_place: 'requests.error.no_place',
	photo_not_image: 'requests.error.photo_not_image',
	photo_too_large: 'requests.error.photo_too_large',
	photo_corrupt: 'requests.error.photo_corrupt'
};

/** a label of `table` for `value` through `t`, or the value itself */
export function labelOf(t: (key: PlainKey) => string, table: Record<string, PlainKey>, value: string): string {
	const key = Object.hasOwn(table, value) ? table[value] : undefined;
	return key ? t(key) : value;
}
