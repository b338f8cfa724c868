import { startCluster, ensureDataset } from './bench-postgis.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
const cluster = await startCluster();
process.on('exit', () => cluster.stop());
process.on('SIGINT', () => process.exit(130));
try {
  const url = await ensureDataset(cluster.url, 'chaoyang');
  for (const appRole of [false, true]) {
    const db = await openDb({ backend: 'server', url, poolSize: 2 }, { appRole });
    const s = new TileService(db);
    for (const [layer, z, x, y] of [['members', 14, 13492, 6205], ['members', 16, 53970, 24822], ['members', 15, 26985, 12411], ['members', 13, 6746, 3102]] as const) {
      const t = performance.now();
      const p = s.build(layer, { z, x, y });
      const r = await Promise.race([p, new Promise((ok) => setTimeout(() => ok('TIMEOUT'), 150000))]);
      console.log(appRole ? 'app  ' : 'owner', layer, z, x, y, (performance.now() - t).toFixed(0), 'ms', r === 'TIMEOUT' ? 'TIMEOUT' : (r as Uint8Array | null)?.byteLength);
      if (r === 'TIMEOUT') break;
    }
    await db.close().catch(() => {});
  }
} finally { cluster.stop(); }
