// The device's outbox (issue 11 part 5): what a grid leader typed and submitted stays on the phone
// until the server confirms it. Drafts (a form while it is being filled in) and pending
// submissions live in IndexedDB, in a database of the signed-in account's own (another account on
// the same phone opens another database and never sees them). A submission is a JSON POST with a
// client id in its body, so sending it again never makes a second record; it goes again by itself
// when the network comes back (the online event), when the page is shown again (visibilitychange)
// and on a backoff timer, until a 2xx. A 4xx stops it: it stays, with the server's reason, until
// the user dismisses it. IndexedDB works over plain http too (service workers do not).
//
// The rules (what an answer means, the backoff) are in queue.ts, tested without a browser.
import { getContext, setContext } from 'svelte';
import { browser } from '$app/environment';
import * as v from 'valibot';
import { ApiError, postJson } from '$lib/api/client';
import { flush, memoryStore, newItem, nextWake, settle, type Attachment, type Attempt, type OutboxItem, type OutboxStore, type Outcome } from './queue.ts';

export type { Attachment, OutboxItem } from './queue.ts';

const OUTBOX = 'outbox';
const DRAFTS = 'drafts';

/** the account's own database: its name carries the account id */
export const dbName = (account: number) => `jiceng-offline-${account}`;

function request<T>(r: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		r.onsuccess = () => resolve(r.result);
		r.onerror = () => reject(r.error);
	});
}

function openDb(account: number): Promise<IDBDatabase> {
	const r = indexedDB.open(dbName(account), 1);
	r.onupgradeneeded = () => {
		r.result.createObjectStore(OUTBOX, { keyPath: 'clientId' });
		r.result.createObjectStore(DRAFTS);
	};
	return request(r);
}

/** an object store of the account's database, in a transaction of its own */
async function store(db: Promise<IDBDatabase>, name: string, mode: IDBTransactionMode): Promise<IDBObjectStore> {
	return (await db).transaction(name, mode).objectStore(name);
}

function idbStore(db: Promise<IDBDatabase>): OutboxStore {
	return {
		all: async () => request((await store(db, OUTBOX, 'readonly')).getAll() as IDBRequest<OutboxItem[]>),
		put: async (item) => void (await request((await store(db, OUTBOX, 'readwrite')).put(plain(item)))),
		delete: async (id) => void (await request((await store(db, OUTBOX, 'readwrite')).delete(id)))
	};
}

/** a plain copy (IndexedDB's structured clone refuses proxies) */
function plain<T>(x: T): T {
	return JSON.parse(JSON.stringify(x)) as T;
}

/** what a submission's first attempt came to: the server's answer when it has one */
export interface Submitted {
	outcome: Outcome;
	status: number | null;
	message: string | null;
	body: unknown;
}

type Listener = (items: OutboxItem[]) => void;

/** Sends an attachment as the raw body of its url; a refusal or failure throws ApiError like postJson. */
async function upload(a: Attachment, id: number): Promise<void> {
	const bytes = Uint8Array.from(atob(a.base64), (c) => c.charCodeAt(0));
	const r = await fetch(a.url.replace('{id}', String(id)), { method: 'POST', body: bytes, headers: { 'content-type': a.type } });
	if (!r.ok) {
		const body = (await r.json().catch(() => ({}))) as { message?: string };
		throw new ApiError(r.status, body.message ?? `HTTP ${r.status}`, Number(r.headers.get('retry-after')) || null);
	}
}

/** A blob as base64 (an attachment kept in the outbox). */
export async function toBase64(blob: Blob): Promise<string> {
	const bytes = new Uint8Array(await blob.arrayBuffer());
	let s = '';
	for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(s);
}

export class Outbox {
	readonly #store: OutboxStore;
	readonly #db: Promise<IDBDatabase> | null;
	readonly #drafts = new Map<string, unknown>();
	#items: OutboxItem[] = [];
	readonly #listeners = new Set<Listener>();
	readonly #confirmed = new Set<(item: OutboxItem) => void>();
	#timer: ReturnType<typeof setTimeout> | null = null;
	#running: Promise<void> | null = null;
	#again = false;
	#started = 0;

	readonly account: number | null;

	constructor(account: number | null) {
		this.account = account;
		this.#db = account !== null && typeof indexedDB !== 'undefined' ? openDb(account) : null;
		// a database that will not open (private mode on some phones): the outbox still works for this page
		this.#db?.catch(() => undefined);
		this.#store = this.#db ? idbStore(this.#db) : memoryStore();
		void this.#refresh();
	}

	/** Svelte's store contract: `$outbox` is the items on the device */
	subscribe(fn: Listener): () => void {
		this.#listeners.add(fn);
		fn(this.#items);
		return () => this.#listeners.delete(fn);
	}

	/** called with each item the server confirms (after the first attempt) */
	onconfirmed(fn: (item: OutboxItem) => void): () => void {
		this.#confirmed.add(fn);
		return () => this.#confirmed.delete(fn);
	}

	async #refresh(): Promise<void> {
		try {
			this.#items = (await this.#store.all()).sort((a, b) => a.createdAt - b.createdAt);
		} catch {
			return;
		}
		for (const fn of this.#listeners) fn(this.#items);
		this.#schedule();
	}

	#schedule(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		const wake = nextWake(this.#items);
		if (wake === null || !this.#started) return;
		this.#timer = setTimeout(() => void this.retry(), Math.max(0, wake - Date.now()) + 50);
	}

	async #send(item: OutboxItem): Promise<Attempt & { body: unknown }> {
		try {
			const body = await postJson(item.url, item.body, v.unknown());
			if (item.attachment) {
				const id = (body as { id?: unknown } | null)?.id;
				if (typeof id !== 'number') return { status: 500, message: 'the answer names no record for the attachment', body: null };
				await upload(item.attachment, id);
			}
			return { status: 200, message: null, body };
		} catch (e) {
			if (e instanceof ApiError) return { status: e.status, message: e.message, body: null };
			return { status: null, message: e instanceof Error ? e.message : String(e), body: null };
		}
	}

	/**
	 * Keeps a submission on the device and makes its first attempt. Whatever that answers, the item
	 * stays until a 2xx (or a 4xx, which it keeps with the reason until dismissed).
	 */
	async submit(p: { clientId: string; url: string; body: unknown; label: string; topic: string; attachment?: Attachment }): Promise<Submitted> {
		const item = newItem({ ...p, body: plain(p.body) }, Date.now());
		await this.#store.put(item).catch(() => undefined);
		await this.#refresh();
		const a = await this.#send(item);
		const outcome = await settle(this.#store, item, a, Date.now()).catch((): Outcome => 'retry');
		await this.#refresh();
		return { outcome, status: a.status, message: a.message, body: a.body };
	}

	/** sends every pending item now (force: their backoff not waited out) */
	retry(force = false): Promise<void> {
		if (this.#running) {
			this.#again = true;
			return this.#running;
		}
		this.#running = (async () => {
			do {
				this.#again = false;
				try {
					const done = await flush(this.#store, (i) => this.#send(i), Date.now, force);
					for (const item of done) for (const fn of this.#confirmed) fn(item);
				} catch {
					// storage failed: the timer tries again
				}
				await this.#refresh();
			} while (this.#again);
		})().finally(() => (this.#running = null));
		return this.#running;
	}

	/** forgets an item (a refused one the user has read) */
	async dismiss(clientId: string): Promise<void> {
		await this.#store.delete(clientId).catch(() => undefined);
		await this.#refresh();
	}

	/** starts retrying by itself: online, the page shown again, the backoff timer. Answers the stop. */
	start(): () => void {
		const online = () => void this.retry(true);
		const visible = () => document.visibilityState === 'visible' && void this.retry(true);
		window.addEventListener('online', online);
		document.addEventListener('visibilitychange', visible);
		this.#started++;
		void this.retry();
		return () => {
			window.removeEventListener('online', online);
			document.removeEventListener('visibilitychange', visible);
			if (--this.#started === 0 && this.#timer) clearTimeout(this.#timer);
		};
	}

	/** a draft kept under `key` (e.g. "visit:42"), or null */
	async draft<T>(key: string): Promise<T | null> {
		if (!this.#db) return (this.#drafts.get(key) as T | undefined) ?? null;
		try {
			return ((await request((await store(this.#db, DRAFTS, 'readonly')).get(key))) as T | undefined) ?? null;
		} catch {
			return null;
		}
	}

	async saveDraft(key: string, value: unknown): Promise<void> {
		if (!this.#db) return void this.#drafts.set(key, value);
		try {
			await request((await store(this.#db, DRAFTS, 'readwrite')).put(plain(value), key));
		} catch {
			// kept in the form at least
		}
	}

	async dropDraft(key: string): Promise<void> {
		if (!this.#db) return void this.#drafts.delete(key);
		try {
			await request((await store(this.#db, DRAFTS, 'readwrite')).delete(key));
		} catch {
			// nothing to drop
		}
	}
}

const outboxes = new Map<number | null, Outbox>();

/** the account's outbox (one per account and page) */
export function outboxFor(account: number | null): Outbox {
	// rendering on the server: nothing is kept there, and nothing shared between requests
	if (!browser) return new Outbox(null);
	let o = outboxes.get(account);
	if (!o) outboxes.set(account, (o = new Outbox(account)));
	return o;
}

const KEY = Symbol('outbox');

/** makes the account's outbox the one forms below this component submit through */
export function provideOutbox(account: number | null): Outbox {
	return setContext(KEY, outboxFor(account));
}

/** the outbox a form submits through: its page's, or one that lives only as long as the page */
export function useOutbox(): Outbox {
	return getContext<Outbox | undefined>(KEY) ?? outboxFor(null);
}
