// The outbox's rules (issue 11 part 5, src/lib/offline/queue.ts) without a browser: IndexedDB is
// not in Node, so the queue runs against the in-memory store with the same interface. A fake
// server answers with the statuses a real one gives: 201 made, 200 a retry of the same client id,
// 4xx refused, 5xx or no answer (the network cut) again later.
import { describe, expect, it } from 'vitest';
import { backoff, due, flush, memoryStore, newItem, nextWake, outcome, settle, type Attempt, type OutboxItem } from '../../src/lib/offline/queue.ts';

/** a server that makes one record per client id, and a network that can be cut */
function fakeServer() {
	const records = new Map<string, unknown>();
	let online = true;
	let refuse: string | null = null;
	const sent: string[] = [];
	return {
		records,
		sent,
		cut: () => void (online = false),
		restore: () => void (online = true),
		refuseWith: (m: string | null) => void (refuse = m),
		async send(item: OutboxItem): Promise<Attempt> {
			sent.push(item.clientId);
			if (!online) return { status: null, message: 'Failed to fetch' };
			if (refuse) return { status: 422, message: refuse };
			if (records.has(item.clientId)) return { status: 200, message: null };
			records.set(item.clientId, item.body);
			return { status: 201, message: null };
		}
	};
}

const item = (id: string, now = 0) => newItem({ clientId: id, url: '/api/visits', body: { client_id: id }, label: id, topic: 'visit:1' }, now);

describe('outbox queue', () => {
	it('reads answers: 2xx confirmed, 4xx refused (but 401, 408, 429 again), 5xx and no answer again', () => {
		expect(outcome({ status: 201, message: null })).toBe('confirmed');
		expect(outcome({ status: 200, message: null })).toBe('confirmed');
		expect(outcome({ status: 422, message: 'future_day' })).toBe('refused');
		expect(outcome({ status: 403, message: 'forbidden' })).toBe('refused');
		expect(outcome({ status: 401, message: null })).toBe('retry');
		expect(outcome({ status: 429, message: null })).toBe('retry');
		expect(outcome({ status: 503, message: null })).toBe('retry');
		expect(outcome({ status: null, message: 'Failed to fetch' })).toBe('retry');
	});

	it('backs off 2 s, 4 s, 8 s … up to 5 minutes', () => {
		expect([1, 2, 3, 4].map(backoff)).toEqual([2000, 4000, 8000, 16000]);
		expect(backoff(30)).toBe(300_000);
	});

	it('keeps a submission made offline and sends it once the network is back: one record, however many attempts', async () => {
		const store = memoryStore();
		const server = fakeServer();
		let now = 1000;
		server.cut();
		await store.put(item('visit-aaaaaaaa', now));
		expect(await flush(store, server.send, () => now)).toEqual([]);
		let [kept] = await store.all();
		expect(kept.state).toBe('pending');
		expect(kept.attempts).toBe(1);
		expect(kept.nextAt).toBe(now + 2000);
		// not due yet: the timer does not send it
		now += 1000;
		await flush(store, server.send, () => now);
		expect(server.sent).toHaveLength(1);
		// due: still offline, the wait doubles
		now += 1000;
		await flush(store, server.send, () => now);
		[kept] = await store.all();
		expect(kept.attempts).toBe(2);
		expect(nextWake(await store.all())).toBe(now + 4000);
		// the network is back: the online event forces it before its wait is over
		server.restore();
		const done = await flush(store, server.send, () => now, true);
		expect(done.map((i) => i.clientId)).toEqual(['visit-aaaaaaaa']);
		expect(await store.all()).toEqual([]);
		expect(server.records.size).toBe(1);
	});

	it('a retry after a lost answer is confirmed by the 200 of the first record, not made twice', async () => {
		const store = memoryStore();
		const server = fakeServer();
		const it1 = item('visit-bbbbbbbb');
		// the server made it, but the answer was lost on the way back
		await server.send(it1);
		await store.put(it1);
		await settle(store, it1, { status: null, message: 'Failed to fetch' }, 0);
		const done = await flush(store, server.send, () => 0, true);
		expect(done).toHaveLength(1);
		expect(server.records.size).toBe(1);
		expect(await store.all()).toEqual([]);
	});

	it('a refusal stops the retries and keeps the reason until dismissed', async () => {
		const store = memoryStore();
		const server = fakeServer();
		server.refuseWith('future_day');
		await store.put(item('visit-cccccccc'));
		await flush(store, server.send, () => 0);
		const [refused] = await store.all();
		expect(refused.state).toBe('refused');
		expect(refused.reason).toBe('future_day');
		expect(nextWake(await store.all())).toBeNull();
		expect(due(await store.all(), Infinity)).toEqual([]);
		server.refuseWith(null);
		await flush(store, server.send, () => 10_000_000, true);
		expect(server.sent).toHaveLength(1);
		expect(server.records.size).toBe(0);
	});

	it('sends oldest first and stops at the first attempt without an answer', async () => {
		const store = memoryStore();
		const server = fakeServer();
		await store.put(item('visit-2222222b', 20));
		await store.put(item('visit-1111111a', 10));
		server.cut();
		await flush(store, server.send, () => 100);
		expect(server.sent).toEqual(['visit-1111111a']);
		server.restore();
		const done = await flush(store, server.send, () => 100, true);
		expect(done.map((i) => i.clientId)).toEqual(['visit-1111111a', 'visit-2222222b']);
	});
});
