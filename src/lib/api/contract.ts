// The contract of an answer: a valibot schema beside the TypeScript type it describes. The server
// sends only what the schema holds (src/lib/server/api/reply.ts: an allow-list, so a field added by
// a query by mistake never leaves), and the browser checks every answer against the same schema
// before it uses it (client.ts). `agrees` makes the compiler refuse a schema that drifted from its type.
import * as v from 'valibot';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any answer schema: the one place they are held generically
export type AnswerSchema = v.GenericSchema<any, any>;

/** true when A and B are assignable both ways (the schema's output and the type it stands for) */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compile-time: `agrees<Type>()(schema)` fails to type-check unless the schema's output is the type.
 * Returns the schema, so a module writes `export const x = agrees<X>()(v.object({…}))`.
 */
export function agrees<T>() {
	return <S extends AnswerSchema>(schema: S & (Same<v.InferOutput<S>, T> extends true ? unknown : { 'schema and type differ': v.InferOutput<S> })): S => schema;
}

/** a count: a whole number, never a string a driver left unparsed */
export const count = v.pipe(v.number(), v.integer(), v.minValue(0));
/** a count a viewer who sees no persons may have withheld */
export const shownCount = v.nullable(count);
export const nullableNumber = v.nullable(v.number());
export const bbox = v.tuple([v.number(), v.number(), v.number(), v.number()]);
/** which counts of a row were withheld as small cells (src/lib/api/withheld.ts) */
export const suppressed = v.optional(v.array(v.string()));
/** a text in each language the UI speaks */
export const localized = v.object({ 'zh-CN': v.string(), en: v.string() });
/** an ISO 8601 time */
export const isoTime = v.pipe(v.string(), v.isoTimestamp());

/** where in an answer the first issue lies, and what it is: `rows.3.households: Invalid type: …` */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
	const issue = issues[0];
	const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
	return `${path || '(the answer)'}: ${issue.message}`;
}

/** a time as JSON carries it: a Date on the server becomes its ISO 8601 text (what JSON.stringify would make) */
export const jsonTime = v.pipe(
	v.union([v.date(), v.string()]),
	v.transform((t) => (t instanceof Date ? t.toISOString() : t))
);
