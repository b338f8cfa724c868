// Small-cell suppression on the server: the one place that decides what a viewer without person
// access may see of a count, for JSON rows (suppressSmallCells) and for tile SQL (smallCellSql,
// unlessSmallSql). The threshold and the representation of a withheld count are defined and
// documented once, in src/lib/small-cells.ts (shared with the components that render `<3`).
//
// What is a count of persons: households, residents, members (living or working), central
// households, households looked after or not, households in a circle or a blind spot. Figures
// computed from such counts (densities, shares, scores) are withheld with them ("derived").
import { sql, type RawBuilder } from 'kysely';
import { SMALL_CELL_THRESHOLD, SUPPRESSED_TEXT, isSmallCell } from '../../small-cells.ts';

export { SMALL_CELL_THRESHOLD, SUPPRESSED_TEXT, isSmallCell };
// the shapes of a withholding rule and of a row after it: shared with the browser (src/lib/api)
import type { CellRule, Withheld } from '../../api/withheld.ts';
export type { CellRule, Withheld };

/** who is asking, as far as suppression goes: viewers who see persons get every count as it is */
export interface CountAudience {
	persons: boolean;
}

/** the fields a rule may withhold: its counts and its derived fields */
export type RuleKeys<R> = (R extends { counts: readonly (infer C)[] } ? C : never) | (R extends { derived: infer X } ? keyof X : never);

/**
 * The row as `audience` may see it: for a viewer without person access every count of
 * `rule.counts` between 0 and the threshold becomes null, as does every derived field computed
 * from one, and the row gets `suppressed` listing them (only when something was withheld).
 * Person viewers get the row unchanged (the same object).
 */
export function suppressSmallCells<T extends object, R extends CellRule<keyof T & string, keyof T & string>>(
	row: T,
	rule: R,
	audience: CountAudience
): Withheld<T, RuleKeys<R> & keyof T> {
	type Out = Withheld<T, RuleKeys<R> & keyof T>;
	if (audience.persons) return row as unknown as Out;
	const r = row as Record<string, unknown>;
	const small = new Set<string>(rule.counts.filter((k) => isSmallCell(toCount(r[k]))));
	const withheld = [...small];
	for (const [key, from] of Object.entries(rule.derived ?? {}) as [string, readonly string[]][]) {
		if (!small.has(key) && from.some((k) => small.has(k))) withheld.push(key);
	}
	if (!withheld.length) return row as unknown as Out;
	const out: Record<string, unknown> = { ...r };
	for (const k of withheld) out[k] = null;
	out.suppressed = [...new Set([...((r.suppressed as string[] | undefined) ?? []), ...withheld])];
	return out as Out;
}

/** suppressSmallCells over a list */
export function suppressRows<T extends object, R extends CellRule<keyof T & string, keyof T & string>>(
	rows: readonly T[],
	rule: R,
	audience: CountAudience
): Withheld<T, RuleKeys<R> & keyof T>[] {
	return rows.map((r) => suppressSmallCells(r, rule, audience));
}

/** One count for `audience`: null when it must be withheld. */
export function smallCount(n: number, audience: CountAudience): number | null {
	return !audience.persons && isSmallCell(n) ? null : n;
}

/** A cell for CSV: a withheld field of the row reads `<3`, anything else is the value. */
export function cellValue(row: { suppressed?: string[] } & object, key: string): unknown {
	return row.suppressed?.includes(key) ? SUPPRESSED_TEXT : (row as Record<string, unknown>)[key];
}

function toCount(v: unknown): number | null {
	if (typeof v === 'number') return v;
	if (typeof v === 'bigint' || (typeof v === 'string' && /^\d+$/.test(v))) return Number(v);
	return null;
}

const T = sql.lit(SMALL_CELL_THRESHOLD);

/** SQL: true when the count is a small cell (between 0 and the threshold) */
function isSmallSql(count: RawBuilder<unknown>): RawBuilder<unknown> {
	return sql`(${count} > 0 and ${count} < ${T})`;
}

/**
 * SQL for a count as the audience may see it: null when it is a small cell and the viewer sees
 * no persons (a tile then leaves the attribute out). `count` appears more than once in the
 * result: pass a column reference, not a subquery. `persons` undefined counts as false.
 */
export function smallCellSql(count: RawBuilder<unknown>, persons: boolean | undefined): RawBuilder<unknown> {
	if (persons) return count;
	return sql`(case when ${isSmallSql(count)} then null else ${count} end)`;
}

/**
 * SQL for a figure computed from counts (a density, a share, a sum): null when any of `counts`
 * is a small cell and the viewer sees no persons. Column references only, as above.
 */
export function unlessSmallSql(counts: readonly RawBuilder<unknown>[], value: RawBuilder<unknown>, persons: boolean | undefined): RawBuilder<unknown> {
	if (persons || counts.length === 0) return value;
	return sql`(case when ${sql.join(counts.map(isSmallSql), sql` or `)} then null else ${value} end)`;
}

/** A list of counts for `audience`: each small cell null (a what-if's households per circle). */
export function smallCounts<T extends readonly number[]>(ns: T, audience: CountAudience): (number | null)[] {
	return ns.map((n) => smallCount(n, audience));
}

/**
 * A what-if as `audience` may see it: households newly within each circle and each community's
 * figures, with small cells withheld (null, and `suppressed` naming the lists that hold one).
 */
export function suppressWhatIf<
	W extends { newly: readonly number[]; communities: readonly { households: number; before: readonly number[]; newly: readonly number[] }[] }
>(result: W, audience: CountAudience): ShownWhatIf<W, W['communities'][number]> {
	if (audience.persons) return result as unknown as ShownWhatIf<W, W['communities'][number]>;
	const mark = <T extends object>(row: T, lists: Record<string, readonly number[]>, scalars: Record<string, number> = {}) => {
		const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
		const withheld: string[] = [];
		for (const [k, ns] of Object.entries(lists)) {
			out[k] = smallCounts(ns, audience);
			if (ns.some(isSmallCell)) withheld.push(k);
		}
		for (const [k, n] of Object.entries(scalars)) {
			out[k] = smallCount(n, audience);
			if (isSmallCell(n)) withheld.push(k);
		}
		if (withheld.length) out.suppressed = withheld;
		return out;
	};
	return {
		...mark(result, { newly: result.newly }),
		communities: result.communities.map((c) => mark(c, { before: c.before, newly: c.newly }, { households: c.households }))
	} as ShownWhatIf<W, W['communities'][number]>;
}

type Counts = (number | null)[];
/** a what-if after suppression: its lists of counts may hold nulls, and `suppressed` names them */
export type ShownWhatIf<W, C> = Omit<W, 'newly' | 'communities'> & {
	newly: Counts;
	communities: (Omit<C, 'households' | 'before' | 'newly'> & { households: number | null; before: Counts; newly: Counts; suppressed?: string[] })[];
	suppressed?: string[];
};

/**
 * Suggested sites as `audience` may see them: a site's gain below the threshold is withheld, and
 * so is its running total (the difference of two running totals would give the gain away).
 */
export function suppressSuggestions<S extends { gain: number; cumulative: number }>(
	rows: readonly S[],
	audience: CountAudience
): (Omit<S, 'gain' | 'cumulative'> & { gain: number | null; cumulative: number | null; suppressed?: string[] })[] {
	if (audience.persons) return [...rows];
	return rows.map((r) => (isSmallCell(r.gain) ? { ...r, gain: null, cumulative: null, suppressed: ['gain', 'cumulative'] } : r));
}
