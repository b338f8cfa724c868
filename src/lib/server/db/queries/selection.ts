// What the side panel shows for a selection: an area (by code) or a building (`b:<id>`),
// always within the viewer's scope.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { areaSummary, scopeRoot, type AreaSummary } from './areas.ts';
import { buildingSummary, type BuildingSummary } from './buildings.ts';
import { areaOrganisation, buildingOrganisations, type LeadingOrganisation } from './organisations.ts';

export type Selection =
	| ({ type: 'area'; organisation: LeadingOrganisation | null } & AreaSummary)
	| ({ type: 'building'; organisations: LeadingOrganisation[] } & BuildingSummary);

export const SELECTION_PATTERN = /^(\d{6}(\d{3}){0,3}|b:\d{1,15})$/;

/** The selection's panel, the top of the viewer's area when `sel` is empty; undefined when it names nothing they may see. */
export async function selectionSummary(db: Kysely<Database>, sel: string | null, viewer: Viewer): Promise<Selection | undefined> {
	if (!sel) {
		const root = await scopeRoot(db, viewer.scope);
		return root ? selectionSummary(db, root.code, viewer) : undefined;
	}
	if (!SELECTION_PATTERN.test(sel)) return undefined;
	if (sel.startsWith('b:')) {
		const id = Number(sel.slice(2));
		const building = await buildingSummary(db, id, viewer.scope);
		return building && { type: 'building', ...building, organisations: await buildingOrganisations(db, id, viewer) };
	}
	const area = await areaSummary(db, sel, viewer.scope);
	return area && { type: 'area', ...area, organisation: await areaOrganisation(db, area.code, area.level, viewer) };
}
