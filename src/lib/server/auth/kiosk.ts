// The big screen's credential: a long random token bound to one screen and one area, revocable.
// It reaches the screen once as a link (/kiosk/<token>) and then lives in an HttpOnly cookie.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { auditBy } from './audit.ts';
import { newToken, tokenHash } from './sessions.ts';
import { tokenCache } from './session-cache.ts';
import { priorityLane } from '../db/lanes.ts';
import type { Actor } from './accounts.ts';
import { AccountError } from './accounts.ts';

export const KIOSK_COOKIE = 'jiceng_kiosk';

export interface Screen {
	id: number;
	name: string;
	areaCode: string;
	/** seconds the auto-tour dwells on each stop (display_screen.tour_interval_s, set by the security admin) */
	tourIntervalS: number;
}

/** the bounds of a screen's tour interval, seconds (sql/018's check) */
export const TOUR_INTERVAL_S = { min: 5, max: 600, default: 20 } as const;

// a screen asks for many tiles at once: its token is read at most once per SESSION_CACHE_TTL_MS
// (session-cache.ts), and a revocation made here evicts it at once
const screenCache = (db: Kysely<Database>) => tokenCache<Screen & { lastSeen: number }>(db, 'screen');

export async function createScreen(
	db: Kysely<Database>,
	name: string,
	areaCode: string,
	actor: Actor,
	tourIntervalS: number = TOUR_INTERVAL_S.default
): Promise<{ id: number; token: string }> {
	const trimmed = name.trim();
	if (!trimmed || trimmed.length > 60) throw new AccountError('screen name: 1–60 characters');
	const area = await db.selectFrom('area').select('code').where('code', '=', areaCode).executeTakeFirst();
	if (!area) throw new AccountError(`area: no area with code "${areaCode}"`);
	checkInterval(tourIntervalS);
	const token = newToken();
	const { id } = await db
		.insertInto('display_screen')
		.values({
			name: trimmed,
			area_code: areaCode,
			token_hash: tokenHash(token),
			created_by: actor.accountId,
			tour_interval_s: tourIntervalS
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	const tour = tourIntervalS === TOUR_INTERVAL_S.default ? '' : `, tour ${tourIntervalS} s`;
	await auditBy(db, actor, 'permission_change', `create screen ${id} (${trimmed}) on ${areaCode}${tour}`);
	return { id, token };
}

function checkInterval(s: number): void {
	if (!Number.isInteger(s) || s < TOUR_INTERVAL_S.min || s > TOUR_INTERVAL_S.max) {
		throw new AccountError(`tour interval: a whole number of seconds from ${TOUR_INTERVAL_S.min} to ${TOUR_INTERVAL_S.max}`);
	}
}

/** Sets how long a screen's auto-tour dwells on each stop; the screen picks it up at its next refresh. */
export async function setScreenInterval(db: Kysely<Database>, id: number, tourIntervalS: number, actor: Actor): Promise<void> {
	checkInterval(tourIntervalS);
	const row = await db
		.updateTable('display_screen')
		.set({ tour_interval_s: tourIntervalS })
		.where('id', '=', id)
		.where('revoked_at', 'is', null)
		.returning('id')
		.executeTakeFirst();
	if (!row) throw new AccountError(`screen ${id} does not exist or is revoked`);
	screenCache(db).forgetOwner(id);
	await auditBy(db, actor, 'permission_change', `screen ${id}: tour ${tourIntervalS} s`);
}

export async function revokeScreen(db: Kysely<Database>, id: number, actor: Actor): Promise<void> {
	const row = await db
		.updateTable('display_screen')
		.set({ revoked_at: sql<Date>`now()` })
		.where('id', '=', id)
		.where('revoked_at', 'is', null)
		.returning('id')
		.executeTakeFirst();
	if (!row) throw new AccountError(`screen ${id} does not exist or is already revoked`);
	screenCache(db).forgetOwner(id);
	await auditBy(db, actor, 'permission_change', `revoke screen ${id}`);
}

export async function validateKiosk(db: Kysely<Database>, token: string, now = new Date()): Promise<Screen | null> {
	if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
	const hash = tokenHash(token);
	const cache = screenCache(db);
	const t = now.getTime();
	const cached = cache.get(hash, t);
	const screen =
		cached ??
		(await cache.load(hash, t, async () => {
			const row = await priorityLane(db)
				.selectFrom('display_screen')
				.select(['id', 'name', 'area_code', 'last_seen_at', 'tour_interval_s'])
				.where('token_hash', '=', hash)
				.where('revoked_at', 'is', null)
				.executeTakeFirst();
			if (!row) return undefined;
			const lastSeen = row.last_seen_at ? new Date(row.last_seen_at).getTime() : -Infinity;
			return { owner: row.id, value: { id: row.id, name: row.name, areaCode: row.area_code, tourIntervalS: row.tour_interval_s, lastSeen } };
		}));
	if (!screen) return null;
	if (t - screen.lastSeen > 60_000) {
		// at most once a minute; from the cache in the background, the request not waiting for it
		screen.lastSeen = t;
		const touch = () => db.updateTable('display_screen').set({ last_seen_at: now }).where('id', '=', screen.id).execute();
		if (cached) cache.background(hash, 'kiosk: last_seen_at not updated', touch);
		else await touch();
	}
	return { id: screen.id, name: screen.name, areaCode: screen.areaCode, tourIntervalS: screen.tourIntervalS };
}
