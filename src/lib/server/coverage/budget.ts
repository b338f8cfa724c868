// Analyses (what-if stations, site suggestions) run on the one event loop that serves every
// request. So that no single request starves the others, each runs under a Budget: its work is
// written as steps (generators that yield now and then), and the driver hands the event loop
// back every `sliceMs` of work (`await new Promise(setImmediate)`: pending I/O — other requests,
// /api/health — runs in between) and gives up after `budgetMs`. A gate lets only a few analyses
// run at once; the others wait their turn within their own budget.
//
// What happens at the deadline (the route's choice, documented there): work that has a valid
// answer at any point (the swap refinement after greedy) is asked to wrap up and the result is
// marked partial; work that has none (building the instance, greedy itself) throws
// AnalysisTimeout, which the routes answer with 503.
//
// The steps must never yield between a Dijkstra run and the use of its result: the model's
// search buffers are shared by every analysis of the process, one run at a time.
export const ANALYSIS_LIMITS = {
	/** wall-clock budget of one analysis, queueing included, ms */
	budgetMs: 10_000,
	/** work between two yields to the event loop, ms */
	sliceMs: 20,
	/** analyses running at once; more wait in line (within their budget) */
	concurrent: 2,
	/** analyses waiting in line; beyond that a request is turned away at once */
	queue: 16
};

export class AnalysisTimeout extends Error {
	constructor(budgetMs: number) {
		super(`the analysis did not finish within its ${budgetMs / 1000} s budget; narrow the area or ask for fewer sites`);
		this.name = 'AnalysisTimeout';
	}
}

export class AnalysisBusy extends Error {
	constructor() {
		super('too many analyses are running; try again in a moment');
		this.name = 'AnalysisBusy';
	}
}

/** A step-wise computation: it yields now and then; the driver answers `true` to ask it to wrap up. */
export type Steps<T> = Generator<void, T, boolean | undefined>;

export class Budget {
	readonly budgetMs: number;
	readonly sliceMs: number;
	readonly started = performance.now();
	readonly deadline: number;
	private sliceEnd: number;
	/** slices handed back to the event loop so far */
	yields = 0;

	constructor(budgetMs = ANALYSIS_LIMITS.budgetMs, sliceMs = ANALYSIS_LIMITS.sliceMs) {
		this.budgetMs = budgetMs;
		this.sliceMs = sliceMs;
		this.deadline = this.started + budgetMs;
		this.sliceEnd = this.started + sliceMs;
	}

	/** this slice of work is used up: time to pause() */
	get due(): boolean {
		return performance.now() >= this.sliceEnd;
	}

	get expired(): boolean {
		return performance.now() >= this.deadline;
	}

	/** Throws AnalysisTimeout once the budget is spent. */
	check(): void {
		if (this.expired) throw new AnalysisTimeout(this.budgetMs);
	}

	/** Hands the event loop back if this slice is used up; throws AnalysisTimeout past the deadline. */
	async pause(): Promise<void> {
		const now = performance.now();
		if (now < this.sliceEnd) return;
		this.check();
		await new Promise<void>((resolve) => setImmediate(resolve));
		this.yields++;
		this.sliceEnd = performance.now() + this.sliceMs;
		this.check();
	}
}

/** Steps run to the end under a budget when there is one, else without pausing. */
export function drive<T>(steps: Steps<T>, budget: Budget | undefined, opts: { anytime?: boolean } = {}): Promise<T> {
	return budget ? runBudgeted(steps, budget, opts) : Promise.resolve(runSteps(steps));
}

/** Runs steps to the end, without pausing (benchmarks, tests, small inputs). */
export function runSteps<T>(steps: Steps<T>): T {
	for (;;) {
		const r = steps.next(false);
		if (r.done) return r.value;
	}
}

/**
 * Runs steps under a budget, pausing every slice. Past the deadline: `anytime` steps are asked
 * to wrap up (they return what they have), other steps are abandoned with AnalysisTimeout.
 */
export async function runBudgeted<T>(steps: Steps<T>, budget: Budget, { anytime = false } = {}): Promise<T> {
	let wrapUp = false;
	for (;;) {
		const r = steps.next(wrapUp);
		if (r.done) return r.value;
		if (wrapUp) continue;
		if (!budget.due) continue;
		if (anytime && budget.expired) {
			wrapUp = true;
			continue;
		}
		try {
			await budget.pause();
		} catch (e) {
			if (!(e instanceof AnalysisTimeout) || !anytime) {
				steps.return(undefined as never);
				throw e;
			}
			wrapUp = true;
		}
	}
}

let running = 0;
const waiting: (() => void)[] = [];

/**
 * Runs `fn` when one of the ANALYSIS_LIMITS.concurrent places is free: waiting counts against
 * the budget (AnalysisTimeout when it runs out in line), a full line is AnalysisBusy at once.
 */
export async function withAnalysisSlot<T>(budget: Budget, fn: () => Promise<T>): Promise<T> {
	if (running >= ANALYSIS_LIMITS.concurrent) {
		if (waiting.length >= ANALYSIS_LIMITS.queue) throw new AnalysisBusy();
		await new Promise<void>((resolve, reject) => {
			const turn = () => {
				clearTimeout(timer);
				resolve();
			};
			const timer = setTimeout(
				() => {
					const at = waiting.indexOf(turn);
					if (at >= 0) waiting.splice(at, 1);
					reject(new AnalysisTimeout(budget.budgetMs));
				},
				Math.max(0, budget.deadline - performance.now())
			);
			waiting.push(turn);
		});
	} else running++;
	// a place is ours (handed over by the one that left, or taken above)
	try {
		return await fn();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running--;
	}
}
