import type { Handle, ServerInit } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';

// open (and migrate) the database once, before the first request
export const init: ServerInit = async () => {
	await getDb();
};

export const handle: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	return response;
};
