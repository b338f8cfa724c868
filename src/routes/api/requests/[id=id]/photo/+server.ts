// A request's photo (issue 11 part 3). POST: the image itself as the body (the device resized it;
// at most 1 MiB, read with that ceiling before anything is parsed); the type is recognised by its
// bytes, every metadata segment removed (src/lib/server/requests/photo.ts); anything that is not a
// JPEG or PNG is refused (400 photo_not_image) and nothing is stored. GET: the stored photo, in the
// caller's area only (404 otherwise).
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { personViewer } from '$lib/server/api/guards';
import { readCapped } from '$lib/server/api/body';
import { rowId } from '$lib/api/inputs';
import { requestPhotoAnswer } from '$lib/api/requests';
import { getRequest, requestPhoto, RequestError, setRequestPhoto } from '$lib/server/db/queries/requests';
import { cleanPhoto, PHOTO_MAX_BYTES } from '$lib/server/requests/photo';
import { visitActorOf } from '$lib/server/db/queries/visits';
import { audit } from '$lib/server/auth/audit';

export const POST = endpoint(
	{ guard: personViewer, params: v.object({ id: rowId }), tx: 'none' },
	async ({ caller, input, db, scoped, event, clientAddress }) => {
		const actor = visitActorOf(caller, clientAddress);
		if (!actor) error(403, 'forbidden');
		const { id } = input.params;
		const deny = async (code: string, status: number): Promise<never> => {
			await audit(db.kysely, { ...actor, action: 'edit', object: `request:${id}:photo ${code}`, result: 'denied' });
			error(status, code);
		};
		let bytes: Uint8Array;
		try {
			bytes = await readCapped(event.request, PHOTO_MAX_BYTES, 'photo');
		} catch (e) {
			if (e && typeof e === 'object' && 'status' in e && e.status === 413) return deny('photo_too_large', 413);
			throw e;
		}
		const photo = cleanPhoto(bytes);
		if (!photo.ok) return deny(photo.error, photo.status);
		try {
			await scoped((trx) => setRequestPhoto(trx, actor, id, photo));
		} catch (e) {
			if (!(e instanceof RequestError)) throw e;
			return deny(e.code, e.status);
		}
		return reply(
			requestPhotoAnswer,
			{ id, has_photo: true, bytes: photo.bytes.length, type: photo.type },
			{ headers: { 'cache-control': 'private, no-store' } }
		);
	}
);

export const GET = endpoint({ guard: personViewer, params: v.object({ id: rowId }) }, async ({ caller, input, trx, clientAddress }) => {
	const actor = visitActorOf(caller, clientAddress);
	if (!actor) error(403, 'forbidden');
	try {
		if (!(await getRequest(trx, actor, input.params.id))) error(404, 'not_found');
	} catch (e) {
		if (e instanceof RequestError) error(e.status, e.code);
		throw e;
	}
	const photo = await requestPhoto(trx, input.params.id);
	if (!photo) error(404, 'no photo');
	return new Response(new Uint8Array(photo.bytes), {
		headers: { 'content-type': photo.type, 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff', 'content-disposition': 'inline' }
	});
});
