// The server pool's queue, earliest deadline first. pg's pool lends its connections first come,
// first served: under a morning's load (bench:load, 100 connections) every request waited ~330 ms
// for one, a search as long as a batch of writes from the phones' outbox. Here each waiter's
// deadline is its arrival plus its urgency's budget (urgency.ts), and a connection given back goes
// to the earliest deadline: a panel or a tile goes before a write asked for just before it, and a
// write that has waited its budget before both — nothing starves.
//
// The pg pool underneath is never asked for more connections than it has, so it never queues; it
// still makes, checks and drops them. A waiter not served within the acquire timeout fails with
// pg's own message (unavailable.ts makes it a 503 with Retry-After).
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { currentUrgency, URGENCY_BUDGET_MS } from './urgency.ts';
import { fuseBegin } from './fused-begin.ts';

interface Waiter {
	deadline: number;
	/** arrival order, for equal deadlines */
	seq: number;
	resolve: (client: pg.PoolClient) => void;
	reject: (error: Error) => void;
	timer: ReturnType<typeof setTimeout>;
}

export class DeadlinePool implements PostgresPool {
	readonly inner: pg.Pool;
	readonly size: number;
	readonly acquireTimeoutMs: number;
	#lent = 0;
	#seq = 0;
	#queue: Waiter[] = [];
	#ended = false;

	constructor(inner: pg.Pool, size: number, acquireTimeoutMs: number) {
		this.inner = inner;
		this.size = size;
		this.acquireTimeoutMs = acquireTimeoutMs;
	}

	get options(): object {
		return this.inner.options;
	}

	/** requests waiting for a connection now */
	get waiting(): number {
		return this.#queue.length;
	}

	connect(): Promise<PostgresPoolClient> {
		if (this.#ended) return Promise.reject(new Error('Cannot use a pool after calling end on the pool'));
		return new Promise<pg.PoolClient>((resolve, reject) => {
			const waiter: Waiter = {
				deadline: performance.now() + URGENCY_BUDGET_MS[currentUrgency()],
				seq: this.#seq++,
				resolve,
				reject,
				timer: setTimeout(() => {
					const i = this.#queue.indexOf(waiter);
					if (i < 0) return;
					this.#queue.splice(i, 1);
					reject(new Error('timeout exceeded when trying to connect'));
				}, this.acquireTimeoutMs)
			};
			// kept in deadline order (a queue of at most a few hundred: a scan from the end is enough)
			let i = this.#queue.length;
			while (i > 0 && later(this.#queue[i - 1], waiter)) i--;
			this.#queue.splice(i, 0, waiter);
			this.#dispatch();
		}) as Promise<PostgresPoolClient>;
	}

	async end(): Promise<void> {
		this.#ended = true;
		for (const w of this.#queue.splice(0)) {
			clearTimeout(w.timer);
			w.reject(new Error('the pool was ended'));
		}
		await this.inner.end();
	}

	/** Lends connections to the earliest deadlines while there are connections free. */
	#dispatch(): void {
		while (this.#lent < this.size && this.#queue.length) {
			const w = this.#queue.shift()!;
			clearTimeout(w.timer);
			this.#lent++;
			this.inner.connect().then(
				(client) => {
					fuseBegin(client);
					const release = client.release;
					let released = false;
					client.release = (destroy?: boolean | Error) => {
						if (released) return release.call(client, destroy);
						released = true;
						client.release = release;
						release.call(client, destroy);
						this.#lent--;
						this.#dispatch();
					};
					w.resolve(client);
				},
				(error: Error) => {
					this.#lent--;
					w.reject(error);
					this.#dispatch();
				}
			);
		}
	}
}

const later = (a: Waiter, b: Waiter) => a.deadline > b.deadline || (a.deadline === b.deadline && a.seq > b.seq);
