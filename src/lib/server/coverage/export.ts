// Exports of rankings, blind spots and site suggestions: CSV that opens in Excel (UTF-8 with a
// BOM, CRLF line ends, RFC 4180 quoting, headers in Chinese with the English key in brackets) and
// GeoJSON. The rows come from the same query functions as the map and the panels (store.ts), so
// an exported figure is the figure on screen — shaped for the viewer by the same functions too
// (privacy/coverage.ts): a count withheld from a viewer who sees no persons is `<3` in the CSV and
// null, listed in the feature's `suppressed`, in GeoJSON (src/lib/small-cells.ts).
import type { OrgRankingRow } from '../db/queries/coverage.ts';
import type { Suggestion } from './suggest.ts';
import type { ShownAreaCoverageRow, ShownBlindSpotRow } from '../privacy/coverage.ts';
import { cellValue } from '../privacy/small-cells.ts';
import { csvCell } from '../csv.ts';

export interface CsvColumn<T> {
	key: string;
	zh: string;
	value: (row: T) => unknown;
}

const BOM = '\uFEFF';

/** One CSV field: quoted when it must be; text that Excel would run as a formula is defused. */
export const csvField = csvCell;

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
	const lines = [columns.map((c) => csvField(`${c.zh} (${c.key})`)).join(',')];
	for (const r of rows) lines.push(columns.map((c) => csvField(c.value(r))).join(','));
	return BOM + lines.join('\r\n') + '\r\n';
}

/** a column of the row's field; a field the row lists in `suppressed` reads `<3` */
const col = <T extends object>(key: keyof T & string, zh: string): CsvColumn<T> => ({ key, zh, value: (r) => cellValue(r, key) });

export const AREA_RANKING_COLUMNS: CsvColumn<ShownAreaCoverageRow>[] = [
	col('rank', '排名'),
	col('rank_of', '参评数'),
	col('code', '区域编码'),
	col('name', '名称'),
	col('level', '层级'),
	col('coverage_index', '覆盖指数'),
	col('service_score', '服务覆盖'),
	col('organisation_score', '组织覆盖'),
	col('work_score', '工作覆盖'),
	col('households', '户数'),
	col('hh_5min', '5分钟生活圈户数'),
	col('share_5min', '5分钟生活圈占比'),
	col('hh_10min', '10分钟生活圈户数'),
	col('share_10min', '10分钟生活圈占比'),
	col('hh_15min', '15分钟生活圈户数'),
	col('share_15min', '15分钟生活圈占比'),
	col('hh_cared', '有人联系户数'),
	col('hh_visited_30d', '近30天走访户数'),
	col('share_visited_30d', '近30天走访占比'),
	col('hh_visited_90d', '近90天走访户数'),
	col('share_visited_90d', '近90天走访占比'),
	col('grids', '网格数'),
	col('grids_with_branch', '已建党支部网格数'),
	col('member_buildings', '党员楼栋数'),
	col('member_buildings_covered', '已覆盖党员楼栋数'),
	col('key_buildings', '楼宇园区商圈数'),
	col('key_buildings_covered', '已覆盖楼宇园区商圈数'),
	col('orgs', '党组织数'),
	col('orgs_with_secretary', '书记到位数'),
	col('blind_spots', '盲区数'),
	col('hh_in_blind_spots', '盲区户数'),
	col('rectify', '整顿对象'),
	col('requests', '群众诉求数'),
	col('requests_open', '未办结诉求数'),
	col('requests_overdue', '超时诉求数'),
	col('response_hours', '平均响应时长（小时）'),
	col('resolution_hours', '平均办结时长（小时）')
];

export const ORG_RANKING_COLUMNS: CsvColumn<OrgRankingRow>[] = [
	col('rank', '排名'),
	col('rank_of', '参评数'),
	col('org_id', '组织编号'),
	col('name', '组织名称'),
	col('kind', '类型'),
	col('area_code', '区域编码'),
	col('secretary', '书记到位'),
	col('coverage_index', '覆盖指数'),
	col('service_score', '服务覆盖'),
	col('organisation_score', '组织覆盖'),
	col('work_score', '工作覆盖'),
	col('rectify', '整顿对象')
];

export const BLIND_SPOT_COLUMNS: CsvColumn<ShownBlindSpotRow>[] = [
	col('id', '盲区编号'),
	col('households', '受影响户数'),
	col('buildings', '楼栋数'),
	col('gap_kinds', '缺口类型'),
	col('gap_rules', '缺口规则'),
	col('grid_code', '网格编码'),
	col('grid_name', '网格名称'),
	col('community_code', '社区编码'),
	col('lon', '经度'),
	col('lat', '纬度')
];

/** a suggestion as shown: gains withheld from viewers without person access (privacy/small-cells.ts) */
export type ShownSuggestion = Omit<Suggestion, 'gain' | 'cumulative'> & { gain: number | null; cumulative: number | null; suppressed?: string[] };

export const SUGGESTION_COLUMNS: CsvColumn<ShownSuggestion & { order: number }>[] = [
	col('order', '序号'),
	col('key', '站点标识'),
	col('kind', '类型'),
	col('pinned', '已固定'),
	col('gain', '新增覆盖户数'),
	col('cumulative', '累计新增户数'),
	col('lon', '经度'),
	col('lat', '纬度')
];

export const areaRankingsCsv = (rows: readonly ShownAreaCoverageRow[]) => toCsv(AREA_RANKING_COLUMNS, rows);
export const orgRankingsCsv = (rows: readonly OrgRankingRow[]) => toCsv(ORG_RANKING_COLUMNS, rows);
export const blindSpotsCsv = (rows: readonly ShownBlindSpotRow[]) => toCsv(BLIND_SPOT_COLUMNS, rows);
export const suggestionsCsv = (rows: readonly ShownSuggestion[]) =>
	toCsv(
		SUGGESTION_COLUMNS,
		rows.map((r, k) => ({ ...r, order: k + 1 }))
	);

export interface FeatureCollection {
	type: 'FeatureCollection';
	features: { type: 'Feature'; id?: number | string; geometry: unknown; properties: Record<string, unknown> }[];
}

/** Blind spots with their hulls (rows read with `geometry: true`). */
export function blindSpotsGeoJson(rows: readonly ShownBlindSpotRow[]): FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: rows.map(({ geojson, building_ids, ...p }) => ({
			type: 'Feature',
			id: p.id,
			geometry: geojson ? JSON.parse(geojson) : { type: 'Point', coordinates: [p.lon, p.lat] },
			properties: { ...p, building_ids }
		}))
	};
}

export function suggestionsGeoJson(rows: readonly ShownSuggestion[]): FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: rows.map((s, k) => ({
			type: 'Feature',
			id: k + 1,
			geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
			properties: { order: k + 1, key: s.key, kind: s.kind, pinned: s.pinned, gain: s.gain, cumulative: s.cumulative }
		}))
	};
}

/** Area rankings as points at each area's label position (`points`: code → [lon, lat]). */
export function areaRankingsGeoJson(rows: readonly ShownAreaCoverageRow[], points: ReadonlyMap<string, [number, number]>): FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: rows.map((r) => ({
			type: 'Feature',
			id: r.code,
			geometry: points.has(r.code) ? { type: 'Point', coordinates: points.get(r.code) } : null,
			properties: { ...r }
		}))
	};
}
