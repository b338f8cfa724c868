// A least-recently-used cache of finished tiles, bounded by bytes. Keys carry the data version
// (see service.ts), so a write makes every older entry unreachable; the service also clears the
// cache when it sees the version move, to free the memory at once.

export interface CachedTile {
	/** gzip-compressed MVT bytes; null for an empty tile (answered 204) */
	gzip: Uint8Array | null;
	etag: string | null;
	/** uncompressed size, for logs and the bench */
	rawBytes: number;
}

export class TileCache {
	readonly maxBytes: number;
	#bytes = 0;
	#map = new Map<string, CachedTile>();

	/** @param maxBytes budget over all entries (default 64 MiB) */
	constructor(maxBytes = 64 * 1024 * 1024) {
		this.maxBytes = maxBytes;
	}

	get size(): number {
		return this.#map.size;
	}

	get bytes(): number {
		return this.#bytes;
	}

	get(key: string): CachedTile | undefined {
		const hit = this.#map.get(key);
		if (hit) {
			// a Map iterates in insertion order: re-inserting marks it most recent
			this.#map.delete(key);
			this.#map.set(key, hit);
		}
		return hit;
	}

	set(key: string, tile: CachedTile): void {
		const cost = weigh(key, tile);
		if (cost > this.maxBytes) return;
		const old = this.#map.get(key);
		if (old) {
			this.#bytes -= weigh(key, old);
			this.#map.delete(key);
		}
		this.#map.set(key, tile);
		this.#bytes += cost;
		for (const [k, v] of this.#map) {
			if (this.#bytes <= this.maxBytes) break;
			this.#map.delete(k);
			this.#bytes -= weigh(k, v);
		}
	}

	clear(): void {
		this.#map.clear();
		this.#bytes = 0;
	}
}

function weigh(key: string, tile: CachedTile): number {
	return (tile.gzip?.byteLength ?? 0) + key.length * 2 + 100;
}
