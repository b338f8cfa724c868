// deck.gl layers over the tile endpoints. Each factory takes plain options and returns layers;
// the overlay component only passes them to MapboxOverlay.setProps.
import type { Layer, PickingInfo } from '@deck.gl/core';
// loaders.gl would fetch its tile-parsing worker from a public CDN: serve our copy instead
import mvtWorkerUrl from '@loaders.gl/mvt/mvt-worker.js?url';
import { MVTLayer } from '@deck.gl/geo-layers';
import { GeoJsonLayer, ScatterplotLayer, IconLayer } from '@deck.gl/layers';
import { HeatmapLayer } from '@deck.gl/aggregation-layers';
import {
	BLIND_SPOT_COLOUR,
	BUILDING_KIND_COLOURS,
	CENTRE_LEVELS,
	COVERAGE_COLOURS,
	RAMP,
	REQUEST_COLOURS,
	REQUEST_WORDS,
	WHATIF_COLOURS,
	classify,
	isCoverageIndicator,
	pinIcon,
	requestRadius,
	requestWorst,
	type BuildingColouring,
	type DataLayer,
	type Indicator
} from './layers.ts';
import { showCount } from '../small-cells.ts';
import { rememberZoomRange, zoomRange } from './tile-zooms.ts';
import type { Translate } from '../i18n/index.ts';

export interface DeckLayerOptions {
	origin: string;
	visible: DataLayer[];
	indicator: Indicator;
	colouring: BuildingColouring;
	zoom: number;
	/** the selected area code or building id, highlighted */
	selected: string | null;
	/** MapLibre layer id the deck layers are drawn beneath (labels stay on top) */
	beforeId: string;
	/** the planner's what-if station and its reach polygons (GeoJSON text per circle) */
	whatIf?: { lon: number; lat: number; reach: (string | null)[] } | null;
	/** suggested sites, numbered in order */
	suggestions?: { lon: number; lat: number; pinned: boolean }[];
	/** the data version the tiles are asked for (the big screen's live refresh: a new version, new tiles) */
	version?: string;
	/**
	 * requests move without a data version: what the requests tiles are asked for besides it (the big
	 * screen passes its open and overdue counts, so a change brings new tiles)
	 */
	requestsVersion?: string;
	/** a stored day replayed (the time slider): drawn instead of the live choropleth */
	replay?: Replay | null;
}

/** One stored day of coverage (GET /api/snapshots) over the areas' outlines, as the time slider replays it. */
export interface Replay {
	day: string;
	indicator: 'coverage_index' | 'share_15min';
	/** the areas' outlines (GET /api/areas/<level>.geojson), properties.code naming each */
	outlines: { type: 'FeatureCollection'; features: { type: 'Feature'; properties: { code: string }; geometry: unknown }[] };
	/** the indicator per area code that day (null: withheld, or no figure) */
	values: Record<string, number | null>;
	/** that day's blind spots */
	spots: { geometry: unknown }[];
}

type Props = Record<string, unknown>;
type Feature = { properties: Props; geometry: { coordinates: number[] } };

// the tile routes ignore query parameters: `v` only makes a new data version a new URL
const tiles = (o: { origin: string; version?: string }, layer: string) =>
	`${o.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${o.version ? `?v=${encodeURIComponent(o.version)}` : ''}`;
// tiles are asked at low priority: a browser holds 6 connections to one server, and deck.gl keeps
// up to 6 tile requests in flight per layer, so at normal priority the panels' and the big
// screen's small JSON requests queued behind dozens of tiles under load (issue 12: the wall showed
// 数据截至 while the server was fine). Under `core.fetch`, where deck.gl adds its abort signal.
const loadOptions = { mvt: { workerUrl: mvtWorkerUrl }, core: { fetch: { priority: 'low' } } };

/**
 * What an MVTLayer is given for a layer: its TileJSON (tile URLs with the data version, the zoom
 * range the server declares) once the range is known; until then the TileJSON's URL, which the
 * layer loads itself (and the range is remembered for the next build).
 */
function tileSource(o: { origin: string; version?: string }, layer: string): Props {
	const range = zoomRange(o.origin, layer);
	if (range) return { data: { tilejson: '3.0.0', tiles: [tiles(o, layer)], ...range } };
	return { data: `${o.origin}/tiles/${layer}.json`, onDataLoad: (tileJson: unknown) => rememberZoomRange(o.origin, layer, tileJson) };
}

type TileIndex = { x: number; y: number; z: number };
const lonLatCache = new WeakMap<Feature, [number, number]>();

/**
 * MVTLayer hands sublayers tile-local coordinates (0..1, y down) plus a model matrix. Point
 * layers of our own (icons, heatmap) take plain lon/lat instead, so a heatmap blends across tiles.
 */
function lonLat(f: Feature, tile: TileIndex): [number, number] {
	let p = lonLatCache.get(f);
	if (!p) {
		const n = 2 ** tile.z;
		const [x, y] = f.geometry.coordinates;
		const lng = ((tile.x + x) / n) * 360 - 180;
		const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (tile.y + y)) / n))) * 180) / Math.PI;
		p = [lng, lat];
		lonLatCache.set(f, p);
	}
	return p;
}

/** the tile layers the deck layers below draw from (their zoom ranges are loaded up front) */
export const DECK_TILE_LAYERS = [
	'communities',
	'grids',
	'coverage_community',
	'coverage_grid',
	'buildings',
	'members',
	'requests',
	'gaps',
	'service_centres'
] as const;

export function buildDeckLayers(o: DeckLayerOptions): Layer[] {
	const on = (l: DataLayer) => o.visible.includes(l);
	const layers: Layer[] = [];
	if (o.replay) {
		const r = o.replay;
		const ind = r.indicator;
		layers.push(
			new GeoJsonLayer({
				id: 'replay-areas',
				data: r.outlines,
				beforeId: o.beforeId,
				pickable: false,
				filled: true,
				stroked: true,
				getFillColor: (f: { properties: { code: string } }) => {
					const value = r.values[f.properties.code];
					if (value === null || value === undefined) return [168, 162, 158, 60];
					// as the live choropleth: coverage reads the other way round, a gap stands out
					return [...RAMP[RAMP.length - 1 - RAMP.indexOf(classify(ind, value))], 160];
				},
				getLineColor: [87, 83, 78, 160],
				lineWidthMinPixels: 1,
				updateTriggers: { getFillColor: [r.day, ind] }
			} as Props),
			new GeoJsonLayer({
				id: 'replay-blind-spots',
				data: { type: 'FeatureCollection', features: r.spots.map((s) => ({ type: 'Feature', properties: {}, geometry: s.geometry })) },
				beforeId: o.beforeId,
				filled: true,
				stroked: true,
				getFillColor: [...BLIND_SPOT_COLOUR, 90],
				getLineColor: [...BLIND_SPOT_COLOUR, 230],
				lineWidthMinPixels: 2,
				updateTriggers: { getFillColor: [r.day] }
			} as Props)
		);
	} else if (on('choropleth')) {
		// communities below z13, grids above: the level a planner compares at that scale
		const coverage = isCoverageIndicator(o.indicator);
		const level = coverage ? (o.zoom < 13 ? 'coverage_community' : 'coverage_grid') : o.zoom < 13 ? 'communities' : 'grids';
		layers.push(
			new MVTLayer({
				id: `choropleth-${level}`,
				...tileSource(o, level),
				loadOptions,
				pickable: true,
				autoHighlight: true,
				highlightColor: [255, 213, 79, 120],
				beforeId: o.beforeId,
				getFillColor: (f: Feature) => {
					const value = Number(f.properties[o.indicator] ?? 0);
					// coverage reads the other way round: a gap is what should stand out
					const colour = coverage ? RAMP[RAMP.length - 1 - RAMP.indexOf(classify(o.indicator, value))] : classify(o.indicator, value);
					return [...colour, 150];
				},
				getLineColor: [120, 113, 108, 0],
				lineWidthMinPixels: 0,
				updateTriggers: { getFillColor: [o.indicator] }
			} as Props)
		);
	}
	if (on('buildings')) {
		layers.push(
			new MVTLayer({
				id: 'buildings',
				...tileSource(o, 'buildings'),
				loadOptions,
				pickable: true,
				autoHighlight: true,
				highlightColor: [255, 213, 79, 220],
				extruded: true,
				beforeId: o.beforeId,
				getElevation: (f: Feature) => Number(f.properties.height ?? 3),
				getFillColor: (f: Feature) => buildingColour(f.properties, o.colouring, o.selected),
				material: { ambient: 0.45, diffuse: 0.6, shininess: 16 },
				updateTriggers: { getFillColor: [o.colouring, o.selected] }
			} as Props)
		);
	}
	if (on('members')) {
		layers.push(
			new MVTLayer({
				id: 'members',
				...tileSource(o, 'members'),
				loadOptions,
				binary: false,
				pickable: true,
				beforeId: o.beforeId,
				renderSubLayers: (props: Props & { id: string; data: Feature[]; tile: { index: TileIndex } }) =>
					o.zoom >= 16
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
		);
	}
	if (on('requests')) {
		// per grid to z13 (circles sized by the open requests, amber or red when some are overdue);
		// from z14 one point per request for those who see persons (the others' tiles stay per grid)
		const version = [o.version, o.requestsVersion].filter(Boolean).join('.');
		layers.push(
			new MVTLayer({
				id: 'requests',
				...tileSource({ origin: o.origin, version: version || undefined }, 'requests'),
				loadOptions,
				binary: false,
				pickable: true,
				beforeId: o.beforeId,
				renderSubLayers: (props: Props & { id: string; data: Feature[]; tile: { index: TileIndex } }) =>
					new ScatterplotLayer({
						id: `${props.id}-points`,
						data: props.data,
						pickable: true,
						radiusUnits: 'pixels',
						getPosition: (f: Feature) => lonLat(f, props.tile.index),
						getRadius: (f: Feature) => requestRadius(f.properties),
						getFillColor: (f: Feature) => [...REQUEST_COLOURS[requestWorst(f.properties)].colour, f.properties.kind === 'grid' ? 190 : 235],
						getLineColor: [255, 255, 255],
						lineWidthMinPixels: 1.5,
						stroked: true
					})
			} as Props)
		);
	}
	if (on('blind_spots')) {
		layers.push(
			new MVTLayer({
				id: 'blind_spots',
				...tileSource(o, 'gaps'),
				loadOptions,
				pickable: true,
				autoHighlight: true,
				highlightColor: [255, 213, 79, 160],
				beforeId: o.beforeId,
				getFillColor: [...BLIND_SPOT_COLOUR, 70],
				getLineColor: [...BLIND_SPOT_COLOUR, 230],
				lineWidthMinPixels: 1.5
			} as Props)
		);
	}
	if (on('service_centres')) {
		layers.push(
			new MVTLayer({
				id: 'service_centres',
				...tileSource(o, 'service_centres'),
				loadOptions,
				binary: false,
				pickable: true,
				beforeId: o.beforeId,
				renderSubLayers: (props: Props & { id: string; data: Feature[]; tile: { index: TileIndex } }) =>
					new IconLayer({
						id: `${props.id}-icons`,
						data: props.data,
						pickable: true,
						getPosition: (f: Feature) => lonLat(f, props.tile.index),
						getIcon: (f: Feature) => {
							const level = CENTRE_LEVELS[String(f.properties.level)] ?? CENTRE_LEVELS.station;
							return { id: String(f.properties.level), url: pinIcon(level.colour), width: 48, height: 64, anchorY: 64 };
						},
						getSize: (f: Feature) => (CENTRE_LEVELS[String(f.properties.level)] ?? CENTRE_LEVELS.station).size,
						sizeUnits: 'pixels'
					})
			} as Props)
		);
	}
	if (o.whatIf) {
		const reach = o.whatIf.reach
			.map((text, i) => (text ? { type: 'Feature', properties: { circle: i + 1 }, geometry: JSON.parse(text) } : null))
			.filter((f) => f !== null)
			.reverse(); // the widest circle underneath
		layers.push(
			new GeoJsonLayer({
				id: 'whatif-reach',
				data: { type: 'FeatureCollection', features: reach },
				beforeId: o.beforeId,
				getFillColor: (f: { properties: { circle: number } }) => [...WHATIF_COLOURS[f.properties.circle - 1], 45],
				getLineColor: (f: { properties: { circle: number } }) => [...WHATIF_COLOURS[f.properties.circle - 1], 200],
				lineWidthMinPixels: 1.5
			} as Props),
			new ScatterplotLayer({
				id: 'whatif-station',
				data: [o.whatIf],
				getPosition: (d: { lon: number; lat: number }) => [d.lon, d.lat],
				radiusUnits: 'pixels',
				getRadius: 9,
				getFillColor: [22, 163, 74],
				getLineColor: [255, 255, 255],
				lineWidthMinPixels: 2,
				stroked: true
			})
		);
	}
	if (o.suggestions?.length) {
		layers.push(
			new ScatterplotLayer({
				id: 'suggested-sites',
				data: o.suggestions,
				getPosition: (d: { lon: number; lat: number }) => [d.lon, d.lat],
				radiusUnits: 'pixels',
				getRadius: 10,
				getFillColor: (d: { pinned: boolean }) => (d.pinned ? [124, 58, 237] : [234, 88, 12]),
				getLineColor: [255, 255, 255],
				lineWidthMinPixels: 2,
				stroked: true
			})
		);
	}
	return layers;
}

function buildingColour(p: Props, colouring: BuildingColouring, selected: string | null): [number, number, number, number] {
	if (selected === `b:${p.id}`) return [255, 193, 7, 255];
	if (colouring === 'coverage') {
		// the server says whether it is a member building (coverage-rules.ts): `members` may be withheld
		const memberBuilding = Number(p.member_building) === 1;
		const key = p.covered ? 'covered' : memberBuilding ? 'gap' : 'none';
		return [...COVERAGE_COLOURS[key].colour, 235];
	}
	return [...(BUILDING_KIND_COLOURS[String(p.kind)] ?? BUILDING_KIND_COLOURS.mixed).colour, 235];
}

/** Hover text for any picked feature, in the current locale; no personal details are in the tiles to show. */
export function tooltipText(info: PickingInfo, { t, n }: { t: Translate; n: (value: number) => string }): string | null {
	const p = (info.object as Feature | undefined)?.properties;
	if (!p) return null;
	// counts withheld from a viewer who sees no persons are left out of the tile: they read `<3`
	const count = (k: string) => showCount(p[k] as number | undefined, n);
	// a tile attribute as it is (a number is formatted for the locale), `—` when absent
	const value = (x: unknown): string | number => (typeof x === 'number' ? x : x === null || x === undefined ? '—' : String(x));
	const layerId = info.layer?.id ?? '';
	if (layerId.startsWith('buildings')) {
		const kind = BUILDING_KIND_COLOURS[String(p.kind)]?.label;
		return t('tooltip.building', {
			kind: kind ? t(kind) : value(p.kind),
			floors: value(p.floors),
			members: count('members'),
			covered: t(p.covered ? 'tooltip.covered' : 'tooltip.not_covered')
		});
	}
	if (layerId.startsWith('choropleth-coverage')) {
		const share = p.share_15min === null || p.share_15min === undefined ? '—' : `${Math.round(Number(p.share_15min) * 100)}%`;
		return t('tooltip.coverage_area', {
			name: value(p.name),
			share,
			index: p.coverage_index === undefined || p.coverage_index === null ? '—' : Number(p.coverage_index).toFixed(1),
			rank: value(p.rank),
			rectify: p.rectify ? t('tooltip.rectify') : '',
			blind_spots: value(p.blind_spots)
		});
	}
	if (layerId.startsWith('blind_spots')) {
		return t('tooltip.blind_spot', { households: count('households'), buildings: value(p.buildings), kinds: value(p.gap_kinds) });
	}
	if (layerId.startsWith('choropleth')) {
		const coverage = `${Math.round(Number(p.org_coverage ?? 0) * 100)}%`;
		return t('tooltip.area', { name: value(p.name), households: count('households'), members: count('members'), density: value(p.member_density), coverage });
	}
	if (layerId.startsWith('service_centres')) {
		const level = CENTRE_LEVELS[String(p.level)]?.label;
		return `${p.name}\n${level ? t(level) : p.level}`;
	}
	if (layerId.startsWith('requests')) {
		if (p.kind === 'grid') return t('tooltip.requests_grid', { grid: value(p.grid_code), open: count('open'), amber: count('amber'), red: count('red') });
		const word = (field: string) => {
			const key = REQUEST_WORDS[`${field}.${String(p[field])}`];
			return key ? t(key) : value(p[field]);
		};
		return t('tooltip.request', {
			category: word('category'),
			state: word('state'),
			urgency: word('urgency'),
			level: word('level'),
			overdue: p.overdue === 'red' || p.overdue === 'amber' ? ` · ${t(REQUEST_COLOURS[p.overdue].label)}` : ''
		});
	}
	if (layerId.startsWith('members')) {
		return t('tooltip.members', { members: count('members'), central: p.central ? t('tooltip.central') : '' });
	}
	return null;
}

export interface GridDeckOptions {
	origin: string;
	beforeId: string;
	/** the grid shown: buildings of other grids (a secretary's tiles hold the community) are drawn faint */
	grid: string;
	/** buildings the list keeps (null: no filter, every building as it is) */
	highlight: ReadonlySet<number> | null;
	/** the building chosen in the list */
	selected: number | null;
	/** household spots (a central household's page): where the households it looks after live */
	spots?: { at: [number, number]; count: number; central: boolean }[];
}

/**
 * The grid page's light 2D map (issue 11): the buildings tiles flat, coloured by kind; those the
 * list's filter keeps stand out and the rest fade; optional household spots over them.
 */
export function gridDeckLayers(o: GridDeckOptions): Layer[] {
	const layers: Layer[] = [
		new MVTLayer({
			id: 'grid-buildings',
			...tileSource(o, 'buildings'),
			loadOptions,
			pickable: true,
			autoHighlight: true,
			highlightColor: [255, 213, 79, 200],
			extruded: false,
			stroked: true,
			beforeId: o.beforeId,
			getFillColor: (f: Feature) => {
				const p = f.properties;
				if (p.grid_code !== o.grid) return [214, 211, 209, 110];
				if (o.selected === Number(p.id)) return [255, 193, 7, 255];
				if (o.highlight && !o.highlight.has(Number(p.id))) return [231, 229, 228, 200];
				return [...(BUILDING_KIND_COLOURS[String(p.kind)] ?? BUILDING_KIND_COLOURS.mixed).colour, 240];
			},
			getLineColor: (f: Feature) => (o.highlight?.has(Number(f.properties.id)) ? [185, 28, 28, 255] : [120, 113, 108, 160]),
			getLineWidth: (f: Feature) => (o.highlight?.has(Number(f.properties.id)) ? 2 : 1),
			lineWidthUnits: 'pixels',
			updateTriggers: { getFillColor: [o.grid, o.selected, o.highlight], getLineColor: [o.highlight], getLineWidth: [o.highlight] }
		} as Props)
	];
	if (o.spots?.length) {
		layers.push(
			new ScatterplotLayer({
				id: 'grid-spots',
				data: o.spots,
				getPosition: (d: { at: [number, number] }) => d.at,
				radiusUnits: 'pixels',
				getRadius: (d: { count: number; central: boolean }) => (d.central ? 11 : 6 + Math.min(6, d.count)),
				getFillColor: (d: { central: boolean }) => (d.central ? [185, 28, 28, 245] : [29, 78, 216, 220]),
				getLineColor: [255, 255, 255],
				lineWidthMinPixels: 2,
				stroked: true
			})
		);
	}
	return layers;
}
