// The URL holds the selection, the camera and the layers, so a link reopens the same view.
// ?sel=420105001&v=114.21,30.55,13.2,0,45&layers=choropleth,buildings&ind=households&bc=kind
import { BUILDING_COLOURINGS, DATA_LAYERS, DEFAULT_LAYERS, INDICATORS, type BuildingColouring, type DataLayer, type Indicator } from './layers.ts';

export interface CameraView {
	lng: number;
	lat: number;
	zoom: number;
	bearing: number;
	pitch: number;
}

export interface MapUrlState {
	sel: string | null;
	view: CameraView | null;
	layers: DataLayer[];
	indicator: Indicator;
	colouring: BuildingColouring;
}

export function parseView(text: string | null): CameraView | null {
	if (!text) return null;
	const parts = text.split(',').map(Number);
	if (parts.length !== 5 || parts.some((n) => !Number.isFinite(n))) return null;
	const [lng, lat, zoom, bearing, pitch] = parts;
	if (Math.abs(lng) > 180 || Math.abs(lat) > 85 || zoom < 0 || zoom > 24 || pitch < 0 || pitch > 85) return null;
	return { lng, lat, zoom, bearing, pitch };
}

export function formatView(v: CameraView): string {
	return [v.lng.toFixed(5), v.lat.toFixed(5), v.zoom.toFixed(2), v.bearing.toFixed(0), v.pitch.toFixed(0)].join(',');
}

export function parseMapUrl(params: URLSearchParams): MapUrlState {
	const layersParam = params.get('layers');
	const layers =
		layersParam === null ? [...DEFAULT_LAYERS] : layersParam.split(',').filter((l): l is DataLayer => (DATA_LAYERS as readonly string[]).includes(l));
	const ind = params.get('ind');
	const bc = params.get('bc');
	return {
		sel: params.get('sel'),
		view: parseView(params.get('v')),
		layers,
		indicator: (INDICATORS as readonly string[]).includes(ind ?? '') ? (ind as Indicator) : 'member_density',
		colouring: (BUILDING_COLOURINGS as readonly string[]).includes(bc ?? '') ? (bc as BuildingColouring) : 'kind'
	};
}

/** A copy of `url` with the given parts of the state written into its query. */
export function withMapState(url: URL, state: Partial<MapUrlState>): URL {
	const next = new URL(url);
	const set = (key: string, value: string | null) => (value === null ? next.searchParams.delete(key) : next.searchParams.set(key, value));
	if ('sel' in state) set('sel', state.sel ?? null);
	if ('view' in state) set('v', state.view ? formatView(state.view) : null);
	if (state.layers) set('layers', state.layers.join(','));
	if (state.indicator) set('ind', state.indicator);
	if (state.colouring) set('bc', state.colouring);
	return next;
}
