// Daily snapshots (sql/018). GET: the days kept, and one day's areas of a level (coverage shares
// and index) with its blind spots — the planner map's time slider replays these. POST: take
// today's snapshot now (a district administrator; the server also takes one by itself each day).
import { error } from '@sveltejs/kit';
import * as v from 'valibot';
import { endpoint } from '$lib/server/api/endpoint';
import { reply } from '$lib/server/api/reply';
import { snapshotsAnswer, snapshotTakenAnswer } from '$lib/api/snapshots';
import { accountRole, mapViewer } from '$lib/server/api/guards';
import { oneOf, within } from '$lib/api/inputs';
import { areaWithin } from '$lib/server/coverage/respond';
import { snapshotAreas, snapshotBlindSpots, snapshotDays } from '$lib/server/db/queries/snapshots';
import { takeDailySnapshot } from '$lib/server/screen/snapshot-timer';
import { smallCount } from '$lib/server/privacy/small-cells';
import { audit } from '$lib/server/auth/audit';

const day = v.optional(v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day: YYYY-MM-DD')));
const query = v.object({ day, level: oneOf(['street', 'community', 'grid'] as const, 'community'), within });

export const GET = endpoint({ guard: mapViewer, query }, async ({ caller, input, trx }) => {
	const area = areaWithin(caller, input.query.within);
	const days = await snapshotDays(trx);
	const d = input.query.day ?? days.at(-1) ?? null;
	if (!d) return reply(snapshotsAnswer, { days, day: null, areas: [], blind_spots: [] }, { headers: { 'cache-control': 'private, no-cache' } });
	if (!days.includes(d)) error(404, `no snapshot of ${d}`);
	const areas = (await snapshotAreas(trx, d, input.query.level)).filter((a) => a.code.startsWith(area));
	const spots = (await snapshotBlindSpots(trx, d)).filter((s) => s.grid_code.startsWith(area));
	// counts of households withheld when small for viewers who see no persons (and what they give away)
	const shown = areas.map((a) => {
		const hh = smallCount(a.figures.households, caller);
		const withheld = hh === null;
		return {
			code: a.code,
			name: a.name,
			households: hh,
			members: smallCount(a.figures.members, caller),
			share_5min: withheld ? null : a.figures.share_5min,
			share_10min: withheld ? null : a.figures.share_10min,
			share_15min: withheld ? null : a.figures.share_15min,
			coverage_index: a.figures.coverage_index,
			blind_spots: a.figures.blind_spots,
			rectify: a.figures.rectify
		};
	});
	return reply(
		snapshotsAnswer,
		{
			days,
			day: d,
			level: input.query.level,
			within: area,
			areas: shown,
			blind_spots: spots.map((s) => ({
				grid_code: s.grid_code,
				households: smallCount(s.households, caller),
				buildings: s.buildings,
				geometry: JSON.parse(s.geojson)
			}))
		},
		{ headers: { 'cache-control': 'private, no-cache' } }
	);
});

export const POST = endpoint({ guard: accountRole('district_admin'), tx: 'none' }, async ({ caller, db, clientAddress }) => {
	const taken = await takeDailySnapshot(db, true);
	if (!taken) error(503, 'no coverage results yet: try again in a few seconds');
	await audit(db.kysely, {
		accountId: caller.accountId,
		username: caller.username,
		role: caller.role,
		clientAddr: clientAddress,
		action: 'edit',
		object: `snapshot ${taken.day}`,
		result: 'ok'
	});
	return reply(snapshotTakenAnswer, taken, { headers: { 'cache-control': 'no-store' } });
});
