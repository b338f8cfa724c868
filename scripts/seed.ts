// npm run seed -- --scale small|district|chaoyang --seed N
// Loads the generated demo district into the database named by the environment (embedded PGlite
// in data/pglite or PGLITE_DIR, or DATABASE_URL), replacing whatever data was there.
import { ConfigError, readDbConfig } from '../src/lib/server/db/config.ts';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { parseSeedArgs, seedDemo, SeedArgsError } from '../src/lib/server/seed/index.ts';

function fail(message: string, code = 2): never {
	process.stderr.write(`${message.split('\n')[0]}\n`);
	process.exit(code);
}

let args: ReturnType<typeof parseSeedArgs>;
let config: ReturnType<typeof readDbConfig>;
try {
	args = parseSeedArgs(process.argv.slice(2));
	config = readDbConfig();
} catch (e) {
	if (e instanceof SeedArgsError) fail(e.message);
	if (e instanceof ConfigError) fail(`seed: ${e.message}`);
	throw e;
}
if (args.scale === 'chaoyang' && config.backend === 'embedded') {
	fail('seed: the chaoyang scale (250,000 members) needs a server PostGIS; set DATABASE_URL=postgres://… (the embedded database would run out of memory)');
}

const db = await openDb(config).catch((e: Error) => fail(`seed: cannot open the database: ${e.message}`, 1));
try {
	await migrate(db, (line) => console.log(`[db] ${line}`));
	const { seconds, counts } = await seedDemo(db, { ...args, log: (line) => console.log(line) });
	console.log(
		`[seed] ${Object.entries(counts)
			.filter(([k]) => !k.startsWith('orgs_'))
			.map(([k, v]) => `${k} ${v}`)
			.join(', ')}`
	);
	console.log(
		`[seed] organisations: ${Object.entries(counts)
			.filter(([k]) => k.startsWith('orgs_'))
			.map(([k, v]) => `${k.slice(5)} ${v}`)
			.join(', ')}`
	);
	console.log(`[seed] ${args.scale} (seed ${args.seed}) on the ${config.backend} database took ${seconds.toFixed(1)} s`);
} catch (e) {
	process.stderr.write(`seed: failed, nothing was changed: ${(e as Error).message.split('\n')[0]}\n`);
	process.exitCode = 1;
} finally {
	await db.close();
}
