// A child process for the embedded folder tests: opens the folder the way the app does, then
//   hold:   prints "open" and waits to be killed;
//   write:  commits batches of 100 rows in a loop, printing "committed <n>" after each commit.
// Run: node tests/helpers/embedded-child.ts <dataDir> hold|write
import { sql } from 'kysely';
import { openDb } from '../../src/lib/server/db/open.ts';

const [dataDir, mode] = process.argv.slice(2);
try {
	const db = await openDb({ backend: 'embedded', dataDir });
	await sql`create table if not exists crash_probe (batch int not null, n int not null, pad text not null)`.execute(db.kysely);
	console.log('open');
	if (mode === 'write') {
		const start = (await sql<{ b: number }>`select coalesce(max(batch), 0)::int as b from crash_probe`.execute(db.kysely)).rows[0].b;
		for (let batch = start + 1; ; batch++) {
			await db.kysely.transaction().execute(async (trx) => {
				await sql`insert into crash_probe select ${batch}, g, repeat('x', 200) from generate_series(1, 100) g`.execute(trx);
			});
			console.log(`committed ${batch}`);
		}
	} else {
		setInterval(() => {}, 1 << 30);
	}
} catch (e) {
	console.error(`error: ${(e as Error).message}`);
	process.exit(3);
}
