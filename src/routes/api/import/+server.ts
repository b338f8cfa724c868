// POST /api/import?layer=…&name=…[&dry_run=1…] with the file as the body: a district
// administrator imports within their district (the scope comes from the session). The answer is
// a stream of JSON lines — progress while the file is read and checked, then the result with the
// report, its CSV and a preview of the first features. Every run is written to the audit log.
import { error } from '@sveltejs/kit';
import { endpoint } from '$lib/server/api/endpoint';
import { replyLine } from '$lib/server/api/reply';
import { accountRole } from '$lib/server/api/guards';
import { importLine, importQuery, type ImportLine } from '$lib/api/import';
import { audit } from '$lib/server/auth/audit';
import { withScope } from '$lib/server/db/scoped';
import { parseCrs } from '$lib/server/import/crs';
import { runImport, saveProfile } from '$lib/server/import/run';
import { reportCsv } from '$lib/server/import/report';
import { safeName, saveUpload, uploadLimit, UploadTooLarge } from '$lib/server/import/upload';
import { UnreadableFile } from '$lib/server/import/types';

// one import at a time in this process: the embedded database has one connection, which an
// import holds for its whole transaction
let busy = false;

export const POST = endpoint({ guard: accountRole('district_admin'), query: importQuery, tx: 'none' }, async ({ caller, input, db, event, clientAddress }) => {
	const q = input.query;
	const declared = Number(event.request.headers.get('content-length') ?? 0);
	if (declared > uploadLimit()) error(413, `body: the file is larger than the upload limit of ${Math.round(uploadLimit() / 1048576)} MB`);
	if (!event.request.body) error(400, 'body: send the file as the request body');
	const srid = q.crs ? parseCrs(q.crs) : undefined;
	if (srid === null) error(400, 'query.crs: must be EPSG:<code>, wgs84, cgcs2000 or webmercator');
	if (busy) error(409, 'another import is running: try again when it has finished');
	busy = true;
	const name = safeName(q.name);
	let upload: Awaited<ReturnType<typeof saveUpload>>;
	try {
		upload = await saveUpload(event.request.body, name);
	} catch (e) {
		busy = false;
		if (e instanceof UploadTooLarge) error(413, `body: ${e.message}`);
		throw e;
	}
	const encoder = new TextEncoder();
	const who = { accountId: caller.accountId, username: caller.username, role: caller.role, clientAddr: clientAddress };
	const stream = new ReadableStream<Uint8Array>({
		async start(controller) {
			const send = (line: ImportLine) => controller.enqueue(encoder.encode(replyLine(importLine, line)));
			try {
				const r = await runImport(db, upload.file, {
					layer: q.layer,
					mapping: q.mapping || undefined,
					srid: srid ?? undefined,
					encoding: q.encoding || undefined,
					set: q.level ? { level: q.level } : {},
					repair: q.repair === '1',
					fromGcj02: q.from_gcj02 === '1',
					dryRun: q.dry_run === '1',
					scope: caller.areaCode,
					displayName: name,
					onProgress: (p) => send({ type: 'progress', ...p })
				});
				if (q.save_mapping) await withScope(db, caller.areaCode, (trx) => saveProfile(trx, { ...r.mapping_used, name: q.save_mapping }, caller.username));
				await audit(db.kysely, {
					...who,
					action: 'import',
					result: 'ok',
					object: `${q.layer} ${name}: ${r.features} features, ${r.accepted} accepted, ${r.dry_run ? 'dry run' : r.committed ? `committed (${r.written.inserted} new, ${r.written.updated} updated)` : r.refused.length ? 'refused by the hierarchy checks' : 'nothing changed'}`
				});
				const { mapping_used: _m, ...rest } = r;
				send({
					type: 'result',
					...rest,
					refused: r.refused.map((v) => `${v.rule}: ${v.detail}`),
					report: r.report.slice(0, 1000),
					report_csv: reportCsv(r.report)
				});
			} catch (e) {
				const message = e instanceof UnreadableFile ? e.message : `the import failed, nothing was changed: ${(e as Error).message.split('\n')[0]}`;
				await audit(db.kysely, { ...who, action: 'import', result: 'error', object: `${q.layer} ${name}: ${message.slice(0, 200)}` }).catch(() => {});
				send({ type: 'error', message });
			} finally {
				busy = false;
				await upload.remove();
				controller.close();
			}
		}
	});
	return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
});
