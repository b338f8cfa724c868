// A process that moves residents' requests through their states the way the server does (the same
// query code: actOnRequest in a scoped transaction, as the app role), for the kill -9 test: it
// prints `inside <n>` once a transition's writes are all made but not yet committed (and holds the
// transaction open a moment there), `committed <n>` after the commit. Killed at `inside`, the
// transaction must be absent; every committed one whole.
// Usage: DATABASE_URL=… node --experimental-transform-types tests/faults/request-writer.ts <requests>
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { openDb } from '../../src/lib/server/db/open.ts';
import { withScope } from '../../src/lib/server/db/scoped.ts';
import { actOnRequest, createRequest, type RequestActor } from '../../src/lib/server/db/queries/requests.ts';
import type { RequestAction } from '../../src/lib/server/requests/machine.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');
const count = Number(process.argv[2] ?? 5);
const db = await openDb({ backend: 'server', url, poolSize: 2 }, { appRole: true });
const { rows } = await withScope(db, '*', (trx) =>
	sql<{ grid: string; hh: number }>`
		select h.grid_code as grid, min(h.id)::int as hh from household h group by h.grid_code order by h.grid_code limit 1`.execute(trx)
);
const { grid, hh } = rows[0];
const actor: RequestActor = { accountId: null, username: 'fault-writer', role: 'grid_leader' };
const ids: number[] = [];
for (let i = 0; i < count; i++) {
	const made = await withScope(db, grid, (trx) =>
		createRequest(trx, actor, { clientId: randomUUID(), category: 'facilities', urgency: 'normal', description: 'fault test', householdId: hh })
	);
	ids.push(made.id);
}
console.log(`requests ${ids.join(',')}`);
// accept → start → resolve → reopen → accept … for ever
const cycle: RequestAction[] = ['accept', 'start', 'resolve', 'reopen'];
for (let n = 0; ; n++) {
	const id = ids[n % ids.length];
	const action = cycle[Math.floor(n / ids.length) % cycle.length];
	await withScope(db, grid, async (trx) => {
		await actOnRequest(trx, actor, id, action, action === 'reopen' ? 'the resident says it is not fixed' : null);
		console.log(`inside ${n}`);
		// the writes are made, the commit is not: the moment the test kills in
		await sql`select pg_sleep(0.05)`.execute(trx);
	});
	console.log(`committed ${n}`);
}
