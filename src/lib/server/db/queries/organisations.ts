// The party organisation that leads an area or covers a building, with its secretary's seat.
import { sql, type RawBuilder } from 'kysely';
import type { Scoped } from '../scoped.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { maskName } from '../../../privacy.ts';
import { smallCount } from '../../privacy/small-cells.ts';
import type { LeadingOrganisation } from '../../../api/selection.ts';

export type { LeadingOrganisation };

// which kind of organisation leads each level (六级组织体系)
const AREA_ORG_KINDS: Record<string, string[]> = {
	district: ['district_committee'],
	street: ['street_committee'],
	community: ['community_committee', 'village_committee'],
	grid: ['grid_branch']
};

async function describe(trx: Scoped, where: RawBuilder<boolean>, viewer: Viewer): Promise<LeadingOrganisation[]> {
	const { rows } = await sql<{ id: number; kind: string; name: string; secretary: string | null; filled: boolean; members: number }>`
		select o.id, o.kind, o.name, s.name as secretary, o.secretary_id is not null as filled,
		       (select count(*) from party_member m where m.org_id = o.id)::int as members
		from party_org o left join party_member s on s.id = o.secretary_id
		where ${where}
		order by o.id`.execute(trx);
	return rows.map(({ filled, secretary, members, ...r }) => {
		const shown = smallCount(members, viewer);
		return {
			...r,
			secretary_seat: filled ? 'filled' : 'empty',
			secretary: !viewer.persons || secretary === null ? null : viewer.unmasked ? secretary : maskName(secretary),
			members: shown,
			...(shown === null ? { suppressed: ['members'] } : {})
		};
	});
}

export async function areaOrganisation(trx: Scoped, code: string, level: string, viewer: Viewer): Promise<LeadingOrganisation | null> {
	const kinds = AREA_ORG_KINDS[level] ?? [];
	if (!kinds.length) return null;
	const [org] = await describe(trx, sql<boolean>`o.area_code = ${code} and o.kind in (${sql.join(kinds)})`, viewer);
	return org ?? null;
}

export async function buildingOrganisations(trx: Scoped, buildingId: number, viewer: Viewer): Promise<LeadingOrganisation[]> {
	return describe(trx, sql<boolean>`o.building_id = ${buildingId}`, viewer);
}
