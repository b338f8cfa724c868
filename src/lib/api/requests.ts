// Residents' requests (群众诉求, issue 11 part 3) as both sides see them: the inputs the API
// accepts and the answers it sends. The server's routes and the browser's pages import this file
// only (the state machine itself lives in src/lib/server/requests/machine.ts; its names are
// repeated here because browser code may not import the server's modules).
import * as v from 'valibot';
import { agrees, count, jsonTime } from './contract.ts';
import { CLIENT_ID } from './visits.ts';
import { AREA_CODE } from './inputs.ts';

export const REQUEST_CATEGORIES = ['environment', 'facilities', 'safety', 'neighbours', 'welfare', 'other'] as const;
export type RequestCategory = (typeof REQUEST_CATEGORIES)[number];
export const REQUEST_URGENCIES = ['normal', 'urgent', 'critical'] as const;
export type RequestUrgency = (typeof REQUEST_URGENCIES)[number];
export const REQUEST_STATE_NAMES = ['submitted', 'accepted', 'in_progress', 'resolved', 'confirmed', 'reopened'] as const;
export const REQUEST_LEVEL_NAMES = ['grid', 'community', 'street'] as const;
export const REQUEST_ACTION_NAMES = ['accept', 'start', 'resolve', 'confirm', 'reopen', 'escalate', 'return'] as const;
export type RequestActionName = (typeof REQUEST_ACTION_NAMES)[number];
/** actions that need a reason (an instruction, for return) */
export const REASONED_ACTIONS: readonly RequestActionName[] = ['reopen', 'escalate', 'return'];

/** the longest description and reason kept (sql/016 checks it too) */
export const REQUEST_TEXT_MAX = 1000;
/** the largest photo accepted, bytes (the server's photo.ts checks the same) */
export const REQUEST_PHOTO_MAX = 1024 * 1024;
/** the longest side of a photo after the device resized it, pixels */
export const REQUEST_PHOTO_SIDE = 1600;
/** the most rows one list page holds */
export const REQUEST_PAGE_MAX = 100;

const text = (what: string) =>
	v.pipe(v.string(), v.trim(), v.minLength(1, `${what}: must not be empty`), v.maxLength(REQUEST_TEXT_MAX, `holds at most ${REQUEST_TEXT_MAX} characters`));

/** POST /api/requests: from a household, or from a point [lon, lat] */
export const newRequestInput = v.pipe(
	v.object({
		client_id: v.pipe(v.string(), v.regex(CLIENT_ID, 'must be 8–64 letters, digits, - or _')),
		category: v.picklist(REQUEST_CATEGORIES, `must be one of ${REQUEST_CATEGORIES.join(', ')}`),
		urgency: v.picklist(REQUEST_URGENCIES, `must be one of ${REQUEST_URGENCIES.join(', ')}`),
		description: text('description'),
		household_id: v.optional(
			v.nullable(v.pipe(v.number('must be a household id'), v.integer('must be a household id'), v.minValue(1, 'must be a household id')))
		),
		point: v.optional(
			v.nullable(
				v.tuple([
					v.pipe(v.number(), v.minValue(-180, 'lon: -180 to 180'), v.maxValue(180, 'lon: -180 to 180')),
					v.pipe(v.number(), v.minValue(-90, 'lat: -90 to 90'), v.maxValue(90, 'lat: -90 to 90'))
				])
			)
		)
	}),
	v.check((x) => (x.household_id != null) !== (x.point != null), 'give a household_id or a point, one of them')
);
export type NewRequestInput = v.InferOutput<typeof newRequestInput>;

/** POST /api/requests/[id]/actions */
export const requestActionInput = v.object({
	action: v.picklist(REQUEST_ACTION_NAMES, `must be one of ${REQUEST_ACTION_NAMES.join(', ')}`),
	reason: v.optional(v.nullable(v.pipe(v.string(), v.trim(), v.maxLength(REQUEST_TEXT_MAX, `holds at most ${REQUEST_TEXT_MAX} characters`))))
});

const flag = v.optional(v.picklist(['', '0', '1', 'true', 'false']));
/** GET /api/requests?state=&overdue=1&area=&offset=&limit= */
export const requestListQuery = v.object({
	state: v.optional(v.picklist([...REQUEST_STATE_NAMES, 'open', ''], `must be open or one of ${REQUEST_STATE_NAMES.join(', ')}`)),
	overdue: flag,
	/** a grid, community or street code inside the caller's area: only its requests */
	area: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(AREA_CODE, 'must be an area code: 6, 9, 12 or 15 digits'))])),
	offset: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}$/, 'must be 0 to 999999'), v.transform(Number))),
	limit: v.optional(
		v.pipe(
			v.string(),
			v.regex(/^\d{1,3}$/, `must be 1 to ${REQUEST_PAGE_MAX}`),
			v.transform(Number),
			v.minValue(1, `must be 1 to ${REQUEST_PAGE_MAX}`),
			v.maxValue(REQUEST_PAGE_MAX, `must be 1 to ${REQUEST_PAGE_MAX}`)
		)
	)
});

export type OverdueMark = 'none' | 'amber' | 'red';

export interface RequestItem {
	id: number;
	client_id: string;
	grid_code: string;
	household_id: number | null;
	lon: number;
	lat: number;
	category: string;
	urgency: string;
	description: string;
	state: string;
	level: string;
	instruction: string | null;
	has_photo: boolean;
	created_at: string;
	overdue: OverdueMark;
}

export interface RequestEventItem {
	at: string;
	username: string | null;
	role: string | null;
	action: string;
	from_state: string | null;
	to_state: string;
	from_level: string | null;
	to_level: string;
	reason: string | null;
}

export interface RequestDetail {
	request: RequestItem;
	events: RequestEventItem[];
	/** the actions the caller may take now (the server decides again when one is sent) */
	actions: RequestActionName[];
}

export interface RequestList {
	requests: RequestItem[];
	offset: number;
	limit: number;
	/** another page follows */
	more: boolean;
}

/** Refusals the API names (pages show them translated: `requests.error.<code>`) */
export type RequestRefusal =
	'forbidden' | 'invalid_state' | 'reason_required' | 'not_found' | 'no_place' | 'photo_not_image' | 'photo_too_large' | 'photo_corrupt';

// ---- the answers' contract (contract.ts) ----

const requestItem = agrees<RequestItem>()(
	v.object({
		id: count,
		client_id: v.string(),
		grid_code: v.string(),
		household_id: v.nullable(count),
		lon: v.number(),
		lat: v.number(),
		category: v.string(),
		urgency: v.string(),
		description: v.string(),
		state: v.string(),
		level: v.string(),
		instruction: v.nullable(v.string()),
		has_photo: v.boolean(),
		created_at: jsonTime,
		overdue: v.picklist(['none', 'amber', 'red'])
	})
);
const requestEventItem = agrees<RequestEventItem>()(
	v.object({
		at: jsonTime,
		username: v.nullable(v.string()),
		role: v.nullable(v.string()),
		action: v.string(),
		from_state: v.nullable(v.string()),
		to_state: v.string(),
		from_level: v.nullable(v.string()),
		to_level: v.string(),
		reason: v.nullable(v.string())
	})
);
/** GET /api/requests/[id], and the answer of an action */
export const requestDetailAnswer = agrees<RequestDetail>()(
	v.object({ request: requestItem, events: v.array(requestEventItem), actions: v.array(v.picklist(REQUEST_ACTION_NAMES)) })
);
/** GET /api/requests */
export const requestListAnswer = agrees<RequestList>()(v.object({ requests: v.array(requestItem), offset: count, limit: count, more: v.boolean() }));
/** POST /api/requests: the request's id, and whether this call made it (false: a retry found the first one) */
export const requestCreatedAnswer = v.object({ id: count, created: v.boolean() });
/** POST /api/requests/[id]/photo */
export const requestPhotoAnswer = v.object({ id: count, has_photo: v.literal(true), bytes: count, type: v.picklist(['image/jpeg', 'image/png']) });
