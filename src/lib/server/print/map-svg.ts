// The printed map of one area (issue 13 part 2): server-side SVG from PostGIS, offline, no tiles
// and no WebGL. Geometry is projected in SQL to a local metre frame centred on the area (an
// equirectangular projection at the area's mid latitude: under 0.1 % off across a district) and
// written by ST_AsSVG, which flips y so north is up. The SVG's user unit is one metre, so the scale
// bar is drawn in metres. Everything is read in the caller's scoped transaction and narrowed to the
// area's code: a feature outside the caller's scope or the area is never in the picture.
import { sql } from 'kysely';
import { scopePrefix, type Scoped } from '../db/scoped.ts';
import { BUILDING_KIND_COLOURS, CENTRE_LEVELS } from '../../map/layers.ts';
import type { PrintFrame } from '../../api/print.ts';

/** metres per degree of latitude, and of longitude at the equator (WGS84, mid latitudes) */
const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON = 111_320;

export interface PrintMap {
	svg: string;
	frame: PrintFrame;
	/** what was drawn, for the legend and the tests */
	counts: { children: number; buildings: number; roads: number; centres: number; blind_spots: number };
	/** the building kinds and centre levels present (the legend lists these) */
	kinds: string[];
	levels: string[];
}

/** A round length (1, 2 or 5 × 10ⁿ metres) near a quarter of `width`. */
export function niceLength(width: number): number {
	const target = width / 4;
	const pow = 10 ** Math.floor(Math.log10(target));
	const step = [5, 2, 1].find((s) => s * pow <= target) ?? 1;
	return step * pow;
}

const rgb = ([r, g, b]: readonly number[]) => `rgb(${r},${g},${b})`;
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

const ROAD_WIDTH: Record<string, number> = { arterial: 3, secondary: 2.2, local: 1.4, footway: 0.8 };

/**
 * The map of `code` (an area within the transaction's scope) fitted into a box of the given aspect
 * (width / height); undefined when the area is not in the scope.
 */
export async function printMap(trx: Scoped, code: string, aspect: number): Promise<PrintMap | undefined> {
	const scope = scopePrefix(trx);
	if (!code.startsWith(scope)) return undefined;
	const { rows: box } = await sql<{ minx: number; miny: number; maxx: number; maxy: number }>`
		select ST_XMin(geom) as minx, ST_YMin(geom) as miny, ST_XMax(geom) as maxx, ST_YMax(geom) as maxy
		from area where code = ${code} and starts_with(code, ${scope}::text)`.execute(trx);
	const b = box[0];
	if (!b) return undefined;
	const lon0 = (Number(b.minx) + Number(b.maxx)) / 2;
	const lat0 = (Number(b.miny) + Number(b.maxy)) / 2;
	const kx = M_PER_DEG_LON * Math.cos((lat0 * Math.PI) / 180);
	const ky = M_PER_DEG_LAT;
	// the area's extent in metres, padded by 4 %, widened to the box's aspect
	let w = (Number(b.maxx) - Number(b.minx)) * kx * 1.08;
	let h = (Number(b.maxy) - Number(b.miny)) * ky * 1.08;
	if (w / h < aspect) w = h * aspect;
	else h = w / aspect;
	const frame: PrintFrame = { x: -w / 2, y: -h / 2, width: w, height: h, lon0, lat0, scale_bar_m: niceLength(w) };
	const proj = (g: ReturnType<typeof sql>) =>
		sql`ST_AsSVG(ST_Scale(ST_Translate(${g}, ${-lon0}::float8, ${-lat0}::float8), ${kx}::float8, ${ky}::float8), 0, 1)`;
	const like = `${code}%`;
	const outline = await sql<{ d: string; name: string }>`select ${proj(sql`geom`)} as d, name from area where code = ${code}`.execute(trx);
	const children = await sql<{ d: string; code: string; name: string; lx: number; ly: number }>`
		select ${proj(sql`geom`)} as d, code, name,
		       (ST_X(p) - ${lon0}::float8) * ${kx}::float8 as lx, -(ST_Y(p) - ${lat0}::float8) * ${ky}::float8 as ly
		from area cross join lateral (select ST_PointOnSurface(geom) as p) pp
		where parent_code = ${code} and starts_with(code, ${scope}::text) order by code`.execute(trx);
	const buildings = await sql<{ d: string; kind: string }>`
		select ${proj(sql`geom`)} as d, kind from building where grid_code like ${like} and starts_with(grid_code, ${scope}::text) order by id`.execute(trx);
	// roads carry no area: the parts inside the area's outline
	const roads = await sql<{ d: string; class: string }>`
		select ${proj(sql`ST_CollectionExtract(ST_Intersection(r.geom, a.geom), 2)`)} as d, r.class
		from road r join area a on a.code = ${code} and a.geom && r.geom and ST_Intersects(a.geom, r.geom) order by r.id`.execute(trx);
	const centres = await sql<{ level: string; name: string; x: number; y: number }>`
		select level, name, (ST_X(geom) - ${lon0}::float8) * ${kx}::float8 as x, -(ST_Y(geom) - ${lat0}::float8) * ${ky}::float8 as y
		from service_centre where area_code like ${like} and starts_with(area_code, ${scope}::text) order by id`.execute(trx);
	const spots = await sql<{ d: string }>`
		select ${proj(sql`geom`)} as d from blind_spot where starts_with(grid_code, ${code}::text) and starts_with(grid_code, ${scope}::text) order by id`.execute(trx);

	const unit = w / 1000; // a thousandth of the frame's width: strokes and labels scale with the map
	const parts: string[] = [];
	parts.push(`<rect x="${frame.x}" y="${frame.y}" width="${w}" height="${h}" fill="#fff"/>`);
	for (const o of outline.rows) parts.push(`<path class="outline-fill" d="${o.d}" fill="#f4f1ea" stroke="none"/>`);
	for (const s of spots.rows) parts.push(`<path class="blind-spot" d="${s.d}" fill="rgba(211,47,47,0.25)" stroke="rgb(211,47,47)" stroke-width="${unit}"/>`);
	for (const r of roads.rows)
		if (r.d)
			parts.push(`<path class="road" d="${r.d}" fill="none" stroke="#9e9e9e" stroke-width="${(ROAD_WIDTH[r.class] ?? 1) * unit}" stroke-linecap="round"/>`);
	for (const bl of buildings.rows) {
		const colour = BUILDING_KIND_COLOURS[bl.kind]?.colour ?? [200, 200, 200];
		parts.push(`<path class="building" data-kind="${esc(bl.kind)}" d="${bl.d}" fill="${rgb(colour)}" stroke="rgba(0,0,0,0.35)" stroke-width="${unit * 0.3}"/>`);
	}
	for (const c of children.rows)
		parts.push(
			`<path class="child" data-code="${c.code}" d="${c.d}" fill="none" stroke="#5c6bc0" stroke-width="${unit * 2}" stroke-dasharray="${unit * 8} ${unit * 4}"/>`
		);
	for (const o of outline.rows) parts.push(`<path class="outline" d="${o.d}" fill="none" stroke="#283593" stroke-width="${unit * 4}"/>`);
	for (const c of centres.rows) {
		const spec = CENTRE_LEVELS[c.level];
		const radius = ((spec?.size ?? 22) / 4) * unit;
		parts.push(
			`<circle class="centre" data-level="${esc(c.level)}" cx="${Number(c.x).toFixed(1)}" cy="${Number(c.y).toFixed(1)}" r="${radius}" fill="${rgb(spec?.colour ?? [249, 168, 37])}" stroke="#fff" stroke-width="${unit}"/>`
		);
	}
	for (const c of children.rows)
		parts.push(
			`<text class="child-label" x="${Number(c.lx).toFixed(1)}" y="${Number(c.ly).toFixed(1)}" font-size="${unit * 18}" text-anchor="middle" fill="#1a237e" stroke="#fff" stroke-width="${unit * 3}" paint-order="stroke">${esc(c.name)}</text>`
		);
	// the scale bar (bottom left) and the north arrow (top right), in metres like the map
	const bar = frame.scale_bar_m;
	const bx = frame.x + w * 0.04;
	const by = frame.y + h - h * 0.05;
	const label = bar >= 1000 ? `${bar / 1000} km` : `${bar} m`;
	parts.push(
		`<g class="scale-bar" data-metres="${bar}"><rect x="${bx - unit * 6}" y="${by - unit * 40}" width="${bar + unit * 12}" height="${unit * 52}" fill="rgba(255,255,255,0.85)"/>` +
			`<rect class="scale-bar-length" x="${bx}" y="${by - unit * 8}" width="${bar}" height="${unit * 8}" fill="#000"/>` +
			`<rect x="${bx + bar / 2}" y="${by - unit * 8}" width="${bar / 2}" height="${unit * 8}" fill="#fff" stroke="#000" stroke-width="${unit}"/>` +
			`<text x="${bx + bar / 2}" y="${by - unit * 14}" font-size="${unit * 20}" text-anchor="middle">${label}</text></g>`
	);
	const nx = frame.x + w - w * 0.06;
	const ny = frame.y + h * 0.04;
	const a = unit * 30;
	parts.push(
		`<g class="north-arrow"><path d="M${nx} ${ny} L${nx + a / 2} ${ny + a * 1.6} L${nx} ${ny + a * 1.2} L${nx - a / 2} ${ny + a * 1.6} Z" fill="#000"/>` +
			`<text x="${nx}" y="${ny + a * 2.5}" font-size="${unit * 24}" text-anchor="middle" font-weight="bold">N</text></g>`
	);
	const svg =
		`<svg xmlns="http://www.w3.org/2000/svg" class="print-map" viewBox="${frame.x} ${frame.y} ${w} ${h}" preserveAspectRatio="xMidYMid meet" font-family="sans-serif">` +
		parts.join('') +
		`</svg>`;
	return {
		svg,
		frame,
		counts: {
			children: children.rows.length,
			buildings: buildings.rows.length,
			roads: roads.rows.length,
			centres: centres.rows.length,
			blind_spots: spots.rows.length
		},
		kinds: [...new Set(buildings.rows.map((r) => r.kind))].sort(),
		levels: Object.keys(CENTRE_LEVELS).filter((l) => centres.rows.some((c) => c.level === l))
	};
}
