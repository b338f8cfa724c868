// Residents' requests (issue 11 part 3) on both backends: the state machine and who may do what,
// escalation to the street and back, overdue colours with a fixed clock, idempotent submission,
// scope, the trail and the audit log, and the photo checks (type by content, size, EXIF stripped).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/backends.ts';
import { withScope, type Scoped } from '../../src/lib/server/db/scoped.ts';
import { seedDemo } from '../../src/lib/server/seed/index.ts';
import {
	actOnRequest,
	createRequest,
	getRequest,
	listRequests,
	openRequestsByHousehold,
	requestEvents,
	requestPhoto,
	requestTimesByArea,
	setTimeLimit,
	type RequestActor
} from '../../src/lib/server/db/queries/requests.ts';
import { transition, type RequestAction } from '../../src/lib/server/requests/machine.ts';
import { cleanPhoto, PHOTO_MAX_BYTES } from '../../src/lib/server/requests/photo.ts';
import type { Role } from '../../src/lib/server/auth/roles.ts';

const actor = (role: Role): RequestActor => ({ accountId: 1, username: `u_${role}`, role });

function segment(marker: number, payload: Uint8Array): Uint8Array {
	const len = payload.length + 2;
	return Uint8Array.from([0xff, marker, len >> 8, len & 0xff, ...payload]);
}
const ascii = (s: string) => new TextEncoder().encode(s);
/** a JPEG whose APP1 carries an EXIF block with a GPS position */
function jpegWithGps(): Uint8Array {
	return Uint8Array.from([
		0xff,
		0xd8,
		...segment(0xe0, ascii('JFIF\0\x01\x01\0\0\x01\0\x01\0\0')),
		...segment(0xe1, ascii('Exif\0\0MM\0*GPSLatitude=30.5512N;GPSLongitude=114.2711E')),
		...segment(0xfe, ascii('taken at home')),
		...segment(0xdb, new Uint8Array(65)),
		...segment(0xda, Uint8Array.from([1, 1, 0, 0, 63, 0])),
		0x12,
		0x34,
		0x56,
		0xff,
		0xd9
	]);
}
const has = (hay: Uint8Array, needle: string) => Buffer.from(hay).includes(Buffer.from(needle));

describe('the request state machine', () => {
	it('walks submitted → accepted → in progress → resolved → confirmed for the grid leader', () => {
		let at = { state: 'submitted', level: 'grid' } as const as { state: 'submitted'; level: 'grid' } | ReturnType<typeof transition>;
		const steps: RequestAction[] = ['accept', 'start', 'resolve', 'confirm'];
		const seen: string[] = [];
		for (const a of steps) {
			if ('refused' in at) throw new Error(at.refused);
			at = transition('grid_leader', a, at, null);
			seen.push('refused' in at ? at.refused : at.state);
		}
		expect(seen).toEqual(['accepted', 'in_progress', 'resolved', 'confirmed']);
	});
	it('refuses moves out of order, other levels, and escalations or returns without a reason', () => {
		expect(transition('grid_leader', 'resolve', { state: 'submitted', level: 'grid' }, null)).toEqual({ refused: 'invalid_state' });
		expect(transition('community_secretary', 'accept', { state: 'submitted', level: 'grid' }, null)).toEqual({ refused: 'forbidden' });
		expect(transition('grid_leader', 'accept', { state: 'submitted', level: 'community' }, null)).toEqual({ refused: 'forbidden' });
		expect(transition('grid_leader', 'escalate', { state: 'accepted', level: 'grid' }, ' ')).toEqual({ refused: 'reason_required' });
		expect(transition('community_secretary', 'return', { state: 'accepted', level: 'community' }, '')).toEqual({ refused: 'reason_required' });
		expect(transition('street_secretary', 'escalate', { state: 'accepted', level: 'street' }, 'x')).toEqual({ refused: 'invalid_state' });
		expect(transition('district_admin', 'accept', { state: 'submitted', level: 'street' }, null)).toEqual({ refused: 'forbidden' });
		expect(transition('planner', 'accept', { state: 'submitted', level: 'grid' }, null)).toEqual({ refused: 'forbidden' });
		expect(transition('grid_leader', 'reopen', { state: 'resolved', level: 'grid' }, null)).toEqual({ refused: 'reason_required' });
		expect(transition('grid_leader', 'reopen', { state: 'resolved', level: 'grid' }, 'still leaking')).toEqual({ state: 'reopened', level: 'grid' });
	});
});

describe('photo checks', () => {
	it('strips EXIF (with GPS), XMP/ICC and comments from a JPEG, keeping the image data', () => {
		const raw = jpegWithGps();
		expect(has(raw, 'GPSLatitude')).toBe(true);
		const r = cleanPhoto(raw);
		if (!r.ok) throw new Error(r.error);
		expect(r.type).toBe('image/jpeg');
		expect(has(r.bytes, 'GPS')).toBe(false);
		expect(has(r.bytes, 'Exif')).toBe(false);
		expect(has(r.bytes, 'taken at home')).toBe(false);
		expect(has(r.bytes, 'JFIF')).toBe(true);
		expect(Buffer.from(r.bytes.subarray(-5)).toString('hex')).toBe('123456ffd9');
	});
	it('checks the type by content: a text file named .jpg is 400, an over-size photo 413, a broken JPEG 400', () => {
		expect(cleanPhoto(ascii('<html>not an image</html>'))).toEqual({ ok: false, status: 400, error: 'photo_not_image' });
		const big = new Uint8Array(PHOTO_MAX_BYTES + 1);
		big.set(jpegWithGps());
		expect(cleanPhoto(big)).toEqual({ ok: false, status: 413, error: 'photo_too_large' });
		expect(cleanPhoto(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 1]))).toEqual({ ok: false, status: 400, error: 'photo_corrupt' });
	});
	it('drops eXIf and text chunks from a PNG', () => {
		const chunk = (type: string, data: Uint8Array) => {
			const b = new Uint8Array(12 + data.length);
			new DataView(b.buffer).setUint32(0, data.length);
			b.set(ascii(type), 4);
			b.set(data, 8);
			return b;
		};
		const png = Uint8Array.from([
			0x89,
			0x50,
			0x4e,
			0x47,
			0x0d,
			0x0a,
			0x1a,
			0x0a,
			...chunk('IHDR', new Uint8Array(13)),
			...chunk('eXIf', ascii('MM\0*GPSLatitude=30.55')),
			...chunk('tEXt', ascii('Location\0Hanyang')),
			...chunk('IDAT', new Uint8Array(10)),
			...chunk('IEND', new Uint8Array(0))
		]);
		const r = cleanPhoto(png);
		if (!r.ok) throw new Error(r.error);
		expect(has(r.bytes, 'GPS')).toBe(false);
		expect(has(r.bytes, 'Hanyang')).toBe(false);
		expect(has(r.bytes, 'IDAT')).toBe(true);
	});
});

describe.each(backends)('requests on %s PostGIS', (backend) => {
	let db: TestDb;
	let grid: string;
	let otherGrid: string;
	let community: string;
	let street: string;
	let household: number;
	let otherHousehold: number;
	const as = <T>(scope: string, fn: (trx: Scoped) => Promise<T>, clock?: string) =>
		withScope(db, scope, async (trx) => {
			if (clock) await sql`select set_config('jiceng.clock', ${clock}, true)`.execute(trx);
			return fn(trx);
		});

	beforeAll(async () => {
		db = await freshDb(backend);
		await seedDemo(db, { scale: 'small', seed: 3 });
		const { rows } = await sql<{ grid: string; community: string; street: string; hh: number }>`
			select g.code as grid, c.code as community, c.parent_code as street, min(h.id)::int as hh
			from area g join area c on c.code = g.parent_code join household h on h.grid_code = g.code
			where g.level = 'grid' group by g.code, c.code, c.parent_code order by g.code`.execute(db.kysely);
		[grid, otherGrid] = [rows[0].grid, rows[1].grid];
		community = rows[0].community;
		street = rows[0].street;
		household = rows[0].hh;
		otherHousehold = rows[1].hh;
	}, 120_000);
	afterAll(() => db?.drop());

	const input = (over: Partial<Parameters<typeof createRequest>[2]> = {}) => ({
		clientId: randomUUID(),
		category: 'facilities',
		urgency: 'normal' as const,
		description: 'The stairwell light on floor 3 is out',
		householdId: household,
		...over
	});

	it('creates a request once per client id, in the household’s grid, with a submit event and an audit row', async () => {
		const clientId = randomUUID();
		const first = await as(grid, (t) => createRequest(t, actor('grid_leader'), input({ clientId })));
		const retry = await as(grid, (t) => createRequest(t, actor('grid_leader'), input({ clientId })));
		expect(first.created).toBe(true);
		expect(retry).toEqual({ id: first.id, created: false });
		const { rows } = await sql<{ n: number }>`select count(*)::int as n from request where client_id = ${clientId}`.execute(db.kysely);
		expect(rows[0].n).toBe(1);
		const r = await as(grid, (t) => getRequest(t, actor('grid_leader'), first.id));
		expect(r).toMatchObject({ grid_code: grid, household_id: household, state: 'submitted', level: 'grid', overdue: 'none' });
		const events = await as(grid, (t) => requestEvents(t, first.id));
		expect(events.map((e) => [e.action, e.to_state, e.username])).toEqual([['submit', 'submitted', 'u_grid_leader']]);
		const audit = await sql<{ n: number }>`select count(*)::int as n from audit_log where object = ${`request:${first.id}:submit`}`.execute(db.kysely);
		expect(audit.rows[0].n).toBe(1);
	});

	it('refuses a household in another grid, and roles that may not create', async () => {
		await expect(as(grid, (t) => createRequest(t, actor('grid_leader'), input({ householdId: otherHousehold })))).rejects.toMatchObject({ status: 404 });
		await expect(as(grid, (t) => createRequest(t, actor('planner'), input()))).rejects.toMatchObject({ status: 403 });
		await expect(as(street, (t) => createRequest(t, actor('street_secretary'), input()))).rejects.toMatchObject({ status: 403 });
	});

	it('moves through every state and an escalation to the street and back, each level acting, every step recorded', async () => {
		const { id } = await as(grid, (t) => createRequest(t, actor('grid_leader'), input()));
		const act = (scope: string, role: Role, a: RequestAction, why: string | null = null) => as(scope, (t) => actOnRequest(t, actor(role), id, a, why));
		await act(grid, 'grid_leader', 'accept');
		await act(grid, 'grid_leader', 'escalate', 'needs the property company');
		// the grid leader no longer acts on it; the community's party organisation does
		await expect(act(grid, 'grid_leader', 'start')).rejects.toMatchObject({ status: 403 });
		await act(community, 'community_secretary', 'accept');
		await act(community, 'community_secretary', 'escalate', 'funding decided by the street');
		await expect(act(community, 'community_secretary', 'return', 'x')).rejects.toMatchObject({ status: 403 });
		await act(street, 'street_secretary', 'accept');
		await act(street, 'street_secretary', 'return', 'funds approved: community to repair');
		await act(community, 'community_secretary', 'return', 'grid to supervise the repair');
		expect(await as(grid, (t) => getRequest(t, actor('grid_leader'), id))).toMatchObject({
			level: 'grid',
			state: 'accepted',
			instruction: 'grid to supervise the repair'
		});
		await act(grid, 'grid_leader', 'start');
		await act(grid, 'grid_leader', 'resolve');
		await act(grid, 'grid_leader', 'reopen', 'resident says it flickers again');
		await act(grid, 'grid_leader', 'accept');
		await act(grid, 'grid_leader', 'start');
		await act(grid, 'grid_leader', 'resolve');
		await act(grid, 'grid_leader', 'confirm');
		await expect(act(grid, 'grid_leader', 'reopen', 'again')).rejects.toMatchObject({ status: 409 });
		const events = await as(grid, (t) => requestEvents(t, id));
		expect(events.map((e) => `${e.action}:${e.from_level}>${e.to_level}:${e.to_state}`)).toEqual([
			'submit:null>grid:submitted',
			'accept:grid>grid:accepted',
			'escalate:grid>community:submitted',
			'accept:community>community:accepted',
			'escalate:community>street:submitted',
			'accept:street>street:accepted',
			'return:street>community:accepted',
			'return:community>grid:accepted',
			'start:grid>grid:in_progress',
			'resolve:grid>grid:resolved',
			'reopen:grid>grid:reopened',
			'accept:grid>grid:accepted',
			'start:grid>grid:in_progress',
			'resolve:grid>grid:resolved',
			'confirm:grid>grid:confirmed'
		]);
		expect(events[6]).toMatchObject({ role: 'street_secretary', reason: 'funds approved: community to repair' });
		const audit = await sql<{ result: string; n: number }>`
			select result, count(*)::int as n from audit_log where object like ${`request:${id}:%`} group by result order by result`.execute(db.kysely);
		expect(audit.rows).toEqual([{ result: 'ok', n: 15 }]);
	});

	it('turns overdue amber past the limit and red past twice the limit, by the database clock', async () => {
		const t0 = '2026-05-01T08:00:00Z';
		const { id } = await as(grid, (t) => createRequest(t, actor('grid_leader'), input({ urgency: 'urgent' })), t0);
		// urgent: respond within 12 h, resolve within 72 h (sql/016's defaults)
		const colour = async (clock: string) => (await as(grid, (t) => getRequest(t, actor('grid_leader'), id), clock))?.overdue;
		expect(await colour('2026-05-01T19:59:00Z')).toBe('none');
		expect(await colour('2026-05-01T20:00:00Z')).toBe('amber');
		expect(await colour('2026-05-02T08:00:00Z')).toBe('red');
		await as(grid, (t) => actOnRequest(t, actor('grid_leader'), id, 'accept', null), '2026-05-02T09:00:00Z');
		expect(await colour('2026-05-02T09:00:00Z')).toBe('none');
		expect(await colour('2026-05-04T08:00:00Z')).toBe('amber');
		expect(await colour('2026-05-07T08:00:00Z')).toBe('red');
		const mine = await as(grid, (t) => openRequestsByHousehold(t, [household, otherHousehold]), '2026-05-07T08:00:00Z');
		expect(mine.get(household)?.worst).toBe('red');
		expect(mine.has(otherHousehold)).toBe(false);
		// a limit changed by the district admin changes the colour
		await as(street.slice(0, 6), (t) =>
			setTimeLimit(t, actor('district_admin'), { category: 'facilities', urgency: 'urgent', respond_hours: 12, resolve_hours: 200 })
		);
		expect(await colour('2026-05-07T08:00:00Z')).toBe('none');
		await expect(
			as(grid, (t) => setTimeLimit(t, actor('grid_leader'), { category: 'facilities', urgency: 'urgent', respond_hours: 1, resolve_hours: 1 }))
		).rejects.toMatchObject({ status: 403 });
		const times = await as(street, (t) => requestTimesByArea(t, 'grid'), '2026-05-07T08:00:00Z');
		const row = times.find((r) => r.code === grid);
		expect(row?.requests).toBeGreaterThan(0);
		expect(row?.response_hours).not.toBeNull();
	});

	it('keeps another grid’s requests out of a grid leader’s lists, details and actions', async () => {
		const { id } = await as(otherGrid, (t) => createRequest(t, actor('grid_leader'), input({ householdId: otherHousehold })));
		expect(await as(grid, (t) => getRequest(t, actor('grid_leader'), id))).toBeNull();
		expect((await as(grid, (t) => listRequests(t, actor('grid_leader')))).map((r) => r.grid_code)).not.toContain(otherGrid);
		expect((await as(grid, (t) => listRequests(t, actor('grid_leader')))).length).toBeGreaterThan(0);
		await expect(as(grid, (t) => actOnRequest(t, actor('grid_leader'), id, 'accept', null))).rejects.toMatchObject({ status: 404 });
		expect(await as(grid, (t) => requestEvents(t, id))).toEqual([]);
		expect((await as(otherGrid, (t) => openRequestsByHousehold(t, [otherHousehold]))).get(otherHousehold)?.open).toBe(1);
		expect((await as(grid, (t) => openRequestsByHousehold(t, [otherHousehold]))).size).toBe(0);
	});

	it('stores only the stripped photo: the stored bytes carry no GPS', async () => {
		const clean = cleanPhoto(jpegWithGps());
		if (!clean.ok) throw new Error(clean.error);
		const { id } = await as(grid, (t) => createRequest(t, actor('grid_leader'), input({ photo: { bytes: clean.bytes, type: clean.type } })));
		const stored = await as(grid, (t) => requestPhoto(t, id));
		expect(stored?.type).toBe('image/jpeg');
		expect(has(stored!.bytes, 'GPS')).toBe(false);
		expect(has(stored!.bytes, 'Exif')).toBe(false);
		// the database refuses an over-size photo even if a caller skipped the check
		await expect(
			as(grid, (t) => createRequest(t, actor('grid_leader'), input({ photo: { bytes: new Uint8Array(PHOTO_MAX_BYTES + 1), type: 'image/jpeg' } })))
		).rejects.toThrow();
	});
});
