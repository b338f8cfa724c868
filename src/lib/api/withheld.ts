// What small-cell suppression does to a row, as a type both sides share: the server withholds
// (src/lib/server/privacy/small-cells.ts), the browser shows a withheld count as `<3`.

/** which fields of a row are counts of persons (C), and which are computed from them (D) */
export interface CellRule<C extends string, D extends string = never> {
	counts: readonly C[];
	/** field → the counts it is computed from: withheld when any of them is */
	derived?: Partial<Record<D, readonly C[]>>;
}

/** a row after suppression: the counts and derived fields may be null, listed in `suppressed` */
export type Withheld<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] | null } & { suppressed?: string[] };
