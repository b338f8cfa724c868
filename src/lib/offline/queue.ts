// The outbox's rules without its storage (issue 11 part 5): what a submission waiting on the
// device looks like, what an answer means for it, when it goes again. outbox.ts keeps the items in
// IndexedDB and runs these rules in the browser; tests/unit/outbox-queue.test.ts runs them in Node
// against the in-memory store below. Generic: any JSON POST with a client id (visits today,
// residents' requests later) is an item {url, body, clientId}.

/** one submission on the device until the server confirms it */
export interface OutboxItem {
	/** the client id the body carries: the server answers a retry with the first record */
	clientId: string;
	url: string;
	body: unknown;
	/** what the page shows while it waits (e.g. "日常走访 · 3-201") */
	label: string;
	/** a grouping key for the page (e.g. "visit:42": the household's card) */
	topic: string;
	/** pending: goes again by itself; refused: the server said no (4xx), kept with its reason until dismissed */
	state: 'pending' | 'refused';
	attempts: number;
	/** ms since the epoch: not sent again before this */
	nextAt: number;
	createdAt: number;
	/** the server's reason for a refusal, or the last network failure */
	reason: string | null;
	/**
	 * a file sent after the body is confirmed, as the raw body of `url` with `{id}` replaced by the
	 * answer's id (a request's photo); a failed upload sends both again — the body's retry answers
	 * the first record, and the upload replaces what an earlier one may have stored
	 */
	attachment?: Attachment;
}

export interface Attachment {
	url: string;
	type: string;
	/** the bytes, base64 (the store keeps plain JSON) */
	base64: string;
}

/** where the items live: IndexedDB in the browser, a Map in tests */
export interface OutboxStore {
	all(): Promise<OutboxItem[]>;
	put(item: OutboxItem): Promise<void>;
	delete(clientId: string): Promise<void>;
}

/** what one attempt came back with: an HTTP status and the server's message, or no answer at all */
export type Attempt = { status: number; message: string | null } | { status: null; message: string };

export type Outcome = 'confirmed' | 'refused' | 'retry';

/**
 * 2xx: the server has it (201 made, 200 a retry found the first); 4xx: refused, going again would
 * not help — except 408 (timeout) and 429 (slow down); 5xx and no answer: try again later.
 * 401 (signed out) is a retry: the item waits for the account to sign in again.
 */
export function outcome(a: Attempt): Outcome {
	if (a.status === null) return 'retry';
	if (a.status >= 200 && a.status < 300) return 'confirmed';
	if (a.status === 401 || a.status === 408 || a.status === 429) return 'retry';
	if (a.status >= 400 && a.status < 500) return 'refused';
	return 'retry';
}

/** the wait before attempt n+1 after n failures: 2 s, 4 s, 8 s … up to 5 minutes */
export function backoff(attempts: number): number {
	return Math.min(2000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
}

export function newItem(p: { clientId: string; url: string; body: unknown; label: string; topic: string; attachment?: Attachment }, now: number): OutboxItem {
	return { ...p, state: 'pending', attempts: 0, nextAt: now, createdAt: now, reason: null };
}

/** the items due now (pending, their wait over), oldest first */
export function due(items: OutboxItem[], now: number): OutboxItem[] {
	return items.filter((i) => i.state === 'pending' && i.nextAt <= now).sort((a, b) => a.createdAt - b.createdAt);
}

/** when the next pending item is due (null: nothing pending) */
export function nextWake(items: OutboxItem[]): number | null {
	const pending = items.filter((i) => i.state === 'pending');
	return pending.length ? Math.min(...pending.map((i) => i.nextAt)) : null;
}

/**
 * Sends every item due, one at a time (oldest first), and records each outcome in the store:
 * confirmed items leave it, refused ones stay with the reason, the rest wait their backoff.
 * `force` sends pending items whose wait is not over (the network came back, the page came back).
 * Answers the confirmed items.
 */
/** records what one attempt at `item` came back with; answers its outcome */
export async function settle(store: OutboxStore, item: OutboxItem, a: Attempt, now: number): Promise<Outcome> {
	const o = outcome(a);
	const attempts = item.attempts + 1;
	if (o === 'confirmed') await store.delete(item.clientId);
	else if (o === 'refused') await store.put({ ...item, state: 'refused', attempts, reason: a.message ?? `HTTP ${a.status}` });
	else await store.put({ ...item, attempts, nextAt: now + backoff(attempts), reason: a.message ?? `HTTP ${a.status}` });
	return o;
}

/**
 * Sends every item due, one at a time (oldest first), and records each outcome in the store:
 * confirmed items leave it, refused ones stay with the reason, the rest wait their backoff.
 * `force` sends pending items whose wait is not over (the network came back, the page came back).
 * Answers the confirmed items.
 */
export async function flush(store: OutboxStore, send: (item: OutboxItem) => Promise<Attempt>, now: () => number, force = false): Promise<OutboxItem[]> {
	const items = await store.all();
	const todo = due(items, force ? Infinity : now());
	const confirmed: OutboxItem[] = [];
	for (const item of todo) {
		const a = await send(item);
		const o = await settle(store, item, a, now());
		if (o === 'confirmed') confirmed.push(item);
		// no answer: the network is down, the rest would fail the same way
		if (o === 'retry' && a.status === null) break;
	}
	return confirmed;
}

/** an OutboxStore in memory (tests; and a browser without IndexedDB, where nothing survives a reload) */
export function memoryStore(): OutboxStore {
	const m = new Map<string, OutboxItem>();
	return {
		all: async () => [...m.values()].map((i) => ({ ...i })),
		put: async (item) => void m.set(item.clientId, { ...item }),
		delete: async (id) => void m.delete(id)
	};
}
