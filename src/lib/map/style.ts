// The base map style, built in code from our own sources only: nothing leaves the intranet.
// https://maplibre.org/maplibre-style-spec/
import type { StyleSpecification } from 'maplibre-gl';
import { palette } from './palette.ts';

export const FONT_REGULAR = ['Noto Sans Regular'];
export const FONT_BOLD = ['Noto Sans Bold'];
/** CJK is drawn by the browser from this family: only non-ideograph glyph ranges are shipped. */
export const LOCAL_IDEOGRAPH_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif";

export function baseStyle(origin: string): StyleSpecification {
	const areas = (level: string) => ({ type: 'geojson' as const, data: `${origin}/api/areas/${level}.geojson`, promoteId: 'code' });
	return {
		version: 8,
		name: 'jiceng-base',
		glyphs: `${origin}/glyphs/{fontstack}/{range}.pbf`,
		sources: {
			streets: areas('street'),
			communities: areas('community'),
			grids: areas('grid')
		},
		layers: [
			{ id: 'background', type: 'background', paint: { 'background-color': palette.background } },
			{
				id: 'street-fill',
				type: 'fill',
				source: 'streets',
				paint: { 'fill-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#fde68a', '#fbf7ef'], 'fill-opacity': 0.6 }
			},
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
