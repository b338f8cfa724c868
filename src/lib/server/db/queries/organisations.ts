// The party organisation that leads an area or covers a building, with its secretary.
import { sql } from 'kysely';
import type { Db } from '../open.ts';
import { maskName } from '../../../privacy.ts';

export interface LeadingOrganisation {
	id: number;
	kind: string;
	name: string;
	/** masked: 张*明; null when the seat is empty */
	secretary: string | null;
	members: number;
}

// which kind of organisation leads each level (六级组织体系)
const AREA_ORG_KINDS: Record<string, string[]> = {
	district: ['district_committee'],
	street: ['street_committee'],
	community: ['community_committee', 'village_committee'],
	grid: ['grid_branch']
};

async function describe(db: Db, where: ReturnType<typeof sql<boolean>>): Promise<LeadingOrganisation[]> {
	const { rows } = await sql<{ id: number; kind: string; name: string; secretary: string | null; members: number }>`
		select o.id, o.kind, o.name, s.name as secretary,
		       (select count(*) from party_member m where m.org_id = o.id)::int as members
		from party_org o left join party_member s on s.id = o.secretary_id
		where ${where}
		order by o.id`.execute(db.kysely);
	return rows.map((r) => ({ ...r, secretary: r.secretary === null ? null : maskName(r.secretary) }));
}

export async function areaOrganisation(db: Db, code: string, level: string): Promise<LeadingOrganisation | null> {
	const kinds = AREA_ORG_KINDS[level] ?? [];
	if (!kinds.length) return null;
	const [org] = await describe(db, sql<boolean>`o.area_code = ${code} and o.kind in (${sql.join(kinds)})`);
	return org ?? null;
}

export async function buildingOrganisations(db: Db, buildingId: number): Promise<LeadingOrganisation[]> {
	return describe(db, sql<boolean>`o.building_id = ${buildingId}`);
}
