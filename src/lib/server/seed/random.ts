// A small seeded PRNG (sfc32 seeded through splitmix32): the same seed gives the same district on
// every machine and backend. Never use Math.random() in the generator.

function splitmix32(a: number): () => number {
	return () => {
		a = (a + 0x9e3779b9) | 0;
		let t = a ^ (a >>> 16);
		t = Math.imul(t, 0x21f0aaad);
		t ^= t >>> 15;
		t = Math.imul(t, 0x735a2d97);
		t ^= t >>> 15;
		return t >>> 0;
	};
}

/** FNV-1a of a string, for deriving independent streams from labels. */
export function hashString(s: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

export class Rng {
	#a: number;
	#b: number;
	#c: number;
	#d: number;

	constructor(seed: number) {
		const sm = splitmix32(seed >>> 0);
		this.#a = sm();
		this.#b = sm();
		this.#c = sm();
		this.#d = sm();
		for (let i = 0; i < 12; i++) this.u32();
	}

	/** An independent stream for one part of the generator: adding draws in one part does not shift another. */
	static stream(seed: number, label: string): Rng {
		return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(label)) >>> 0);
	}

	u32(): number {
		const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
		this.#d = (this.#d + 1) | 0;
		this.#a = this.#b ^ (this.#b >>> 9);
		this.#b = (this.#c + (this.#c << 3)) | 0;
		this.#c = (this.#c << 21) | (this.#c >>> 11);
		this.#c = (this.#c + t) | 0;
		return t >>> 0;
	}

	/** uniform in [0, 1) */
	next(): number {
		return this.u32() / 4294967296;
	}

	/** uniform in [lo, hi) */
	range(lo: number, hi: number): number {
		return lo + (hi - lo) * this.next();
	}

	/** integer in [lo, hi], both inclusive */
	int(lo: number, hi: number): number {
		return lo + Math.floor(this.next() * (hi - lo + 1));
	}

	chance(p: number): boolean {
		return this.next() < p;
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.next() * items.length)];
	}

	/** index chosen with the given (non-negative) weights */
	weighted(weights: readonly number[]): number {
		let total = 0;
		for (const w of weights) total += w;
		let x = this.next() * total;
		for (let i = 0; i < weights.length; i++) {
			x -= weights[i];
			if (x < 0) return i;
		}
		return weights.length - 1;
	}

	/** roughly normal (sum of three uniforms), mean 0, sd 1 */
	normal(): number {
		return (this.next() + this.next() + this.next() - 1.5) * 2;
	}

	shuffle<T>(items: T[]): T[] {
		for (let i = items.length - 1; i > 0; i--) {
			const j = Math.floor(this.next() * (i + 1));
			const t = items[i];
			items[i] = items[j];
			items[j] = t;
		}
		return items;
	}
}
