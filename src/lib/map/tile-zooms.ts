// Each layer's zoom range as the server declares it (its TileJSON, made from the tile
// declarations in tiles/sources.ts), so the client never hard-codes one that drifts from the
// server's. Loaded once per page for the layers in use; until a layer's range is known, its
// deck.gl layer is handed the TileJSON URL and reads the range itself.

export interface ZoomRange {
	minzoom: number;
	maxzoom: number;
}

const known = new Map<string, ZoomRange>();
const loading = new Map<string, Promise<ZoomRange | null>>();
const key = (origin: string, layer: string) => `${origin} ${layer}`;

/** the range read from the layer's TileJSON, if it has been loaded */
export function zoomRange(origin: string, layer: string): ZoomRange | undefined {
	return known.get(key(origin, layer));
}

/** remembers a range (from a TileJSON the map loaded itself) */
export function rememberZoomRange(origin: string, layer: string, tileJson: unknown): void {
	const t = tileJson as Partial<ZoomRange> | null;
	if (t && Number.isFinite(t.minzoom) && Number.isFinite(t.maxzoom)) known.set(key(origin, layer), { minzoom: t.minzoom!, maxzoom: t.maxzoom! });
}

/** loads the TileJSON of each layer not yet known; resolves when all have answered (or failed) */
export function loadZoomRanges(origin: string, layers: readonly string[], signal?: AbortSignal): Promise<unknown> {
	return Promise.all(
		layers.map((layer) => {
			const k = key(origin, layer);
			if (known.has(k)) return known.get(k)!;
			let p = loading.get(k);
			if (!p) {
				p = fetch(`${origin}/tiles/${layer}.json`, { signal })
					.then((r) => (r.ok ? r.json() : null))
					.then((t: unknown) => {
						rememberZoomRange(origin, layer, t);
						return known.get(k) ?? null;
					})
					.catch(() => null)
					.finally(() => loading.delete(k));
				loading.set(k, p);
			}
			return p;
		})
	);
}
