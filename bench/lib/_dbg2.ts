import { startCluster, ensureDataset } from './bench-postgis.ts';
import { startApp } from './app-server.ts';
const cluster = await startCluster();
try {
  const url = await ensureDataset(cluster.url, 'chaoyang');
  const app = await startApp(url);
  const form = new URLSearchParams({ username: 'demo-district-admin', password: 'Bench-Pass-2026!' });
  const r = await fetch(app.origin + '/login', { method: 'POST', body: form, headers: { origin: app.origin, 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  const cookie = (r.headers.getSetCookie()).map((c) => c.split(';')[0]).join('; ');
  console.log(r.status, cookie.slice(0, 30));
  for (const path of ['members/11/1686/775', 'members/11/1687/776', 'members/12/3373/1551', 'members/14/13492/6205', 'buildings/14/13492/6205', 'roads/11/1686/775', 'communities/11/1686/775']) {
    const t = performance.now();
    const res = await fetch(`${app.origin}/tiles/${path}.mvt`, { headers: { cookie } });
    const b = await res.arrayBuffer();
    console.log(path, res.status, b.byteLength, (performance.now() - t).toFixed(0), 'ms', res.headers.get('cache-control'), res.headers.get('content-encoding'));
  }
  await app.stop();
} finally { cluster.stop(); }
