// What the browser benchmarks (bench:map, bench:screen) run inside the page before its own scripts
// (page.addInitScript): each function is sent as its source, so it uses nothing from outside itself.

/** what the recorder keeps on `window.__bench` */
export type BenchState = { rec: boolean; last: number | null; frames: number[]; heapPeak: number };

/** The frame recorder (frame times while `__bench.rec`) and the heap sampler (the peak of the JS heap). */
export function frameRecorder() {
	const w = window as unknown as { __bench: BenchState };
	const b: BenchState = (w.__bench = { rec: false, last: null, frames: [], heapPeak: 0 });
	const sampleHeap = () => {
		const m = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
		if (m && m.usedJSHeapSize > b.heapPeak) b.heapPeak = m.usedJSHeapSize;
	};
	const frame = (t: number) => {
		if (b.rec) {
			if (b.last !== null) b.frames.push(t - b.last);
			b.last = t;
		} else b.last = null;
		sampleHeap();
		requestAnimationFrame(frame);
	};
	requestAnimationFrame(frame);
	setInterval(sampleHeap, 250);
}

/** Counts every WebGL context the page makes on `window.__glContexts`. */
export function webglContextCounter() {
	const w = window as unknown as { __glContexts: number };
	const made = new WeakSet<object>();
	w.__glContexts = 0;
	const getContext = HTMLCanvasElement.prototype.getContext as (this: HTMLCanvasElement, id: string, o?: unknown) => unknown;
	HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, id: string, o?: unknown) {
		const c = getContext.call(this, id, o);
		if (c && /webgl/.test(id) && !made.has(c as object)) {
			made.add(c as object);
			w.__glContexts++;
		}
		return c;
	} as typeof HTMLCanvasElement.prototype.getContext;
}
