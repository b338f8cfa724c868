import { describe, expect, it } from 'vitest';
import { formatView, parseMapUrl, parseView, withMapState } from '../../src/lib/map/url-state.ts';
import { DEFAULT_LAYERS } from '../../src/lib/map/layers.ts';

describe('map URL state', () => {
	it('round-trips selection, camera, layers and indicator', () => {
		const url = withMapState(new URL('http://x/'), {
			sel: '420105001',
			view: { lng: 114.21, lat: 30.55, zoom: 13.25, bearing: -20, pitch: 45 },
			layers: ['buildings', 'members'],
			indicator: 'households',
			colouring: 'coverage'
		});
		const state = parseMapUrl(url.searchParams);
		expect(state).toEqual({
			sel: '420105001',
			view: { lng: 114.21, lat: 30.55, zoom: 13.25, bearing: -20, pitch: 45 },
			layers: ['buildings', 'members'],
			indicator: 'households',
			colouring: 'coverage'
		});
	});

	it('falls back to defaults on hostile or broken input', () => {
		const state = parseMapUrl(new URLSearchParams('v=1,2,3&layers=evil,buildings&ind=<script>&bc=x'));
		expect(state.view).toBeNull();
		expect(state.layers).toEqual(['buildings']);
		expect(state.indicator).toBe('member_density');
		expect(state.colouring).toBe('kind');
		expect(parseMapUrl(new URLSearchParams('')).layers).toEqual(DEFAULT_LAYERS);
		expect(parseView('200,0,10,0,0')).toBeNull();
		expect(parseView('NaN,0,10,0,0')).toBeNull();
		expect(parseView(formatView({ lng: 1, lat: 2, zoom: 3, bearing: 4, pitch: 5 }))).toEqual({ lng: 1, lat: 2, zoom: 3, bearing: 4, pitch: 5 });
	});

	it('removes the selection when it is cleared', () => {
		const url = withMapState(new URL('http://x/?sel=420105&layers=roads'), { sel: null });
		expect(url.search).toBe('?layers=roads');
	});
});
