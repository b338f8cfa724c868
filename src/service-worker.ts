// Offline viewing (issue 11 part 5). After one visit online, the grid pages open with the network
// off, read-only: the app shell (the built scripts and styles) is cached at install, and the grid
// pages and their data requests (GET /grid…, /grid/…/__data.json) are network-first with the cache
// as the fallback. Only answers the server marked as the signed-in account's own (the grid pages'
// loads send x-jiceng-account) are kept, in a cache whose name carries that account id; the cache
// of another account is deleted as soon as a new one's answer arrives, and every account cache is
// deleted when anyone signs in or out (a POST to /login or /logout passes by here). Nothing but GET
// is ever cached. Registered by the grid pages (src/lib/offline/viewing.ts), in a secure context
// only: over plain http there is no service worker, and the page says so.
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
import { build, files, version } from '$service-worker';

const sw = globalThis.self as unknown as ServiceWorkerGlobalScope;

const SHELL = `jiceng-shell-${version}`;
/** must agree with ACCOUNT_CACHE_PREFIX in src/lib/offline/viewing.ts */
const ACCOUNT_PREFIX = 'jiceng-grid-';
// the map's glyphs (500 files) are left out: the shell is the app's own code and styles
const ASSETS = [...build, ...files.filter((f) => !f.startsWith('/glyphs/'))];
const ASSET_SET = new Set(ASSETS);

sw.addEventListener('install', (event) => {
	event.waitUntil(
		caches
			.open(SHELL)
			.then((c) => c.addAll(ASSETS))
			.then(() => sw.skipWaiting())
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) if (key.startsWith('jiceng-shell-') && key !== SHELL) await caches.delete(key);
			await sw.clients.claim();
		})()
	);
});

/** deletes every account's cache but `keep`'s */
async function forgetAccounts(keep: string | null = null): Promise<void> {
	for (const key of await caches.keys()) if (key.startsWith(ACCOUNT_PREFIX) && key !== keep) await caches.delete(key);
}

const isGridPage = (path: string) => path === '/grid' || path.startsWith('/grid/');

async function networkFirst(request: Request): Promise<Response> {
	try {
		const response = await fetch(request);
		const account = response.headers.get('x-jiceng-account');
		if (response.status === 200 && account && /^\d{1,15}$/.test(account)) {
			const name = ACCOUNT_PREFIX + account;
			await forgetAccounts(name);
			await (await caches.open(name)).put(request, response.clone());
		}
		return response;
	} catch (e) {
		// no network: the last view, from the one account cache there is (another account's never stays)
		const name = (await caches.keys()).find((k) => k.startsWith(ACCOUNT_PREFIX));
		const cached = name ? await (await caches.open(name)).match(request) : undefined;
		if (cached) return cached;
		throw e;
	}
}

sw.addEventListener('fetch', (event) => {
	const url = new URL(event.request.url);
	if (url.origin !== sw.location.origin) return;
	if (event.request.method !== 'GET') {
		// signing in or out: no account's last view stays on the device (the request itself goes on untouched)
		if (event.request.method === 'POST' && (url.pathname === '/logout' || url.pathname === '/login')) event.waitUntil(forgetAccounts());
		return;
	}
	if (ASSET_SET.has(url.pathname)) {
		event.respondWith(caches.match(event.request, { cacheName: SHELL }).then((hit) => hit ?? fetch(event.request)));
		return;
	}
	if (isGridPage(url.pathname)) event.respondWith(networkFirst(event.request));
});

sw.addEventListener('message', (event) => {
	if (event.data === 'forget') event.waitUntil(forgetAccounts());
});
