// Regenerates src/lib/server/db/schema.ts from a freshly migrated in-memory database.
import { writeFileSync } from 'node:fs';
import { openDb } from '../src/lib/server/db/open.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';
import { renderSchemaTypes } from '../src/lib/server/db/introspect.ts';

const db = await openDb({ backend: 'embedded', dataDir: 'memory://' });
await migrate(db);
writeFileSync('src/lib/server/db/schema.ts', await renderSchemaTypes(db));
await db.close();
console.log('wrote src/lib/server/db/schema.ts');
