// Offline viewing (issue 11 part 5): the grid pages register the service worker
// (src/service-worker.ts), which keeps the last view of the grid pages for the signed-in account.
// Service workers exist only in a secure context (https, or localhost/127.0.0.1): over plain http
// on an intranet the page says so instead, and only the outbox (IndexedDB) works.
import { dev } from '$app/environment';

/** whether this page can have offline viewing at all */
export function offlineViewingPossible(): boolean {
	return typeof window !== 'undefined' && window.isSecureContext && 'serviceWorker' in navigator;
}

/** registers the service worker (once per page; the browser keeps it across pages) */
export function registerOfflineViewing(): void {
	if (!offlineViewingPossible()) return;
	navigator.serviceWorker.register('/service-worker.js', { type: dev ? 'module' : 'classic' }).catch((e: unknown) => {
		console.warn('offline viewing: the service worker did not register', e);
	});
}

/** the caches the service worker keeps for accounts (their names carry the account id) */
export const ACCOUNT_CACHE_PREFIX = 'jiceng-grid-';
