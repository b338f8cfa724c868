// The benchmarks' figures: one percentile rule and the roundings their JSON lines print.

/** The nearest-rank quantile of `xs` (q in 0..1); NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
	if (!xs.length) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const r1 = (v: number) => Math.round(v * 10) / 10;
export const r2 = (v: number) => Math.round(v * 100) / 100;
export const r3 = (v: number) => Math.round(v * 1000) / 1000;
/** milliseconds as seconds to one decimal, for the progress lines */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
