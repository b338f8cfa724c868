// The load of both print pages: the caller's scope only (an area outside it is a 404, as on the map),
// and each print written to the audit log as an export.
import { error, type RequestEvent } from '@sveltejs/kit';
import type { Db } from '../db/open.ts';
import type { OpenScoped } from '../api/endpoint.ts';
import type { Viewer } from '../auth/viewer.ts';
import { audit } from '../auth/audit.ts';
import { printPage } from './sheets.ts';
import type { Orientation, Paper, PrintPageData } from '../../api/print.ts';

export async function loadPrint(ctx: {
	caller: Viewer;
	db: Db;
	scoped: OpenScoped;
	event: RequestEvent;
	clientAddress: string;
	code: string;
	query: { paper: Paper; orientation: Orientation };
	atlas: boolean;
}): Promise<PrintPageData> {
	const { caller, code, query, atlas } = ctx;
	const data = await ctx.scoped((trx) => printPage(trx, caller, code, { ...query, atlas }));
	if (!data) error(404, `no area with code ${code}`);
	await audit(ctx.db.kysely, {
		accountId: caller.accountId,
		username: caller.username,
		role: caller.principal,
		clientAddr: ctx.clientAddress,
		action: 'export',
		object: `${atlas ? 'atlas' : 'print'} ${code} ${query.paper} ${query.orientation}: ${data.sheets.length} pages`,
		result: 'ok'
	});
	ctx.event.setHeaders({ 'cache-control': 'private, no-store' });
	return data;
}
