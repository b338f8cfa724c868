// Households and members as the building panel receives them (masked on the server as the
// viewer's role requires): one type for the query that makes them and the panel that shows them.
import * as v from 'valibot';
import { agrees, count } from './contract.ts';

export interface MemberLine {
	id: number;
	name: string;
	gender: 'male' | 'female';
	mobile: boolean;
}

export interface HouseholdLine {
	id: number;
	/** unit/floor/room for viewers who see homes; null when homes are shown at building level */
	home: { unit: number; floor: number; room: string } | null;
	residents: number;
	members: MemberLine[];
	central: boolean;
	looked_after: boolean;
}

export interface MemberRecord {
	id: number;
	name: string;
	gender: 'male' | 'female';
	birth_year: number;
	phone: string | null;
	status: 'formal' | 'probationary';
	joined_on: string;
	organisation: string;
	address: string | null;
	home: string | null;
	workplace: string | null;
	reported_to_community: boolean;
	mobile: boolean;
}

// ---- the answers' contract (contract.ts) ----

export const memberLine = agrees<MemberLine>()(v.object({ id: count, name: v.string(), gender: v.picklist(['male', 'female']), mobile: v.boolean() }));

export const householdLine = agrees<HouseholdLine>()(
	v.object({
		id: count,
		home: v.nullable(v.object({ unit: count, floor: v.pipe(v.number(), v.integer()), room: v.string() })),
		residents: count,
		members: v.array(memberLine),
		central: v.boolean(),
		looked_after: v.boolean()
	})
);

/** GET /api/buildings/<id>/households */
export const householdsAnswer = v.object({ masked: v.boolean(), households: v.array(householdLine) });

/** POST /api/members/<id>/reveal: one member unmasked (audited) */
export const memberRecordAnswer = agrees<MemberRecord>()(
	v.object({
		id: count,
		name: v.string(),
		gender: v.picklist(['male', 'female']),
		birth_year: count,
		phone: v.nullable(v.string()),
		status: v.picklist(['formal', 'probationary']),
		joined_on: v.string(),
		organisation: v.string(),
		address: v.nullable(v.string()),
		home: v.nullable(v.string()),
		workplace: v.nullable(v.string()),
		reported_to_community: v.boolean(),
		mobile: v.boolean()
	})
);
