// The map handed down to layers and panels without prop drilling.
import { getContext, setContext } from 'svelte';
import type { Map } from 'maplibre-gl';

const KEY = Symbol('jiceng.map');

export class MapContext {
	map = $state.raw<Map | null>(null);

	static provide(): MapContext {
		return setContext(KEY, new MapContext());
	}

	static get(): MapContext {
		const context = getContext<MapContext | undefined>(KEY);
		if (!context) throw new Error('Map context not found: use inside <MapView>');
		return context;
	}
}
