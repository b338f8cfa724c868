// One building's panel: where it sits in the hierarchy and its figures.
import { sql } from 'kysely';
import { scopeLike, type Scoped } from '../scoped.ts';
import { breadcrumbOf } from './areas.ts';
import type { BuildingSummary } from '../../../api/selection.ts';

export type { BuildingSummary };

/** Undefined when the building does not exist or lies outside the caller's scope. */
export async function buildingSummary(trx: Scoped, id: number): Promise<BuildingSummary | undefined> {
	const { rows } = await sql<
		Omit<BuildingSummary, 'breadcrumb' | 'bbox' | 'figures'> & {
			xmin: number;
			ymin: number;
			xmax: number;
			ymax: number;
			households: number;
			residents: number;
			members: number;
			members_working: number;
			central_households: number;
		}
	>`
		select b.id, b.name, b.address, b.kind, b.floors, b.height, b.units, b.grid_code,
		       ST_XMin(b.geom) as xmin, ST_YMin(b.geom) as ymin, ST_XMax(b.geom) as xmax, ST_YMax(b.geom) as ymax,
		       (select count(*) from household h where h.building_id = b.id)::int as households,
		       (select coalesce(sum(residents), 0) from household h where h.building_id = b.id)::int as residents,
		       (select count(*) from party_member m join household h on h.id = m.household_id where h.building_id = b.id)::int as members,
		       (select count(*) from party_member m where m.workplace_building_id = b.id)::int as members_working,
		       (select count(*) from central_household c join household h on h.id = c.household_id where h.building_id = b.id)::int as central_households
		from building b where b.id = ${id} and b.grid_code like ${scopeLike(trx)}`.execute(trx);
	const b = rows[0];
	if (!b) return undefined;
	const breadcrumb = await breadcrumbOf(trx, b.grid_code);
	return {
		id: b.id,
		name: b.name,
		address: b.address,
		kind: b.kind,
		floors: b.floors,
		height: b.height,
		units: b.units,
		grid_code: b.grid_code,
		breadcrumb,
		bbox: [Number(b.xmin), Number(b.ymin), Number(b.xmax), Number(b.ymax)],
		figures: {
			households: b.households,
			residents: b.residents,
			members: b.members,
			members_working: b.members_working,
			central_households: b.central_households
		}
	};
}
