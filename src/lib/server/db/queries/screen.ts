// Counts the big screen shows beside the panel's figures (area_stats has the total of
// organisations, not per level, and no central households): organisations by level of the
// six-level system, and central households (党员中心户), within the caller's scope.
import { sql } from 'kysely';
import { scopePrefix, type Scoped } from '../scoped.ts';
import { areaPrefix } from './coverage.ts';

import { ORG_LEVELS, type OrgLevel } from '../../../api/screen.ts';

export { ORG_LEVELS, type OrgLevel };

/** Organisations of `code`'s subtree (which must lie in the caller's scope) per level. */
export async function organisationsByLevel(trx: Scoped, code: string): Promise<Record<OrgLevel, number>> {
	if (!code.startsWith(scopePrefix(trx))) throw new Error(`area ${code} outside the caller's scope`);
	const { rows } = await sql<{ kind: string; n: number }>`
		select o.kind, count(*)::int as n
		from party_org o left join building b on b.id = o.building_id
		where starts_with(coalesce(o.area_code, b.grid_code), ${areaPrefix(code)}::text)
		group by o.kind`.execute(trx);
	const by = new Map(rows.map((r) => [r.kind, Number(r.n)]));
	const out = {} as Record<OrgLevel, number>;
	for (const [level, kinds] of Object.entries(ORG_LEVELS) as [OrgLevel, readonly string[]][]) out[level] = kinds.reduce((s, k) => s + (by.get(k) ?? 0), 0);
	return out;
}

/** Central households (党员中心户) in `code`'s subtree: a count of households (small-cell rules apply to it). */
export async function centralHouseholdCount(trx: Scoped, code: string): Promise<number> {
	const {
		rows: [r]
	} = await sql<{ n: number }>`
		select count(*)::int as n from central_household where starts_with(grid_code, ${areaPrefix(code)}::text)`.execute(trx);
	return Number(r.n);
}

/** The children of `code` (streets of a district, communities of a street…) with their boxes, for the screen's tour. */
export async function childBoxes(trx: Scoped, code: string): Promise<{ code: string; name: string; bbox: [number, number, number, number] }[]> {
	if (!code.startsWith(scopePrefix(trx))) return [];
	const { rows } = await sql<{ code: string; name: string; xmin: number; ymin: number; xmax: number; ymax: number }>`
		select code, name, ST_XMin(geom) as xmin, ST_YMin(geom) as ymin, ST_XMax(geom) as xmax, ST_YMax(geom) as ymax
		from area where parent_code = ${code} order by code`.execute(trx);
	return rows.map((r) => ({ code: r.code, name: r.name, bbox: [r.xmin, r.ymin, r.xmax, r.ymax] }));
}
