import { chromium } from '@playwright/test';
import { startCluster, ensureDataset } from './bench-postgis.ts';
import { startApp } from './app-server.ts';
import { startBareServer } from '../map-bare/serve.ts';
const cluster = await startCluster();
try {
  const url = await ensureDataset(cluster.url, 'chaoyang');
  const app = await startApp(url);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--enable-unsafe-swiftshader','--enable-precise-memory-info'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await ctx.newPage();
  await page.goto(app.origin + '/login');
  await page.locator('input[name="username"]').fill('demo-district-admin');
  await page.locator('input[name="password"]').fill('Bench-Pass-2026!');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('button[type="submit"]').click()]);
  const cookies = await ctx.cookies();
  const bare = await startBareServer(app.origin, cookies.map((c) => `${c.name}=${c.value}`).join('; '));
  const target = process.argv[2] === 'app' ? `${app.origin}/?layers=choropleth,buildings,members,service_centres,roads&v=116.48534,39.94906,11,0,0` : `${bare.origin}/?v=116.48534,39.94906,11,0,0`;
  const p2 = process.argv[2] === 'app' ? page : await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  p2.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 200)));
  p2.on('response', (r) => { if (r.status() >= 400 || /mvt/.test(r.url())) console.log('resp', r.status(), r.url().slice(-60)); });
  const t0 = Date.now();
  await p2.goto(target);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    const s = await p2.evaluate(() => { const w = window as any; const m = w.__jicengMap; return { t: 0, idle: w.__jicengMapIdle, deck: w.__jicengDeckLoaded, map: !!m, loaded: m?.loaded(), moving: m?.isMoving(), tiles: m?.areTilesLoaded(), style: m?.isStyleLoaded() }; });
    console.log((Date.now() - t0) / 1000, JSON.stringify(s));
    if (s.idle && s.deck && s.loaded) break;
  }
  await p2.screenshot({ path: '/tmp/dbg.png' });
  await browser.close();
  await bare.stop(); await app.stop();
} finally { cluster.stop(); }
