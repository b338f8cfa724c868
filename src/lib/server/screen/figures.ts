// What the big screen shows, in one answer: every figure read through the query functions the map
// panel, the coverage routes and the exports use (selectionSummary, areaCoverage, rankings,
// blindSpots), with the same small-cell rules for a viewer who sees no persons. Nothing here
// computes a figure of its own; the screen only arranges them.
import { sql } from 'kysely';
import type { Db } from '../db/open.ts';
import { SYSTEM, withScope } from '../db/scoped.ts';
import type { OpenScoped } from '../api/endpoint.ts';
import type { Viewer } from '../auth/viewer.ts';
import { areaStats } from '../db/queries/area-stats.ts';
import { selectionSummary } from '../db/queries/selection.ts';
import { areaCoverage, blindSpots, rankings } from '../db/queries/coverage.ts';
import { areaCoverageFor, areaCoverageRowsFor, blindSpotsFor } from '../privacy/coverage.ts';
import { smallCount } from '../privacy/small-cells.ts';
import { coverageEngine } from '../coverage/engine.ts';
import { centralHouseholdCount, childBoxes, organisationsByLevel } from '../db/queries/screen.ts';
import { snapshotTrend } from '../db/queries/snapshots.ts';
import { screenActivity } from './activity.ts';
import type { RankedArea, ScreenFigures } from '../../api/screen.ts';

export type { RankedArea, ScreenFigures };

/** how many of the worst-ranked areas are highlighted */
export const BOTTOM = 5;
/** blind spots listed (and toured) */
export const TOP_BLIND_SPOTS = 8;

/** The levels ranked below an area of `level`: the two the screen shows. */
function rankedLevels(level: string): ('street' | 'community' | 'grid')[] {
	return level === 'district' ? ['street', 'community'] : level === 'street' ? ['community', 'grid'] : ['grid'];
}

function ranked(rows: ReturnType<typeof areaCoverageRowsFor>): RankedArea[] {
	const withIndex = rows.filter((r) => r.coverage_index !== null);
	// the bottom five; in a short list (a street's few communities) no more than its lower half
	const bottom = new Set(withIndex.slice(withIndex.length - Math.min(BOTTOM, Math.floor(withIndex.length / 2))).map((r) => r.code));
	return rows.map((r) => ({
		code: r.code,
		name: r.name,
		coverage_index: r.coverage_index,
		rank: r.rank,
		rank_of: r.rank_of,
		rectify: r.rectify,
		bottom: bottom.has(r.code)
	}));
}

/**
 * The screen's figures for the viewer's area (a display's scope is its screen's area). `null`
 * when the area no longer exists. Coverage figures are null until the first results exist.
 */
export async function screenFigures(db: Db, scoped: OpenScoped, viewer: Viewer, intervalS: number): Promise<ScreenFigures | null> {
	const stats = await areaStats(db).status(1000);
	const coverage = await coverageEngine(db).status();
	const code = viewer.scope;
	return scoped(
		async (trx) => {
			const panel = await selectionSummary(trx, code, viewer);
			if (!panel || panel.type !== 'area') return null;
			const cov = coverage.computed_version === null ? null : await areaCoverage(trx, code, viewer.scope);
			const shownCov = cov && areaCoverageFor(cov, viewer);
			const levels = rankedLevels(panel.level);
			const rankedLists =
				coverage.computed_version === null
					? []
					: await Promise.all(levels.map(async (level) => ({ level, rows: ranked(areaCoverageRowsFor(await rankings(trx, level, code), viewer)) })));
			const spots = coverage.computed_version === null ? [] : blindSpotsFor(await blindSpots(trx, code, { limit: TOP_BLIND_SPOTS }), viewer);
			const activity = await screenActivity(trx, code);
			const trend = await snapshotTrend(trx, code, 30);
			const {
				rows: [v]
			} = await sql<{ v: number | null }>`select (select data_version from coverage_run where id = 1) as v`.execute(trx);
			return {
				area: { code: panel.code, name: panel.name, level: panel.level, bbox: panel.bbox },
				version: {
					data: stats.data_version,
					stats: stats.computed_version,
					coverage: v.v === null ? null : Number(v.v),
					// visits move the coverage index without a data version (sql/023)
					visits: coverage.visit_roll,
					updating: stats.updating || coverage.updating
				},
				as_of: new Date().toISOString(),
				counters: {
					organisations: panel.figures.organisations,
					organisations_by_level: await organisationsByLevel(trx, code),
					members: panel.figures.members,
					central_households: smallCount(await centralHouseholdCount(trx, code), viewer),
					service_centres: panel.figures.service_centres,
					share_5min: shownCov?.share_5min ?? null,
					share_10min: shownCov?.share_10min ?? null,
					share_15min: shownCov?.share_15min ?? null,
					coverage_index: shownCov?.coverage_index ?? null,
					blind_spots: shownCov?.blind_spots ?? null,
					visits_week: activity.visits_week,
					requests_open: activity.requests_open,
					requests_overdue: activity.requests_overdue
				},
				activity_available: activity.available,
				panel: panel.figures,
				ranked: rankedLists,
				// no building ids on the wall: a spot is its grid, its size and a point inside it
				blind_spots: spots.map((s) => ({
					grid_code: s.grid_code,
					grid_name: s.grid_name,
					households: s.households,
					buildings: s.buildings,
					lon: s.lon,
					lat: s.lat
				})),
				ticker: activity.ticker,
				trend: trend.map(({ day, figures: f }) => ({
					day,
					share_15min: f.share_15min,
					coverage_index: f.coverage_index,
					members: f.members === null ? null : smallCount(f.members, viewer),
					blind_spots: f.blind_spots
				})),
				tour: { interval_s: intervalS, children: await childBoxes(trx, code), overdue: activity.overdue_places }
			};
		},
		{ snapshot: true }
	);
}

/** The figures' version tag (the ETag), from what they are made of, read without computing them. */
export async function screenTag(db: Db, screenId: number, intervalS: number): Promise<string> {
	const stats = await areaStats(db).status(1000);
	const coverage = await coverageEngine(db).status();
	// the data version read now (status() may answer from a memory up to a second old); visits and
	// requests move without a data version (a visit must not flush the tile caches), so their
	// newest ids say whether the counters and ticker changed, read as the system (row-level
	// security would hide them from an unscoped session); and requests turn overdue with time alone,
	// so the tag changes every hour; visit coverage moves the index without a generation (its roll)
	const {
		rows: [s]
	} = await withScope(db, SYSTEM, (trx) =>
		sql<{ t: string | null; v: number; visit: number | null; event: number | null }>`
		select (select max(taken_at)::text from area_snapshot where day = current_date) as t, (select version from data_version where id = 1) as v,
		       (select max(id) from visit) as visit, (select max(id) from request_event) as event`.execute(trx)
	);
	const hour = new Date().toISOString().slice(0, 13);
	return `W/"s${screenId}-d${Number(s.v)}-a${stats.computed_version}-c${coverage.computed_version}-g${coverage.generation}.${coverage.visit_roll}-${hour}-${s.t ?? ''}-w${s.visit ?? 0}.${s.event ?? 0}-i${intervalS}"`.replace(
		/\s/g,
		'_'
	);
}
