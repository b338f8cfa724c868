// Needs, resources and two-way claiming (需求清单 · 资源清单 · 双向认领 · 项目清单, issue 11 part 4) as
// both sides see them: the inputs the API accepts and the answers it sends. The server's routes and
// the browser's /needs page import this file only.
import * as v from 'valibot';
import { agrees, count, jsonTime } from './contract.ts';
import { CLIENT_ID } from './visits.ts';

/** what a need asks for and a resource offers: a need is matched to resources of its own category */
export const NEED_CATEGORIES = ['elderly', 'children', 'health', 'legal', 'employment', 'culture', 'environment', 'other'] as const;
export type NeedCategory = (typeof NEED_CATEGORIES)[number];
export const NEED_STATES = ['open', 'claimed', 'done'] as const;
export type NeedState = (typeof NEED_STATES)[number];
export const PROJECT_STATES = ['in_progress', 'done', 'cancelled'] as const;
export type ProjectState = (typeof PROJECT_STATES)[number];
/** 资源认领需求 (an organisation or member claimed the need) · 需求认领资源 (a listed resource was taken for it) */
export const CLAIM_DIRECTIONS = ['claims_need', 'claims_resource'] as const;
export type ClaimDirection = (typeof CLAIM_DIRECTIONS)[number];

export const NEED_TITLE_MAX = 100;
export const NEED_TEXT_MAX = 1000;
/** the most rows of each list one answer holds (the answer says when there were more) */
export const NEED_LIST_MAX = 500;
/** how many resources the map draws next to each unmet need */
export const NEAREST_RESOURCES = 3;
/** resources further than this walk from a need are not offered for it, metres */
export const NEAREST_WALK_MAX_M = 2000;
/** the most unmet needs one matching answer walks from */
export const MATCH_NEEDS_MAX = 200;

const clientId = v.pipe(v.string(), v.regex(CLIENT_ID, 'must be 8–64 letters, digits, - or _'));
const title = v.pipe(
	v.string(),
	v.trim(),
	v.minLength(1, 'title: must not be empty'),
	v.maxLength(NEED_TITLE_MAX, `holds at most ${NEED_TITLE_MAX} characters`)
);
const text = v.pipe(v.string(), v.trim(), v.maxLength(NEED_TEXT_MAX, `holds at most ${NEED_TEXT_MAX} characters`));
const category = v.picklist(NEED_CATEGORIES, `must be one of ${NEED_CATEGORIES.join(', ')}`);
const id = (what: string) => v.pipe(v.number(`must be ${what}`), v.integer(`must be ${what}`), v.minValue(1, `must be ${what}`));
const point = v.tuple([
	v.pipe(v.number(), v.minValue(-180, 'lon: -180 to 180'), v.maxValue(180, 'lon: -180 to 180')),
	v.pipe(v.number(), v.minValue(-90, 'lat: -90 to 90'), v.maxValue(90, 'lat: -90 to 90'))
]);
/** a calendar day that exists */
const day = v.pipe(
	v.string(),
	v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day: YYYY-MM-DD'),
	v.check((s) => {
		const d = new Date(`${s}T00:00:00Z`);
		return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
	}, 'must be a real day: YYYY-MM-DD')
);

/** POST /api/needs: from a residents' request (its place and grid), or at a point */
export const newNeedInput = v.pipe(
	v.object({
		client_id: clientId,
		category,
		title,
		description: v.optional(v.nullable(text)),
		request_id: v.optional(v.nullable(id('a request id'))),
		point: v.optional(v.nullable(point))
	}),
	v.check((x) => (x.request_id != null) !== (x.point != null), 'give a request_id or a point, one of them')
);
export type NewNeedInput = v.InferOutput<typeof newNeedInput>;

/** POST /api/resources: offered by an organisation or a member, to an area; at their place unless a point is given */
export const newResourceInput = v.pipe(
	v.object({
		client_id: clientId,
		category,
		title,
		description: v.optional(v.nullable(text)),
		org_id: v.optional(v.nullable(id('an organisation id'))),
		member_id: v.optional(v.nullable(id('a member id'))),
		/** the area it is offered to (inside the caller's); absent: the caller's own area */
		area_code: v.optional(v.pipe(v.string(), v.regex(/^\d{6}(\d{3}){0,3}$/, 'must be an area code: 6, 9, 12 or 15 digits'))),
		point: v.optional(v.nullable(point))
	}),
	v.check((x) => (x.org_id != null) !== (x.member_id != null), 'give an org_id or a member_id, one of them')
);
export type NewResourceInput = v.InferOutput<typeof newResourceInput>;

/**
 * POST /api/needs/[id]/claim: a listed resource taken for the need (需求认领资源), or an organisation
 * or member claiming it (资源认领需求). Either way a project with a due date.
 */
export const claimInput = v.pipe(
	v.object({
		resource_id: v.optional(v.nullable(id('a resource id'))),
		org_id: v.optional(v.nullable(id('an organisation id'))),
		member_id: v.optional(v.nullable(id('a member id'))),
		due_on: day
	}),
	v.check((x) => [x.resource_id, x.org_id, x.member_id].filter((y) => y != null).length === 1, 'give one of resource_id, org_id, member_id')
);
export type ClaimInput = v.InferOutput<typeof claimInput>;

/** PATCH /api/projects/[id]: finish it with a result, or cancel it (the need is open again) */
export const finishProjectInput = v.pipe(
	v.object({
		state: v.picklist(['done', 'cancelled'], 'must be done or cancelled'),
		result: v.optional(v.nullable(text))
	}),
	v.check((x) => x.state !== 'done' || !!x.result?.trim(), 'result: a finished project says what came of it')
);
export type FinishProjectInput = v.InferOutput<typeof finishProjectInput>;

/** Who offers a resource or owns a project: an organisation, or a member (named as the viewer may see names). */
export interface Offerer {
	kind: 'org' | 'member';
	id: number;
	name: string;
}

export interface NeedRow {
	id: number;
	grid_code: string;
	request_id: number | null;
	lon: number;
	lat: number;
	category: NeedCategory;
	title: string;
	description: string | null;
	state: NeedState;
	created_at: string;
}

export interface ResourceRow {
	id: number;
	area_code: string;
	lon: number;
	lat: number;
	category: NeedCategory;
	title: string;
	description: string | null;
	offered_by: Offerer;
	active: boolean;
}

export interface ProjectRow {
	id: number;
	need_id: number;
	need_title: string;
	category: NeedCategory;
	grid_code: string;
	resource_id: number | null;
	direction: ClaimDirection;
	owner: Offerer | null;
	due_on: string;
	state: ProjectState;
	result: string | null;
	overdue: boolean;
	created_at: string;
	finished_at: string | null;
}

/** GET /api/needs and /api/needs/matches: `area`, a code inside the caller's, narrows the lists to it */
export const needListQuery = v.object({
	area: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(/^\d{6}(\d{3}){0,3}$/, 'must be an area code: 6, 9, 12 or 15 digits'))]))
});

/** GET /api/needs: the three lists of the caller's area */
export interface NeedLists {
	needs: NeedRow[];
	resources: ResourceRow[];
	projects: ProjectRow[];
	/** a list that stopped at NEED_LIST_MAX rows says so */
	truncated: { needs: boolean; resources: boolean; projects: boolean };
}

/** A resource next to an unmet need, by walking distance on the road network. */
export interface NearResource {
	resource_id: number;
	title: string;
	lon: number;
	lat: number;
	walk_m: number;
}

export interface NeedMatch {
	need_id: number;
	title: string;
	category: NeedCategory;
	lon: number;
	lat: number;
	nearest: NearResource[];
}

/** GET /api/needs/matches */
export interface NeedMatches {
	matches: NeedMatch[];
	/** unmet needs beyond MATCH_NEEDS_MAX were not walked from */
	truncated: boolean;
	walk_max_m: number;
}

export type NeedRefusal = 'forbidden' | 'not_found' | 'client_id_reused' | 'outside_area' | 'already_claimed' | 'wrong_category' | 'finished' | 'due_in_past';

// ---- the answers' contract (contract.ts) ----

const offerer = agrees<Offerer>()(v.object({ kind: v.picklist(['org', 'member']), id: count, name: v.string() }));
const needRow = agrees<NeedRow>()(
	v.object({
		id: count,
		grid_code: v.string(),
		request_id: v.nullable(count),
		lon: v.number(),
		lat: v.number(),
		category: v.picklist(NEED_CATEGORIES),
		title: v.string(),
		description: v.nullable(v.string()),
		state: v.picklist(NEED_STATES),
		created_at: jsonTime
	})
);
const resourceRow = agrees<ResourceRow>()(
	v.object({
		id: count,
		area_code: v.string(),
		lon: v.number(),
		lat: v.number(),
		category: v.picklist(NEED_CATEGORIES),
		title: v.string(),
		description: v.nullable(v.string()),
		offered_by: offerer,
		active: v.boolean()
	})
);
const projectRow = agrees<ProjectRow>()(
	v.object({
		id: count,
		need_id: count,
		need_title: v.string(),
		category: v.picklist(NEED_CATEGORIES),
		grid_code: v.string(),
		resource_id: v.nullable(count),
		direction: v.picklist(CLAIM_DIRECTIONS),
		owner: v.nullable(offerer),
		due_on: v.string(),
		state: v.picklist(PROJECT_STATES),
		result: v.nullable(v.string()),
		overdue: v.boolean(),
		created_at: jsonTime,
		finished_at: v.nullable(jsonTime)
	})
);
export const needListsAnswer = agrees<NeedLists>()(
	v.object({
		needs: v.array(needRow),
		resources: v.array(resourceRow),
		projects: v.array(projectRow),
		truncated: v.object({ needs: v.boolean(), resources: v.boolean(), projects: v.boolean() })
	})
);
export const needSavedAnswer = v.object({ need: needRow, created: v.boolean() });
export const resourceSavedAnswer = v.object({ resource: resourceRow, created: v.boolean() });
export const projectAnswer = v.object({ project: projectRow });
const nearResource = agrees<NearResource>()(v.object({ resource_id: count, title: v.string(), lon: v.number(), lat: v.number(), walk_m: v.number() }));
export const needMatchesAnswer = agrees<NeedMatches>()(
	v.object({
		matches: v.array(
			agrees<NeedMatch>()(
				v.object({ need_id: count, title: v.string(), category: v.picklist(NEED_CATEGORIES), lon: v.number(), lat: v.number(), nearest: v.array(nearResource) })
			)
		),
		truncated: v.boolean(),
		walk_max_m: v.number()
	})
);
