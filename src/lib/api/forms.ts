// The forms the pages submit (sign-in, password change, the administrators' and auditor's pages),
// as schemas the endpoint layer parses before an action runs (src/lib/server/api/page.ts). They
// tidy rather than refuse: the actions answer a missing or wrong value in their own words.
import * as v from 'valibot';

/** Free text: control characters dropped (PostgreSQL text cannot hold NUL), cut at `max`. */
export function formText(max: number) {
	return v.pipe(
		v.optional(v.string(), ''),
		v.transform((s) => s.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, max))
	);
}

/** A password as typed (nothing dropped), bounded before it reaches the hash. */
export const formSecret = v.pipe(v.optional(v.string(), ''), v.maxLength(1024, 'at most 1024 characters'));

/** A text in a query string: trimmed and cut at `max`. */
export function queryText(max: number) {
	return v.pipe(
		v.optional(v.string(), ''),
		v.transform((s) => s.trim().slice(0, max))
	);
}

/** A page number in a query string: anything not a number reads as the first page. */
export const pageNumber = v.pipe(
	v.optional(v.string(), '1'),
	v.transform((s) => Number(s)),
	v.transform((n) => (Number.isFinite(n) ? n : 1))
);

export const loginForm = v.object({
	username: formText(64),
	password: v.pipe(
		v.optional(v.string(), ''),
		v.transform((s) => s.slice(0, 256))
	)
});

export const passwordForm = v.object({ current: formSecret, next: formSecret, confirm: formSecret });

/** Every field of the administrators' forms (each action reads those it needs). */
export const adminForm = v.object({
	id: formText(200),
	username: formText(200),
	displayName: formText(200),
	role: formText(200),
	areaCode: formText(200),
	name: formText(200),
	/** a big screen's auto-tour interval, seconds (empty: the default) */
	tourInterval: formText(10)
});

export const auditQuery = v.object({
	from: queryText(100),
	to: queryText(100),
	user: queryText(100),
	action: queryText(100),
	result: queryText(100),
	q: queryText(100),
	page: pageNumber
});
