// A child process for the embedded folder tests: opens the folder the way the app does, then
//   hold:   prints "open" and waits to be killed;
//   write:  commits batches of 100 rows in a loop, printing "committed <n>" after each commit;
//   check:  prints "batches <last batch> partial <batches without exactly 100 rows>" and exits.
// Run: node tests/helpers/embedded-child.ts <dataDir> hold|write|check
import { writeSync } from 'node:fs';
import { sql } from 'kysely';
import { openDb } from '../../src/lib/server/db/open.ts';

const [dataDir, mode] = process.argv.slice(2);

/** A line on stdout before going on; the pipe is non-blocking, so a full one is waited out. */
function report(line: string): void {
	for (;;) {
		try {
			writeSync(1, line);
			return;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
		}
	}
}
try {
	const db = await openDb({ backend: 'embedded', dataDir });
	if (mode !== 'hold') await sql`create table if not exists crash_probe (batch int not null, n int not null, pad text not null)`.execute(db.kysely);
	console.log('open');
	if (mode === 'check') {
		const { rows } = await sql<{ last: number; partial: number }>`
			select coalesce(max(batch), 0)::int as last, (select count(*)::int from (select batch from crash_probe group by batch having count(*) <> 100) p) as partial
			from crash_probe`.execute(db.kysely);
		console.log(`batches ${rows[0].last} partial ${rows[0].partial}`);
		await db.close();
	} else if (mode === 'write') {
		const start = (await sql<{ b: number }>`select coalesce(max(batch), 0)::int as b from crash_probe`.execute(db.kysely)).rows[0].b;
		for (let batch = start + 1; ; batch++) {
			await db.kysely.transaction().execute(async (trx) => {
				await sql`insert into crash_probe select ${batch}, g, repeat('x', 200) from generate_series(1, 100) g`.execute(trx);
			});
			// written synchronously: a pipe's console.log is buffered, and kill -9 would lose the tail
			report(`committed ${batch}\n`);
			// PGlite answers without I/O: a loop of nothing but queries would never let the event
			// loop run (no signal, no timer), which a server between requests always does
			await new Promise((r) => setImmediate(r));
		}
	} else {
		setInterval(() => {}, 1 << 30);
	}
} catch (e) {
	console.error(`error: ${(e as Error).message}`);
	process.exit(3);
}
