// The big screen's live figures: polled with an ETag (GET /api/screen), kept when the server or
// the network goes away (the screen shows its last picture and when it was current), asked again
// with a growing back-off until the server answers, and ended when the kiosk token is refused.
//
// Why polling rather than server-sent events: every poll passes the kiosk token's check, so a
// revoked screen learns it at its next refresh (an open event stream would have been authorised
// once); an unchanged screen costs one small query and a 304; nothing is held open per screen on
// a 2-core server or through proxies that cut idle streams; and reconnecting is the same code
// path as refreshing.
import { screenAnswer, type ScreenFigures } from '$lib/api/screen';
import { checkAnswer } from '$lib/api/client';

export interface LiveOptions {
	/** ms between polls while the server answers */
	every: number;
	/** the longest back-off, ms */
	maxBackoff: number;
	/** what fetch to use (tests of the page use the browser's) */
	url?: string;
}

export class ScreenLive {
	figures = $state.raw<ScreenFigures>(null as unknown as ScreenFigures);
	/** when the figures shown were last confirmed by the server */
	confirmedAt = $state<Date>(new Date());
	/** the server or the network did not answer the last poll */
	stale = $state(false);
	/** the kiosk token was refused: the display ends */
	ended = $state(false);
	/** polls answered 200 / 304, failed (tests and the soak read them) */
	counts = { changed: 0, unchanged: 0, failed: 0 };

	#etag: string | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#failures = 0;
	#stopped = false;
	#controller: AbortController | null = null;
	readonly #o: LiveOptions;

	constructor(initial: ScreenFigures, options: LiveOptions) {
		this.figures = initial;
		this.#o = options;
	}

	start(): void {
		this.#stopped = false;
		this.#schedule(this.#o.every);
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#controller?.abort();
		this.#controller = null;
	}

	/** Polls now (and reschedules). */
	async poll(): Promise<void> {
		if (this.#stopped || this.ended) return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#controller = new AbortController();
		const timeout = setTimeout(() => this.#controller?.abort(), 15_000);
		try {
			const r = await fetch(this.#o.url ?? '/api/screen', {
				headers: this.#etag ? { 'if-none-match': this.#etag } : {},
				cache: 'no-store',
				credentials: 'same-origin',
				signal: this.#controller.signal
			});
			if (r.status === 401 || r.status === 403) {
				this.ended = true;
				this.stop();
				return;
			}
			if (r.status === 304) {
				this.counts.unchanged++;
			} else if (r.ok) {
				// checked against the contract: a breach counts as a failed poll (the last good figures stay)
				this.figures = checkAnswer(r.url || '/api/screen', screenAnswer, await r.json());
				this.#etag = r.headers.get('etag');
				this.counts.changed++;
			} else {
				throw new Error(`status ${r.status}`);
			}
			this.confirmedAt = new Date();
			this.stale = false;
			this.#failures = 0;
			this.#schedule(this.#o.every);
		} catch {
			if (this.#stopped) return;
			this.counts.failed++;
			this.stale = true;
			this.#failures++;
			// 1, 2, 4 … × the poll interval, capped, with jitter so a wall of screens does not return in step
			const backoff = Math.min(this.#o.maxBackoff, this.#o.every * 2 ** (this.#failures - 1));
			this.#schedule(backoff * (0.8 + Math.random() * 0.4));
		} finally {
			clearTimeout(timeout);
			this.#controller = null;
		}
	}

	#schedule(ms: number): void {
		if (this.#stopped) return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => void this.poll(), ms);
	}
}
