// The audit trail is append-only and hash-chained: UPDATE, DELETE and TRUNCATE fail, nothing
// younger than 184 days is purged, a tampered or missing row breaks the chain, and no phone
// number is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { audit, verifyAuditChain } from '../../src/lib/server/auth/audit.ts';
import { escapeLike, searchAudit } from '../../src/lib/server/admin/queries.ts';

describe.each(backends)('audit_log (%s)', (backend) => {
	let db: TestDb;

	beforeAll(async () => {
		db = await freshDb(backend);
		for (let i = 1; i <= 6; i++) {
			await audit(db.kysely, { accountId: i, username: `user${i}`, role: 'grid_leader', action: 'login', result: 'ok', clientAddr: `10.0.0.${i}` });
		}
	});
	afterAll(async () => {
		await db?.drop();
	});

	const count = async () => Number((await sql<{ n: number }>`select count(*) as n from audit_log`.execute(db.kysely)).rows[0].n);

	it('chains every row: seq from 1, each prev_hash the hash before it, and the chain verifies', async () => {
		const { rows } = await sql<{ seq: number; prev_hash: string; hash: string }>`select seq, prev_hash, hash from audit_log order by seq`.execute(db.kysely);
		expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6]);
		expect(rows[0].prev_hash).toBe('0'.repeat(64));
		for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
		expect(await verifyAuditChain(db.kysely)).toBeNull();
	});

	it('refuses UPDATE, DELETE and TRUNCATE', async () => {
		await expect(sql`update audit_log set result = 'denied' where seq = 2`.execute(db.kysely)).rejects.toThrow(/append-only \(UPDATE refused\)/);
		await expect(sql`delete from audit_log where seq = 2`.execute(db.kysely)).rejects.toThrow(/append-only \(DELETE refused\)/);
		await expect(sql`truncate audit_log`.execute(db.kysely)).rejects.toThrow(/append-only \(TRUNCATE refused\)/);
		// not even a row that is old enough, outside purge_audit_log
		await expect(sql`delete from audit_log where at < now() + interval '1 day'`.execute(db.kysely)).rejects.toThrow(/append-only/);
		expect(await count()).toBe(6);
	});

	it('purge_audit_log refuses anything under 184 days and keeps younger rows', async () => {
		for (const interval of ['0 days', '30 days', '183 days', '183 days 23 hours']) {
			await expect(sql`select purge_audit_log(${interval}::interval)`.execute(db.kysely)).rejects.toThrow(/younger than 184 days are kept/);
		}
		const { rows } = await sql<{ n: number }>`select purge_audit_log(interval '184 days') as n`.execute(db.kysely);
		expect(Number(rows[0].n)).toBe(0);
		expect(await count()).toBe(6);
	});

	it('an inserted seq, time or hash is overwritten by the chain trigger', async () => {
		await db.kysely
			.insertInto('audit_log')
			.values({
				seq: 1000,
				at: new Date('2000-01-01'),
				prev_hash: 'x',
				hash: 'y',
				action: 'edit',
				result: 'ok',
				object: 'forged'
			})
			.execute();
		const row = await db.kysely.selectFrom('audit_log').selectAll().where('object', '=', 'forged').executeTakeFirstOrThrow();
		expect(Number(row.seq)).toBe(7);
		expect(new Date(row.at).getFullYear()).toBeGreaterThan(2020);
		expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
		expect(await verifyAuditChain(db.kysely)).toBeNull();
	});

	it('writes no phone numbers, but keeps area codes whole', async () => {
		await audit(db.kysely, {
			username: '13812345678',
			action: 'failed_login',
			result: 'denied',
			object: 'grid 420105001001001 member phone 139-0000-1111 / +8615900001111'
		});
		const row = await db.kysely.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
		expect(row.username).toBe('[phone]');
		expect(row.object).toBe('grid 420105001001001 member phone [phone] / [phone]');
	});

	it('searches by user, action, result and object text; LIKE wildcards match literally', async () => {
		await audit(db.kysely, { username: 'sec.admin', role: 'security_admin', action: 'permission_change', result: 'ok', object: 'grant 100%_of it' });
		await audit(db.kysely, { username: 'sec.admin', role: 'security_admin', action: 'permission_change', result: 'ok', object: 'grant 1000 of it' });
		expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
		const literal = await searchAudit(db.kysely, { object: '100%_' });
		expect(literal.rows.map((r) => r.object)).toEqual(['grant 100%_of it']);
		const wildcardOnly = await searchAudit(db.kysely, { object: '%' });
		expect(wildcardOnly.rows.map((r) => r.object)).toEqual(['grant 100%_of it']);
		const byUser = await searchAudit(db.kysely, { username: 'SEC.', action: 'permission_change', result: 'ok' });
		expect(byUser.total).toBe(2);
		expect(byUser.rows[0].seq).toBeGreaterThan(byUser.rows[1].seq); // newest first
		const denied = (await searchAudit(db.kysely, { result: 'denied' })).rows;
		expect(denied.length, 'the log holds denied rows, or this check proves nothing').toBeGreaterThan(0);
		expect(denied.map((r) => r.result).filter((r) => r !== 'denied')).toEqual([]);
		const future = await searchAudit(db.kysely, { from: new Date(Date.now() + 3600_000) });
		expect(future.total).toBe(0);
		expect(future.pages).toBe(1);
	});

	it('pages 50 rows at a time, newest first', async () => {
		for (let i = 0; i < 60; i++) await audit(db.kysely, { username: 'pager', action: 'view_person', result: 'ok', object: `person ${i}` });
		const first = await searchAudit(db.kysely, { username: 'pager' });
		expect(first).toMatchObject({ total: 60, page: 1, pages: 2 });
		expect(first.rows).toHaveLength(50);
		expect(first.rows[0].object).toBe('person 59');
		const second = await searchAudit(db.kysely, { username: 'pager', page: 2 });
		expect(second.rows).toHaveLength(10);
		expect(second.rows.at(-1)!.object).toBe('person 0');
		// past the end: the last page
		expect((await searchAudit(db.kysely, { username: 'pager', page: 99 })).page).toBe(2);
	});

	// last: it breaks the chain for good
	it('verifyAuditChain finds a tampered row and a removed row', async () => {
		expect(await verifyAuditChain(db.kysely)).toBeNull();
		// only an owner or superuser can do this, by switching the guard off
		await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db.kysely);
		try {
			await sql`update audit_log set result = 'ok', object = 'nothing happened' where seq = 4`.execute(db.kysely);
		} finally {
			await sql`alter table audit_log enable trigger audit_log_append_only`.execute(db.kysely);
		}
		expect(await verifyAuditChain(db.kysely)).toBe(4);
		await expect(sql`update audit_log set object = 'again' where seq = 4`.execute(db.kysely)).rejects.toThrow(/append-only/);

		// a removed row breaks the link of the row after it, and the first break is the one reported
		await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db.kysely);
		try {
			await sql`delete from audit_log where seq = 2`.execute(db.kysely);
		} finally {
			await sql`alter table audit_log enable trigger audit_log_append_only`.execute(db.kysely);
		}
		// row 3's prev_hash is row 2's hash, not row 1's
		expect(await verifyAuditChain(db.kysely)).toBe(3);
	});
});
