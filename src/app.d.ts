// See https://svelte.dev/docs/kit/types#app.d.ts
import type { SessionUser } from '$lib/server/auth/sessions';
import type { Viewer } from '$lib/server/auth/viewer';
import type { Screen } from '$lib/server/auth/kiosk';

declare global {
	namespace App {
		interface Error {
			message: string;
		}
		interface Locals {
			/** the signed-in account, if any */
			user: SessionUser | null;
			/** what the caller may see: from the session or the screen's kiosk token */
			viewer: Viewer | null;
			/** the big screen whose kiosk token came with the request, if that is who asks */
			screen: Screen | null;
		}
	}
}

export {};
