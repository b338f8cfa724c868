// What the side panel shows for a selection: an area (by code) or a building (`b:<id>`).
import type { Db } from '../open.ts';
import { areaSummary, rootArea, type AreaSummary } from './areas.ts';
import { buildingSummary, type BuildingSummary } from './buildings.ts';
import { areaOrganisation, buildingOrganisations, type LeadingOrganisation } from './organisations.ts';

export type Selection =
	| ({ type: 'area'; organisation: LeadingOrganisation | null } & AreaSummary)
	| ({ type: 'building'; organisations: LeadingOrganisation[] } & BuildingSummary);

export const SELECTION_PATTERN = /^(\d{6}(\d{3}){0,3}|b:\d{1,15})$/;

/** The selection's panel, the district's when `sel` is empty; undefined when it names nothing. */
export async function selectionSummary(db: Db, sel: string | null): Promise<Selection | undefined> {
	if (!sel) {
		const root = await rootArea(db);
		return root ? selectionSummary(db, root.code) : undefined;
	}
	if (!SELECTION_PATTERN.test(sel)) return undefined;
	if (sel.startsWith('b:')) {
		const id = Number(sel.slice(2));
		const building = await buildingSummary(db, id);
		return building && { type: 'building', ...building, organisations: await buildingOrganisations(db, id) };
	}
	const area = await areaSummary(db, sel);
	return area && { type: 'area', ...area, organisation: await areaOrganisation(db, area.code, area.level) };
}
