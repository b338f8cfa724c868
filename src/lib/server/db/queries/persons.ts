// Households and members of a building, for viewers who may see persons. Lists are masked by
// default (张*明, 100****5678, home at building level); the member's own grid leader and the
// secretaries above see names and rooms; a full record is a deliberate, audited reveal.
import { sql } from 'kysely';
import type { Viewer } from '../../auth/viewer.ts';
import { scopeLike, type Scoped } from '../scoped.ts';
import { maskName } from '../../../privacy.ts';
import type { HouseholdLine, MemberLine, MemberRecord } from '../../../api/persons.ts';

export type { HouseholdLine, MemberLine, MemberRecord };

export async function householdsOfBuilding(trx: Scoped, buildingId: number, viewer: Viewer): Promise<HouseholdLine[] | undefined> {
	const building = await trx.selectFrom('building').select('id').where('id', '=', buildingId).where('grid_code', 'like', scopeLike(trx)).executeTakeFirst();
	if (!building) return undefined;
	const { rows } = await sql<{
		id: number;
		unit: number;
		floor: number;
		room: string;
		residents: number;
		central: boolean;
		looked_after: boolean;
		members: { id: number; name: string; gender: 'male' | 'female'; mobile: boolean }[] | null;
	}>`
		select h.id, h.unit, h.floor, h.room, h.residents,
		       exists (select 1 from central_household c where c.household_id = h.id) as central,
		       exists (select 1 from central_household_link l where l.household_id = h.id) as looked_after,
		       (select json_agg(json_build_object('id', m.id, 'name', m.name, 'gender', m.gender, 'mobile', m.mobile) order by m.id)
		          from party_member m where m.household_id = h.id) as members
		from household h where h.building_id = ${buildingId}
		order by h.unit, h.floor, h.room`.execute(trx);
	return rows.map((r) => ({
		id: r.id,
		home: viewer.unmasked ? { unit: r.unit, floor: r.floor, room: r.room } : null,
		residents: r.residents,
		members: (r.members ?? []).map((m) => ({ ...m, name: viewer.unmasked ? m.name : maskName(m.name) })),
		central: r.central,
		looked_after: r.looked_after || r.central
	}));
}

/** The full record of one member in the viewer's scope (the caller audits the reveal). */
export async function memberRecord(trx: Scoped, memberId: number): Promise<MemberRecord | undefined> {
	const pattern = scopeLike(trx);
	const { rows } = await sql<MemberRecord>`
		select m.id, m.name, m.gender, m.birth_year, m.phone, m.status, m.joined_on, o.name as organisation,
		       b.address, case when h.id is null then null else h.unit || '单元' || h.room || '室' end as home,
		       w.address as workplace, m.reported_to_community, m.mobile
		from party_member m
		join party_org o on o.id = m.org_id
		left join building ob on ob.id = o.building_id
		left join household h on h.id = m.household_id
		left join building b on b.id = h.building_id
		left join building w on w.id = m.workplace_building_id
		where m.id = ${memberId}
		  and coalesce(b.grid_code, o.area_code, ob.grid_code) like ${pattern}`.execute(trx);
	return rows[0];
}
