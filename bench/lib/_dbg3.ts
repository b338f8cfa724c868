import { startCluster, ensureDataset } from './bench-postgis.ts';
import { openDb } from '../../src/lib/server/db/open.ts';
import { TileService } from '../../src/lib/server/tiles/service.ts';
import { tileOf } from '../../src/lib/server/tiles/bounds.ts';
const cluster = await startCluster();
process.on('exit', () => cluster.stop());
process.on('SIGINT', () => process.exit(130));
try {
  const url = await ensureDataset(cluster.url, 'chaoyang');
  for (const appRole of [false, true]) {
    const db = await openDb({ backend: 'server', url, poolSize: 2 }, { appRole });
    const s = new TileService(db);
    const out: string[] = [];
    for (const layer of ['communities', 'grids', 'buildings', 'roads', 'service_centres', 'members'] as const) {
      for (const z of [11, 12, 14, 15, 16]) {
        if (layer === 'members' && z <= 13) continue;
        const { x, y } = tileOf(116.4853, 39.9491, z);
        const t = performance.now();
        const r = await s.build(layer, { z, x, y });
        out.push(`${layer}/${z}: ${(performance.now() - t).toFixed(0)} ms ${r?.byteLength ?? 0} B`);
      }
    }
    console.log(appRole ? 'app  ' : 'owner', out.join(' · '));
    await db.close().catch(() => {});
  }
} finally { cluster.stop(); }
