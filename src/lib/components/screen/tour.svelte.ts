// The big screen's auto-tour: district overview → each street (or community) → the worst blind
// spots → overdue requests, one stop every `interval` ms, with a caption per stop. Any touch,
// click, key or wheel pauses it; it resumes after `quiet` ms without one. The camera moves are the
// map component's; this holds only the order, the timer and the pause.
import type { ScreenFigures } from '$lib/api/screen';
import type { Translate } from '$lib/i18n';

export type TourStop =
	| { kind: 'overview' | 'child'; caption: string; bbox: [number, number, number, number] }
	| { kind: 'blind_spot' | 'overdue'; caption: string; center: [number, number]; zoom: number };

/** the blind spots the tour visits */
const TOUR_BLIND_SPOTS = 3;

export function tourStops(f: ScreenFigures, t: Translate, n: (v: number) => string): TourStop[] {
	const stops: TourStop[] = [{ kind: 'overview', caption: t('screen.tour.overview', { area: f.area.name }), bbox: f.area.bbox }];
	for (const c of f.tour.children) stops.push({ kind: 'child', caption: t('screen.tour.child', { name: c.name }), bbox: c.bbox });
	for (const s of f.blind_spots.slice(0, TOUR_BLIND_SPOTS)) {
		stops.push({
			kind: 'blind_spot',
			caption: t('screen.tour.blind_spot', { grid: s.grid_name, households: s.households === null ? '<3' : n(s.households) }),
			center: [s.lon, s.lat],
			zoom: 15.2
		});
	}
	for (const o of f.tour.overdue)
		stops.push({ kind: 'overdue', caption: t('screen.tour.overdue', { grid: o.grid_name, n: n(o.n) }), center: [o.lon, o.lat], zoom: 14.8 });
	return stops;
}

export class Tour {
	index = $state(0);
	paused = $state(false);
	/** complete rounds so far (the soak test reads it) */
	rounds = $state(0);
	#timer: ReturnType<typeof setTimeout> | null = null;
	#resume: ReturnType<typeof setTimeout> | null = null;
	#count = () => 1;
	#interval: () => number;
	readonly #quiet: number;

	constructor(interval: () => number, quiet: number) {
		this.#interval = interval;
		this.#quiet = quiet;
	}

	start(count: () => number): void {
		this.#count = count;
		this.#arm();
	}

	stop(): void {
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#resume) clearTimeout(this.#resume);
		this.#timer = this.#resume = null;
	}

	/** a touch, click, key or wheel: hold the tour, and resume after a quiet spell */
	touched = (): void => {
		this.paused = true;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		if (this.#resume) clearTimeout(this.#resume);
		this.#resume = setTimeout(() => {
			this.#resume = null;
			this.paused = false;
			this.#arm();
		}, this.#quiet);
	};

	#arm(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => {
			this.#timer = null;
			const next = this.index + 1;
			if (next >= this.#count()) {
				this.index = 0;
				this.rounds++;
			} else this.index = next;
			this.#arm();
		}, this.#interval());
	}
}
