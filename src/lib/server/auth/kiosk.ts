// The big screen's credential: a long random token bound to one screen and one area, revocable.
// It reaches the screen once as a link (/kiosk/<token>) and then lives in an HttpOnly cookie.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { audit } from './audit.ts';
import { newToken, tokenHash } from './sessions.ts';
import type { Actor } from './accounts.ts';
import { AccountError } from './accounts.ts';

export const KIOSK_COOKIE = 'jiceng_kiosk';

export interface Screen {
	id: number;
	name: string;
	areaCode: string;
}

export async function createScreen(db: Kysely<Database>, name: string, areaCode: string, actor: Actor): Promise<{ id: number; token: string }> {
	const trimmed = name.trim();
	if (!trimmed || trimmed.length > 60) throw new AccountError('screen name: 1–60 characters');
	const area = await db.selectFrom('area').select('code').where('code', '=', areaCode).executeTakeFirst();
	if (!area) throw new AccountError(`area: no area with code "${areaCode}"`);
	const token = newToken();
	const { id } = await db.insertInto('display_screen').values({
		name: trimmed, area_code: areaCode, token_hash: tokenHash(token), created_by: actor.accountId
	}).returning('id').executeTakeFirstOrThrow();
	await audit(db, { accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `create screen ${id} (${trimmed}) on ${areaCode}`, result: 'ok' });
	return { id, token };
}

export async function revokeScreen(db: Kysely<Database>, id: number, actor: Actor): Promise<void> {
	const row = await db.updateTable('display_screen').set({ revoked_at: sql<Date>`now()` })
		.where('id', '=', id).where('revoked_at', 'is', null).returning('id').executeTakeFirst();
	if (!row) throw new AccountError(`screen ${id} does not exist or is already revoked`);
	await audit(db, { accountId: actor.accountId, username: actor.username, role: actor.role, clientAddr: actor.clientAddr,
		action: 'permission_change', object: `revoke screen ${id}`, result: 'ok' });
}

export async function validateKiosk(db: Kysely<Database>, token: string): Promise<Screen | null> {
	if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
	const row = await db.selectFrom('display_screen').select(['id', 'name', 'area_code', 'last_seen_at'])
		.where('token_hash', '=', tokenHash(token)).where('revoked_at', 'is', null).executeTakeFirst();
	if (!row) return null;
	if (!row.last_seen_at || Date.now() - new Date(row.last_seen_at).getTime() > 60_000) {
		await db.updateTable('display_screen').set({ last_seen_at: sql<Date>`now()` }).where('id', '=', row.id).execute();
	}
	return { id: row.id, name: row.name, areaCode: row.area_code };
}
