// Households and members as the building panel receives them (masked on the server as the
// viewer's role requires): one type for the query that makes them and the panel that shows them.

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
