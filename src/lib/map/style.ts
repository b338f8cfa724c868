// The base map style, built in code from our own sources only: nothing leaves the intranet.
// https://maplibre.org/maplibre-style-spec/
import type { StyleSpecification } from 'maplibre-gl';
import { palette } from './palette.ts';

export const FONT_REGULAR = ['Noto Sans Regular'];
export const FONT_BOLD = ['Noto Sans Bold'];
/** CJK is drawn by the browser from this family: only non-ideograph glyph ranges are shipped. */
export const LOCAL_IDEOGRAPH_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif";

export const ROAD_CLASSES = [
	{ cls: 'footway', width: 0.6, minzoom: 15 },
	{ cls: 'local', width: 1, minzoom: 13 },
	{ cls: 'secondary', width: 1.8, minzoom: 11 },
	{ cls: 'arterial', width: 2.8, minzoom: 10 }
] as const;

/** The first label layer: deck.gl layers are drawn beneath it, so labels stay readable. */
export const FIRST_LABEL_LAYER = 'grid-label';

export function baseStyle(origin: string): StyleSpecification {
	const areas = (level: string) => ({ type: 'geojson' as const, data: `${origin}/api/areas/${level}.geojson`, promoteId: 'code' });
	return {
		version: 8,
		name: 'jiceng-base',
		glyphs: `${origin}/glyphs/{fontstack}/{range}.pbf`,
		sources: {
			streets: areas('street'),
			communities: areas('community'),
			grids: areas('grid'),
			// TileJSON: the tile URL and zoom range as the server declares them
			roads: { type: 'vector', url: `${origin}/tiles/roads.json` }
		},
		layers: [
			{ id: 'background', type: 'background', paint: { 'background-color': palette.background } },
			{
				id: 'street-fill',
				type: 'fill',
				source: 'streets',
				paint: { 'fill-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#fde68a', '#fbf7ef'], 'fill-opacity': 0.6 }
			},
			// invisible fills: what a click on the map hits, level by level
			...(['grids', 'communities'] as const).map((source) => ({
				id: `${source}-hit`,
				type: 'fill' as const,
				source,
				paint: { 'fill-color': '#000', 'fill-opacity': 0 }
			})),
			...ROAD_CLASSES.map(({ cls, width, minzoom }) => ({
				id: `road-${cls}`,
				type: 'line' as const,
				source: 'roads',
				'source-layer': 'roads',
				minzoom,
				filter: ['==', ['get', 'class'], cls] as ['==', ['get', string], string],
				layout: { 'line-cap': 'round' as const, 'line-join': 'round' as const },
				paint: {
					'line-color': cls === 'arterial' ? '#ffe9b3' : '#ffffff',
					'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, width * 0.4, 16, width * 4] as unknown as number
				}
			})),
			{
				id: 'grid-line',
				type: 'line',
				source: 'grids',
				minzoom: 12,
				paint: { 'line-color': palette.grid, 'line-width': 0.6, 'line-dasharray': [3, 2], 'line-opacity': 0.7 }
			},
			{
				id: 'community-line',
				type: 'line',
				source: 'communities',
				paint: { 'line-color': palette.community, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 15, 2] }
			},
			{
				id: 'street-line',
				type: 'line',
				source: 'streets',
				paint: { 'line-color': palette.street, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1.5, 15, 4] }
			},
			{
				id: 'grid-label',
				type: 'symbol',
				source: 'grids',
				minzoom: 14.5,
				layout: { 'text-field': ['get', 'name'], 'text-font': FONT_REGULAR, 'text-size': 11 },
				paint: { 'text-color': palette.grid, 'text-halo-color': palette.labelHalo, 'text-halo-width': 1.2 }
			},
			{
				id: 'community-label',
				type: 'symbol',
				source: 'communities',
				minzoom: 12.5,
				maxzoom: 15,
				layout: { 'text-field': ['get', 'name'], 'text-font': FONT_REGULAR, 'text-size': 12 },
				paint: { 'text-color': palette.community, 'text-halo-color': palette.labelHalo, 'text-halo-width': 1.5 }
			},
			{
				id: 'street-label',
				type: 'symbol',
				source: 'streets',
				maxzoom: 13,
				layout: { 'text-field': ['get', 'name'], 'text-font': FONT_BOLD, 'text-size': 15 },
				paint: { 'text-color': palette.street, 'text-halo-color': palette.labelHalo, 'text-halo-width': 2 }
			}
		]
	};
}
