// The browser's way to ask the server: every answer is checked against its contract (contract.ts)
// before a component touches it, so a drifted field fails here, by name, and not three components
// later as `undefined`. Failures are typed: ApiError carries the status and the server's message
// (and Retry-After when the server asked to come back), ContractError names the field.
import * as v from 'valibot';
import { describeIssues, type AnswerSchema } from './contract.ts';

export class ApiError extends Error {
	readonly status: number;
	/** seconds the server asked to wait before asking again (503 while results are computed) */
	readonly retryAfter: number | null;
	constructor(status: number, message: string, retryAfter: number | null) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.retryAfter = retryAfter;
	}
}

export class ContractError extends Error {
	readonly url: string;
	readonly issue: string;
	constructor(url: string, issue: string) {
		super(`the answer of ${url} broke its contract at ${issue}`);
		this.name = 'ContractError';
		this.url = url;
		this.issue = issue;
	}
}

/** the answer checked against its schema; a breach is logged (tests watch the console) and thrown */
export function checkAnswer<S extends AnswerSchema>(url: string, schema: S, body: unknown): v.InferOutput<S> {
	const result = v.safeParse(schema, body);
	if (result.success) return result.output;
	const e = new ContractError(url, describeIssues(result.issues));
	console.error(e.message);
	throw e;
}

async function failure(r: Response): Promise<ApiError> {
	const body: unknown = await r.json().catch(() => null);
	const message = body && typeof body === 'object' && 'message' in body && typeof body.message === 'string' ? body.message : `HTTP ${r.status}`;
	const retry = r.headers.get('retry-after');
	return new ApiError(r.status, message, retry === null ? null : Number(retry) || 5);
}

/** A request whose JSON answer must satisfy `schema`; anything but 2xx throws ApiError. */
export async function fetchJson<S extends AnswerSchema>(url: string, schema: S, init?: RequestInit): Promise<v.InferOutput<S>> {
	const r = await fetch(url, init);
	if (!r.ok) throw await failure(r);
	return checkAnswer(url, schema, await r.json());
}

/** POST a JSON body; the answer as fetchJson checks it. */
export function postJson<S extends AnswerSchema>(url: string, body: unknown, schema: S, init: RequestInit = {}): Promise<v.InferOutput<S>> {
	return fetchJson(url, schema, { ...init, method: 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: JSON.stringify(body) });
}

/** A newline-delimited JSON answer (an import's progress, then its result), each line checked as it arrives. */
export async function* fetchLines<S extends AnswerSchema>(url: string, schema: S, init?: RequestInit): AsyncGenerator<v.InferOutput<S>> {
	const r = await fetch(url, init);
	if (!r.ok || !r.body) throw await failure(r);
	const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
	let buffered = '';
	for (;;) {
		const { value, done } = await reader.read();
		if (value) buffered += value;
		const lines = buffered.split('\n');
		buffered = done ? '' : lines.pop()!;
		for (const line of lines) if (line.trim()) yield checkAnswer(url, schema, JSON.parse(line));
		if (done) return;
	}
}
