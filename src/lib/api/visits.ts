// Visits (走访, issue 11 part 2) as both sides see them: the inputs the API accepts (the server
// parses with these schemas, the form builds its requests from the same rules) and the rows it
// answers with. The browser's VisitForm and the server's routes import this file only.
import * as v from 'valibot';
import { agrees, count, jsonTime } from './contract.ts';

export const VISIT_KINDS = ['routine', 'help', 'follow_up', 'event'] as const;
export type VisitKind = (typeof VISIT_KINDS)[number];

/** the longest note kept (sql/015 checks it too) */
export const VISIT_NOTE_MAX = 500;
/** how long the visitor may still edit their own visit, hours */
export const VISIT_EDIT_HOURS = 24;
/** a client id: a UUID, or the device's fallback where crypto.randomUUID is missing (plain http) */
export const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** a calendar day that exists (2026-02-30 does not) */
const realDay = (s: string) => {
	const d = new Date(`${s}T00:00:00Z`);
	return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};
const day = v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day: YYYY-MM-DD'), v.check(realDay, 'must be a real day: YYYY-MM-DD'));
const note = v.pipe(v.string(), v.maxLength(VISIT_NOTE_MAX, `holds at most ${VISIT_NOTE_MAX} characters`));
const householdId = v.pipe(v.number('must be a household id'), v.integer('must be a household id'), v.minValue(1, 'must be a household id'));

/** POST /api/visits */
export const newVisitInput = v.object({
	client_id: v.pipe(v.string(), v.regex(CLIENT_ID, 'must be 8–64 letters, digits, - or _')),
	household_id: householdId,
	kind: v.picklist(VISIT_KINDS, `must be one of ${VISIT_KINDS.join(', ')}`),
	/** absent: today (the server's day) */
	visited_on: v.optional(day),
	note: v.optional(v.nullable(note)),
	/** a follow-up is due on this day (not before the visit) */
	follow_up_on: v.optional(v.nullable(day))
});
export type NewVisitInput = v.InferOutput<typeof newVisitInput>;

/** PATCH /api/visits/[id]: the fields to change (absent: unchanged; null clears the note or the follow-up) */
export const visitEditInput = v.object({
	kind: v.optional(v.picklist(VISIT_KINDS, `must be one of ${VISIT_KINDS.join(', ')}`)),
	visited_on: v.optional(day),
	note: v.optional(v.nullable(note)),
	follow_up_on: v.optional(v.nullable(day))
});
export type VisitEditInput = v.InferOutput<typeof visitEditInput>;

/** GET /api/visits?household=… */
export const visitListQuery = v.object({
	household: v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'must be an id: 1 to 15 digits'), v.transform(Number))
});

export interface VisitRow {
	id: number;
	client_id: string;
	household_id: number;
	grid_code: string;
	visitor_id: number | null;
	visitor_name: string | null;
	kind: VisitKind;
	/** YYYY-MM-DD */
	visited_on: string;
	note: string | null;
	/** YYYY-MM-DD */
	follow_up_on: string | null;
	created_at: string;
	updated_at: string;
	/** the caller may still edit it (their own, less than VISIT_EDIT_HOURS old) */
	editable: boolean;
}

/** POST's answer: the visit, and whether this call made it (false: a retry found the first one) */
export interface VisitSaved {
	visit: VisitRow;
	created: boolean;
}

/** the last visit of a household (the grid page's list) */
export interface LastVisit {
	household_id: number;
	visit_id: number;
	kind: VisitKind;
	visited_on: string;
	follow_up_on: string | null;
	visits: number;
}

// ---- the answers' contract (contract.ts) ----

const visitRow = agrees<VisitRow>()(
	v.object({
		id: count,
		client_id: v.string(),
		household_id: count,
		grid_code: v.string(),
		visitor_id: v.nullable(count),
		visitor_name: v.nullable(v.string()),
		kind: v.picklist(VISIT_KINDS),
		visited_on: v.string(),
		note: v.nullable(v.string()),
		follow_up_on: v.nullable(v.string()),
		created_at: jsonTime,
		updated_at: jsonTime,
		editable: v.boolean()
	})
);
/** POST /api/visits */
export const visitSavedAnswer = agrees<VisitSaved>()(v.object({ visit: visitRow, created: v.boolean() }));
/** PATCH /api/visits/[id] */
export const visitEditedAnswer = v.object({ visit: visitRow });
/** GET /api/visits?household=… */
export const visitListAnswer = v.object({ household_id: count, visits: v.array(visitRow) });

/** Refusals the API names (the form shows them translated: `visit.error.<code>`) */
export type VisitRefusal = 'forbidden' | 'not_found' | 'not_yours' | 'too_old' | 'future_day' | 'follow_up_before' | 'client_id_reused';

/**
 * A client id without crypto.randomUUID (missing outside secure contexts: plain-http intranets):
 * the time in base 36 and random digits from crypto.getRandomValues (available on plain http), or
 * Math.random where even that is missing. Unique enough for one device's submissions; the server
 * only needs it to tell a retry from a new visit.
 */
export function newClientId(): string {
	const c = (globalThis as { crypto?: Crypto }).crypto;
	if (c && typeof c.randomUUID === 'function') {
		try {
			return c.randomUUID();
		} catch {
			// an insecure context that has the function but refuses: fall through
		}
	}
	const bytes = new Uint8Array(16);
	if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
	else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
	const rand = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
	return `v-${Date.now().toString(36)}-${rand}`;
}

/** Today on the device, as YYYY-MM-DD (the local calendar day, not UTC's). */
export function localDay(d = new Date()): string {
	const p = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
