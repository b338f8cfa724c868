// An atlas (issue 13 part 2): one page per child area — a community's grids, a street's communities — each with its figures.
// Within the caller's scope only (otherwise 404), audited as an export.
import * as v from 'valibot';
import { pageLoad } from '$lib/server/api/page';
import { mapPage } from '$lib/server/api/guards';
import { areaCode } from '$lib/api/inputs';
import { printQuery } from '$lib/api/print';
import { loadPrint } from '$lib/server/print/load';

export const load = pageLoad(
	{ guard: mapPage, params: v.object({ code: areaCode }), query: printQuery, tx: 'none' },
	async ({ caller, input, db, scoped, event, clientAddress }) =>
		loadPrint({ caller, db, scoped, event, clientAddress, code: input.params.code, query: input.query, atlas: true })
);
