// A JSON answer through its contract (src/lib/api/contract.ts): the body is parsed by the answer's
// schema and what the schema holds is sent — nothing else. A field a query adds by mistake (a
// phone number in a count-only answer) is dropped, not leaked; a body that breaks the contract
// (a count the driver left as a string, a missing field) is a 500 naming the field, and the
// client never sees an answer its checks would refuse.
import { error, json } from '@sveltejs/kit';
import * as v from 'valibot';
import { describeIssues, type AnswerSchema } from '../../api/contract.ts';

export function reply<S extends AnswerSchema>(schema: S, body: v.InferInput<S>, init?: ResponseInit): Response {
	const result = v.safeParse(schema, body);
	if (!result.success) {
		const message = `the answer broke its contract at ${describeIssues(result.issues)}`;
		console.error(`[contract] ${message}`);
		error(500, message);
	}
	return json(result.output, init);
}

/** One line of a newline-delimited answer (an import's progress and result), through its contract. */
export function replyLine<S extends AnswerSchema>(schema: S, line: v.InferInput<S>): string {
	const result = v.safeParse(schema, line);
	if (!result.success) {
		const message = `a line of the answer broke its contract at ${describeIssues(result.issues)}`;
		console.error(`[contract] ${message}`);
		throw new Error(message);
	}
	return `${JSON.stringify(result.output)}\n`;
}
