/// <reference types="vite/client" />
// The bare page of `npm run bench:map`: the app's tile layers (grid/community choropleth,
// extruded buildings, members heatmap or points, service centre pins, roads) drawn by MapLibre
// and deck.gl interleaved — and nothing else: no Svelte, no panels, no area outlines or labels.
// It is the yardstick the app is measured against in the same run, so it is written on its own
// (not from src/lib/map) with the layer types and options the app uses, and served by
// bench/map-bare/serve.ts, which proxies /tiles/* to the app with a signed-in session.
//
// Query: ?v=lng,lat,zoom,bearing,pitch&layers=choropleth,buildings,members,service_centres,roads
// (the app's deep-link forms). The same test hooks as the app: window.__jicengMap,
// __jicengMapIdle, __jicengDeckLoaded.
import 'maplibre-gl/dist/maplibre-gl.css';
import { Map as MapLibreMap, type StyleSpecification } from 'maplibre-gl';
import { MapboxOverlay } from '@deck.gl/mapbox';
import type { Layer } from '@deck.gl/core';
import { MVTLayer } from '@deck.gl/geo-layers';
import { IconLayer, ScatterplotLayer } from '@deck.gl/layers';
import { HeatmapLayer } from '@deck.gl/aggregation-layers';
// no CDN: loaders.gl's tile-parsing worker from this server
import mvtWorkerUrl from '@loaders.gl/mvt/mvt-worker.js?url';

type Props = Record<string, unknown>;
type Feature = { properties: Props; geometry: { coordinates: number[] } };
type TileIndex = { x: number; y: number; z: number };
type RGB = [number, number, number];

const w = window as unknown as Record<string, unknown>;
const origin = location.origin;
const query = new URLSearchParams(location.search);
const on = new Set((query.get('layers') ?? 'choropleth,buildings,members,service_centres,roads').split(','));
const tiles = (layer: string) => `${origin}/tiles/${layer}/{z}/{x}/{y}.mvt`;
const loadOptions = { mvt: { workerUrl: mvtWorkerUrl } };

// ------------------------------------------------------------------ colours (as the app's)
const DENSITY_BREAKS = [0, 500, 1000, 2000, 4000, 8000];
const RAMP: RGB[] = [
	[255, 245, 235],
	[254, 217, 184],
	[253, 174, 107],
	[241, 105, 19],
	[196, 55, 10],
	[127, 29, 29]
];
const ramp = (v: number) => {
	let i = 0;
	while (i + 1 < DENSITY_BREAKS.length && v >= DENSITY_BREAKS[i + 1]) i++;
	return RAMP[i];
};
const KIND: Record<string, RGB> = {
	residential: [222, 184, 135],
	office: [96, 125, 170],
	commercial: [214, 120, 150],
	school: [120, 170, 110],
	public: [150, 120, 190],
	industrial: [140, 140, 140],
	mixed: [200, 160, 90]
};
const CENTRE: Record<string, { colour: RGB; size: number }> = {
	district: { colour: [183, 28, 28], size: 40 },
	street: { colour: [216, 67, 21], size: 34 },
	community: { colour: [239, 108, 0], size: 28 },
	station: { colour: [249, 168, 37], size: 22 }
};
const pin = ([r, g, b]: RGB) =>
	`data:image/svg+xml;base64,${btoa(`<svg xmlns="http://www.w3.org/2000/svg" width="48" height="64" viewBox="0 0 48 64"><path d="M24 62C24 62 4 38 4 24a20 20 0 0 1 40 0c0 14-20 38-20 38z" fill="rgb(${r},${g},${b})" stroke="#fff" stroke-width="3"/><circle cx="24" cy="24" r="8" fill="#ffd54f"/></svg>`)}`;

// ------------------------------------------------------------------ base style: roads only
const ROADS = [
	{ cls: 'footway', width: 0.6, minzoom: 15 },
	{ cls: 'local', width: 1, minzoom: 13 },
	{ cls: 'secondary', width: 1.8, minzoom: 11 },
	{ cls: 'arterial', width: 2.8, minzoom: 10 }
];
const style: StyleSpecification = {
	version: 8,
	sources: { roads: { type: 'vector', tiles: [tiles('roads')], minzoom: 10, maxzoom: 16 } },
	layers: [
		{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
		...ROADS.map(({ cls, width, minzoom }) => ({
			id: `road-${cls}`,
			type: 'line' as const,
			source: 'roads',
			'source-layer': 'roads',
			minzoom,
			filter: ['==', ['get', 'class'], cls] as ['==', ['get', string], string],
			layout: { 'line-cap': 'round' as const, 'line-join': 'round' as const, visibility: on.has('roads') ? ('visible' as const) : ('none' as const) },
			paint: {
				'line-color': cls === 'arterial' ? '#ffe9b3' : '#ffffff',
				'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, width * 0.4, 16, width * 4] as unknown as number
			}
		}))
	]
};

// ------------------------------------------------------------------ deck layers
const lonLatCache = new WeakMap<Feature, [number, number]>();
function lonLat(f: Feature, tile: TileIndex): [number, number] {
	let p = lonLatCache.get(f);
	if (!p) {
		const n = 2 ** tile.z;
		const [x, y] = f.geometry.coordinates;
		p = [((tile.x + x) / n) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * (tile.y + y)) / n))) * 180) / Math.PI];
		lonLatCache.set(f, p);
	}
	return p;
}

/** the layers change form at z13 (communities → grids) and z16 (heatmap → points), as the app's */
const band = (z: number) => (z < 13 ? 12 : z < 16 ? 15 : 16);

function layers(zoomBand: number): Layer[] {
	const level = zoomBand < 13 ? 'communities' : 'grids';
	type SubProps = Props & { id: string; data: Feature[]; tile: { index: TileIndex } };
	const all: [string, Layer][] = [
		[
			'choropleth',
			new MVTLayer({
				id: `choropleth-${level}`,
				data: tiles(level),
				minZoom: 8,
				maxZoom: 16,
				loadOptions,
				pickable: true,
				autoHighlight: true,
				highlightColor: [255, 213, 79, 120],
				getFillColor: (f: Feature) => [...ramp(Number(f.properties.member_density ?? 0)), 150],
				getLineColor: [120, 113, 108, 0],
				lineWidthMinPixels: 0
			} as Props)
		],
		[
			'buildings',
			new MVTLayer({
				id: 'buildings',
				data: tiles('buildings'),
				minZoom: 13,
				maxZoom: 16,
				loadOptions,
				pickable: true,
				autoHighlight: true,
				highlightColor: [255, 213, 79, 220],
				extruded: true,
				getElevation: (f: Feature) => Number(f.properties.height ?? 3),
				getFillColor: (f: Feature) => [...(KIND[String(f.properties.kind)] ?? KIND.mixed), 235],
				material: { ambient: 0.45, diffuse: 0.6, shininess: 16 }
			} as Props)
		],
		[
			'members',
			new MVTLayer({
				id: 'members',
				data: tiles('members'),
				minZoom: 10,
				maxZoom: 18,
				loadOptions,
				binary: false,
				pickable: true,
				renderSubLayers: (props: SubProps) =>
					zoomBand >= 16
						? new ScatterplotLayer({
								id: `${props.id}-points`,
								data: props.data,
								pickable: true,
								radiusUnits: 'pixels',
								getPosition: (f: Feature) => lonLat(f, props.tile.index),
								getRadius: (f: Feature) => 4 + Math.min(6, Number(f.properties.members)),
								getFillColor: (f: Feature) => (f.properties.central ? [183, 28, 28, 240] : [229, 57, 53, 200]),
								getLineColor: [255, 255, 255],
								lineWidthMinPixels: 1,
								stroked: true
							})
						: new HeatmapLayer({
								id: `${props.id}-heat`,
								data: props.data,
								getPosition: (f: Feature) => lonLat(f, props.tile.index),
								getWeight: (f: Feature) => Number(f.properties.members ?? 1),
								radiusPixels: 40,
								intensity: 1,
								threshold: 0.05
							})
			} as Props)
		],
		[
			'service_centres',
			new MVTLayer({
				id: 'service_centres',
				data: tiles('service_centres'),
				minZoom: 10,
				maxZoom: 16,
				loadOptions,
				binary: false,
				pickable: true,
				renderSubLayers: (props: SubProps) =>
					new IconLayer({
						id: `${props.id}-icons`,
						data: props.data,
						pickable: true,
						sizeUnits: 'pixels',
						getPosition: (f: Feature) => lonLat(f, props.tile.index),
						getIcon: (f: Feature) => {
							const c = CENTRE[String(f.properties.level)] ?? CENTRE.station;
							return { id: String(f.properties.level), url: pin(c.colour), width: 48, height: 64, anchorY: 64 };
						},
						getSize: (f: Feature) => (CENTRE[String(f.properties.level)] ?? CENTRE.station).size
					})
			} as Props)
		]
	];
	return all.filter(([name]) => on.has(name)).map(([, layer]) => layer);
}

// ------------------------------------------------------------------ the map
const v = (query.get('v') ?? '116.4853,39.9491,11,0,0').split(',').map(Number);
const map = new MapLibreMap({
	container: 'map',
	style,
	center: [v[0], v[1]],
	zoom: v[2],
	bearing: v[3],
	pitch: v[4],
	attributionControl: false,
	maxPitch: 70
});
map.on('idle', () => (w.__jicengMapIdle = true));
map.on('dataloading', () => (w.__jicengMapIdle = false));
let zoomBand = band(map.getZoom());
let current = layers(zoomBand);
const overlay = new MapboxOverlay({
	interleaved: true,
	layers: current,
	onAfterRender: () => (w.__jicengDeckLoaded = current.every((l) => l.isLoaded))
});
map.on('zoom', () => {
	const b = band(map.getZoom());
	if (b === zoomBand) return;
	zoomBand = b;
	current = layers(b);
	overlay.setProps({ layers: current });
});
map.once('load', () => {
	map.addControl(overlay);
	w.__jicengMap = map;
});
