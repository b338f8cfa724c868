// Field mapping: which source attribute fills which of our fields, with value tables (OSM's
// `kind_detail: apartments` → our `kind: residential`), constants (`--set level=street`) and
// per-source habits (OSM pieces cut at tile edges share an id: merge them). Profiles are named and
// reusable: built in (osm-*), saved in the database (import_profile, sql/014), or a JSON file.
import type { ImportLayer } from './types.ts';

/** a source attribute, several joined (an address from street and number), or a constant */
export type FieldSource = string | string[] | { const: string | number };

export interface MappingProfile {
	name: string;
	layer: ImportLayer;
	fields: Partial<Record<string, FieldSource>>;
	/** per field: source value → our value; `*` for any other; null means "not imported" */
	values?: Partial<Record<string, Record<string, string | null>>>;
	/** prefix of source ids, so two sources' ids cannot collide (e.g. "osm:") */
	sourcePrefix?: string;
	/** features sharing a source id are pieces of one (cut at tile edges): merge them */
	mergeDuplicates?: boolean;
}

/** The fields of each layer: our name → the source names tried, in order, when no profile maps it. */
export const FIELDS: Record<ImportLayer, Record<string, string[]>> = {
	areas: {
		code: ['code', 'adcode', 'admincode', 'areacode', 'qhdm', '编码', '代码', '区划代码', '行政区划代码'],
		name: ['name', 'mc', 'qhmc', 'qh', '名称', '区划名称'],
		level: ['level', '级别', '层级'],
		kind: ['kind', '类型'],
		parent_code: ['parent_code', 'parent', 'pcode', '上级编码', '上级代码']
	},
	buildings: {
		source_id: ['source_id', 'id', 'osm_id', 'code', 'bm', '编码', '楼栋编码'],
		name: ['name', 'mc', '名称', '楼栋名称'],
		address: ['address', 'addr', 'dz', '地址'],
		kind: ['kind_detail', 'building', 'kind', 'type', '类型', '用途'],
		floors: ['floors', 'building:levels', 'levels', 'cs', '层数'],
		height: ['height', 'gd', '高度'],
		units: ['units', '单元数'],
		grid_code: ['grid_code', '网格编码']
	},
	roads: {
		source_id: ['source_id', 'id', 'osm_id', 'code', '编码'],
		class: ['class', 'highway', 'kind_detail', 'fclass', '道路等级', '等级'],
		name: ['name', '名称', '道路名称']
	},
	service_centres: {
		source_id: ['source_id', 'id', 'osm_id', 'code', '编码'],
		name: ['name', '名称'],
		level: ['level', '级别'],
		area_code: ['area_code', '所属区划', '区划代码'],
		services: ['services', '服务', '服务项目'],
		opening_hours: ['opening_hours', 'open_hours', '开放时间']
	}
};

/** Columns that give a tabular row its geometry. */
export const GEOMETRY_COLUMNS = {
	lon: ['lon', 'lng', 'long', 'longitude', 'x', '经度', 'jd'],
	lat: ['lat', 'latitude', 'y', '纬度', 'wd'],
	wkt: ['wkt', 'geom', 'geometry', 'the_geom', 'shape', '几何']
};

const BUILDING_KIND: Record<string, string | null> = {
	residential: 'residential',
	apartments: 'residential',
	house: 'residential',
	detached: 'residential',
	dormitory: 'residential',
	terrace: 'residential',
	住宅: 'residential',
	office: 'office',
	办公: 'office',
	写字楼: 'office',
	commercial: 'commercial',
	retail: 'commercial',
	mall: 'commercial',
	shop: 'commercial',
	hotel: 'commercial',
	supermarket: 'commercial',
	商业: 'commercial',
	school: 'school',
	university: 'school',
	kindergarten: 'school',
	college: 'school',
	学校: 'school',
	public: 'public',
	hospital: 'public',
	civic: 'public',
	government: 'public',
	train_station: 'public',
	church: 'public',
	temple: 'public',
	museum: 'public',
	公共: 'public',
	industrial: 'industrial',
	warehouse: 'industrial',
	factory: 'industrial',
	工业: 'industrial',
	mixed: 'mixed',
	'*': 'mixed'
};

const ROAD_CLASS: Record<string, string | null> = {
	motorway: null,
	motorway_link: null,
	trunk: 'arterial',
	trunk_link: 'arterial',
	primary: 'arterial',
	primary_link: 'arterial',
	secondary: 'secondary',
	secondary_link: 'secondary',
	tertiary: 'secondary',
	tertiary_link: 'secondary',
	residential: 'local',
	unclassified: 'local',
	service: 'local',
	living_street: 'local',
	road: 'local',
	footway: 'footway',
	pedestrian: 'footway',
	path: 'footway',
	steps: 'footway',
	cycleway: 'footway',
	track: 'footway',
	arterial: 'arterial',
	local: 'local',
	主干路: 'arterial',
	快速路: 'arterial',
	次干路: 'secondary',
	支路: 'local',
	步行道: 'footway',
	'*': null
};

/** Built-in profiles: OSM as the shared real data has it (vector-tile exports) and as ogr2ogr reads .osm/.pbf. */
export const BUILT_IN: MappingProfile[] = [
	{
		name: 'osm-buildings',
		layer: 'buildings',
		sourcePrefix: 'osm:',
		mergeDuplicates: true,
		fields: {
			source_id: ['id', 'osm_id', 'osm_way_id'],
			name: 'name',
			address: ['addr_street', 'addr_housenumber'],
			kind: ['kind_detail', 'building'],
			floors: 'building:levels',
			height: 'height'
		},
		values: { kind: { ...BUILDING_KIND, yes: 'mixed' } }
	},
	{
		name: 'osm-roads',
		layer: 'roads',
		sourcePrefix: 'osm:',
		mergeDuplicates: true,
		fields: { source_id: ['id', 'osm_id'], class: ['kind_detail', 'highway'], name: 'name' },
		values: { class: ROAD_CLASS }
	}
];

export const DEFAULT_VALUES: Partial<Record<ImportLayer, Record<string, Record<string, string | null>>>> = {
	buildings: { kind: BUILDING_KIND },
	roads: { class: ROAD_CLASS },
	areas: {
		level: {
			district: 'district',
			street: 'street',
			community: 'community',
			village: 'community',
			grid: 'grid',
			区: 'district',
			县: 'district',
			街道: 'street',
			镇: 'street',
			乡: 'street',
			社区: 'community',
			村: 'community',
			网格: 'grid'
		},
		kind: { community: 'community', village: 'village', 社区: 'community', 村: 'village', 居委会: 'community', 村委会: 'village' }
	},
	service_centres: {
		level: {
			district: 'district',
			street: 'street',
			community: 'community',
			station: 'station',
			区: 'district',
			街道: 'street',
			社区: 'community',
			服务站: 'station',
			便民服务站: 'station'
		}
	}
};

/** The lookup a profile (or none) gives: for each of our fields, how to read it from properties. */
export interface ResolvedMapping {
	profile: string;
	fields: Record<string, FieldSource | null>;
	values: Record<string, Record<string, string | null>>;
	sourcePrefix: string;
	mergeDuplicates: boolean;
	geometry: { lon: string | null; lat: string | null; wkt: string | null };
}

/** Matches our fields to the first feature's attribute names (case-insensitive), under a profile. */
export function resolveMapping(layer: ImportLayer, columns: string[], profile: MappingProfile | null, constants: Record<string, string>): ResolvedMapping {
	const lower = new Map(columns.map((c) => [c.toLowerCase(), c]));
	const find = (names: string[]) => names.map((n) => lower.get(n.toLowerCase())).find((c) => c !== undefined) ?? null;
	const fields: Record<string, FieldSource | null> = {};
	for (const [field, aliases] of Object.entries(FIELDS[layer])) {
		if (constants[field] !== undefined) fields[field] = { const: constants[field] };
		else if (profile?.fields[field] !== undefined) fields[field] = profile.fields[field]!;
		else fields[field] = find(aliases);
	}
	const values: Record<string, Record<string, string | null>> = { ...(DEFAULT_VALUES[layer] ?? {}) };
	for (const [k, v] of Object.entries(profile?.values ?? {})) if (v) values[k] = v;
	return {
		profile: profile?.name ?? 'auto',
		fields,
		values,
		sourcePrefix: profile?.sourcePrefix ?? '',
		mergeDuplicates: profile?.mergeDuplicates ?? false,
		geometry: { lon: find(GEOMETRY_COLUMNS.lon), lat: find(GEOMETRY_COLUMNS.lat), wkt: find(GEOMETRY_COLUMNS.wkt) }
	};
}

function present(v: unknown): boolean {
	return v !== undefined && v !== null && String(v).trim() !== '';
}

/** Reads one of our fields from a feature's properties (a list: the first present, or for address all joined). */
export function readField(m: ResolvedMapping, field: string, props: Record<string, unknown>): string | null {
	const src = m.fields[field];
	if (src == null) return null;
	if (typeof src === 'object' && !Array.isArray(src)) return String(src.const);
	if (Array.isArray(src)) {
		if (field === 'address') {
			const parts = src
				.map((s) => props[s])
				.filter(present)
				.map((v) => String(v).trim());
			return parts.length ? parts.join('') : null;
		}
		const hit = src.map((s) => props[s]).find(present);
		return hit === undefined ? null : String(hit).trim();
	}
	const v = props[src];
	return present(v) ? String(v).trim() : null;
}

/** Applies the field's value table: the mapped value, null for "not imported", or undefined when no table applies. */
export function mapValue(m: ResolvedMapping, field: string, v: string): string | null | undefined {
	const table = m.values[field];
	if (!table) return undefined;
	const k = v.trim();
	if (k in table) return table[k];
	if (k.toLowerCase() in table) return table[k.toLowerCase()];
	if ('*' in table) return table['*'];
	return undefined;
}

export function builtInProfile(name: string): MappingProfile | null {
	return BUILT_IN.find((p) => p.name === name) ?? null;
}

/** A profile as JSON (a file or the database), checked enough to be used. */
export function parseProfile(value: unknown, fallbackName: string): MappingProfile {
	const p = value as Partial<MappingProfile>;
	if (!p || typeof p !== 'object' || typeof p.fields !== 'object' || p.fields === null) throw new Error('a mapping profile needs "layer" and "fields"');
	if (!['areas', 'buildings', 'roads', 'service_centres'].includes(String(p.layer))) throw new Error(`mapping profile: unknown layer ${String(p.layer)}`);
	return {
		name: typeof p.name === 'string' ? p.name : fallbackName,
		layer: p.layer as ImportLayer,
		fields: p.fields,
		values: p.values,
		sourcePrefix: p.sourcePrefix,
		mergeDuplicates: p.mergeDuplicates
	};
}
