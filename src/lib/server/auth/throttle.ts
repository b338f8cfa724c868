// A per-client-address throttle for the sign-in form, in this process: a token bucket per
// address (by default 20 attempts, refilled evenly over 5 minutes), answered 429 with Retry-After
// when empty. It stands beside the per-account lockout (login.ts), which one address guessing
// many user names never trips. A token is taken before the password is verified and given back
// when the sign-in succeeds, so only failures count: an office behind one address signing in at
// nine o'clock is not throttled. Memory is bounded: at most `maxAddresses` buckets, the least
// recently used dropped first.
//
// Behind a reverse proxy every request comes from the proxy's address unless the proxy's
// client-address header is trusted (adapter-node's ADDRESS_HEADER / XFF_DEPTH): set them, or the
// whole site shares one bucket. JICENG_LOGIN_THROTTLE=<attempts>/<seconds> changes the rate;
// `off` turns it off.

export interface ThrottleOptions {
	/** attempts an address may make in a burst, refilled evenly over `windowMs` */
	limit: number;
	windowMs: number;
	maxAddresses: number;
}

export type Take = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number };

interface Bucket {
	tokens: number;
	at: number;
}

export class LoginThrottle {
	readonly options: ThrottleOptions;
	private readonly buckets = new Map<string, Bucket>();

	constructor(options: Partial<ThrottleOptions> = {}) {
		this.options = { limit: 20, windowMs: 5 * 60_000, maxAddresses: 10_000, ...options };
	}

	get size(): number {
		return this.buckets.size;
	}

	private refilled(bucket: Bucket, now: number): number {
		const { limit, windowMs } = this.options;
		return Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / windowMs);
	}

	/** Takes one attempt for `address`; `release()` gives it back (a sign-in that succeeded). */
	take(address: string | null | undefined, now = Date.now()): Take {
		const key = addressKey(address);
		const { limit, windowMs } = this.options;
		const found = this.buckets.get(key);
		const bucket: Bucket = found ? { tokens: this.refilled(found, now), at: now } : { tokens: limit, at: now };
		// re-inserted, so the map's order is least recently used first
		this.buckets.delete(key);
		if (bucket.tokens < 1) {
			this.buckets.set(key, bucket);
			return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - bucket.tokens) * windowMs) / limit / 1000)) };
		}
		bucket.tokens -= 1;
		this.buckets.set(key, bucket);
		this.evict(now);
		let released = false;
		return {
			ok: true,
			release: () => {
				if (released) return;
				released = true;
				const b = this.buckets.get(key);
				if (b) b.tokens = Math.min(limit, b.tokens + 1);
			}
		};
	}

	private evict(now: number): void {
		if (this.buckets.size <= this.options.maxAddresses) return;
		// first the buckets that have refilled (they hold nothing to remember), then the oldest
		for (const [key, bucket] of this.buckets) {
			if (this.buckets.size <= this.options.maxAddresses) return;
			if (this.refilled(bucket, now) >= this.options.limit) this.buckets.delete(key);
		}
		for (const key of this.buckets.keys()) {
			if (this.buckets.size <= this.options.maxAddresses) return;
			this.buckets.delete(key);
		}
	}
}

/** IPv4 as is (also when IPv4-mapped); IPv6 by its /64, which one client usually holds whole. */
export function addressKey(address: string | null | undefined): string {
	const a = (address ?? '').trim().toLowerCase();
	if (!a) return 'unknown';
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
	if (mapped) return mapped[1];
	if (!a.includes(':')) return a;
	const [head, tail = ''] = a.split('%')[0].split('::');
	const left = head ? head.split(':') : [];
	const right = tail ? tail.split(':') : [];
	const groups = a.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
	return `${groups
		.slice(0, 4)
		.map((g) => g.replace(/^0+(?=.)/, ''))
		.join(':')}::/64`;
}

/** `20/300` → 20 attempts per 300 seconds; `off` → null (no throttle). */
export function parseThrottle(value: string | undefined): Partial<ThrottleOptions> | null {
	if (!value) return {};
	if (value.trim() === 'off') return null;
	const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
	if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`JICENG_LOGIN_THROTTLE: expected <attempts>/<seconds> or "off", got "${value}"`);
	return { limit: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

let shared: LoginThrottle | null | undefined;
/** The sign-in form's throttle, configured from JICENG_LOGIN_THROTTLE; null when turned off. */
export function loginThrottle(): LoginThrottle | null {
	if (shared === undefined) {
		const options = parseThrottle(process.env.JICENG_LOGIN_THROTTLE);
		shared = options ? new LoginThrottle(options) : null;
	}
	return shared;
}
