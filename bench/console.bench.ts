import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import postgres from 'postgres';
import { migrate } from '../api/db/migrate.ts';
import { repoPath } from '../api/paths.ts';
import { startServer } from '../api/server.ts';
import { createUser, TEST_PASSWORD } from '../api/testing/app.ts';
import { loadCity } from '../geodata/city/load.ts';
import { progressBar } from '../geodata/city/copy.ts';
import { cityPlan } from '../geodata/city/world.ts';
import { percentile } from './measure.ts';

/**
 * `npm run bench:console`: how fast the console draws the city preset's grids in headless Chromium
 * (Debian's), and how smooth panning stays with them drawn.
 *
 * The database holds the city preset's jurisdiction only (28 sub-districts, 5,041 grids): the map's
 * first paint depends on the grid polygons and their KPI join, and loading the preset's 20 M fixes
 * to measure a paint would take the better part of an hour. The wall-display account sees every
 * grid; the baseline, measured in the same run, is a command account of one sub-district (180
 * grids), so the ratio says what 28 times the polygons cost.
 *
 *   npm run bench:console -- [--runs 5] [--scale 1]
 */

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, scale: { type: 'string', default: '1' }, port: { type: 'string', default: '8497' } } });
const runs = Number(values.runs);
const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = process.env.BENCH_CONSOLE_DB ?? 'jw_console_bench';
const TARGET_MS = 3000;

const log = (m: string) => console.log(m);
const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
await adminSql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
await adminSql.unsafe(`CREATE DATABASE ${dbName}`);
await adminSql.end();
const url = new URL(admin);
url.pathname = `/${dbName}`;

const sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
await migrate(sql);
const plan = cityPlan(Number(values.scale), 42, new Date().toISOString().slice(0, 10));
const city = await loadCity(sql, plan, progressBar(), { jurisdictionOnly: true });
await sql`ANALYZE`;
const [sd] = await sql<{ id: number; grids: number }[]>`
  SELECT c.subdistrict_id AS id, count(*)::int AS grids FROM grid g JOIN community c ON c.id = g.community_id
  GROUP BY 1 ORDER BY 1 LIMIT 1`;
await createUser(sql, 'bench_wall', 'display', {});
await createUser(sql, 'bench_command', 'command', { subdistrict_id: sd!.id });
await sql.end();
log(`city jurisdiction: ${city.subdistricts} sub-districts, ${city.communities} communities, ${city.grids} grids`);

const server = await startServer({
  port: Number(values.port), host: '127.0.0.1', databaseUrl: url.toString(), dataDir: repoPath('data', 'bench-unused'),
  seedDemo: false, buildWeb: true, log: () => {}, requestLog: () => {},
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--use-gl=angle', '--use-angle=swiftshader'],
});

/**
 * Milliseconds from navigation start until every grid the account sees is drawn: the console opens
 * fitted to every sub-district the account sees, and the clock stops when the map has loaded its
 * tiles with each grid rendered.
 */
async function firstMap(page: Page, expected: number): Promise<number> {
  await page.goto(`${server.url}/`);
  const fail = (what: string) => async (err: unknown) => {
    const state = await page.evaluate(() => {
      const jw = (window as unknown as { __jw?: { map: import('maplibre-gl').Map } }).__jw;
      return jw ? { style: jw.map.isStyleLoaded(), loaded: jw.map.loaded(), drawn: new Set(jw.map.querySourceFeatures('grids').map((f) => f.id)).size } : { url: location.href };
    });
    throw new Error(`${what} within 60 s: ${JSON.stringify(state)}`, { cause: err });
  };
  // getData() is asynchronous, which waitForFunction cannot wait on: poll in the page instead.
  await page.evaluate(async (n) => {
    const deadline = performance.now() + 60_000;
    for (;;) {
      const jw = (window as unknown as { __jw?: { map: import('maplibre-gl').Map } }).__jw;
      const source = jw?.map.isStyleLoaded() ? (jw.map.getSource('grids') as import('maplibre-gl').GeoJSONSource | undefined) : undefined;
      if (source) {
        const data = (await source.getData()) as GeoJSON.FeatureCollection;
        if (data.features?.length >= n) return;
      }
      if (performance.now() > deadline) throw new Error('timeout');
      await new Promise((r) => setTimeout(r, 20));
    }
  }, expected).catch(fail(`the grid source did not get ${expected} polygons`));
  await page.waitForFunction((n) => {
    const map = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map;
    return map.loaded() && new Set(map.querySourceFeatures('grids').map((f) => f.id)).size >= n;
  }, expected, { timeout: 60_000, polling: 20 }).catch(fail(`the map did not draw ${expected} grids`));
  return page.evaluate(() => performance.now());
}

/** Frame intervals while the map pans continuously for two seconds. */
async function panFrames(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const map = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map;
    const frames: number[] = [];
    let last = performance.now();
    let running = true;
    const tick = (t: number) => {
      frames.push(t - last);
      last = t;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    for (let i = 0; i < 8; i++) {
      map.panBy([i % 2 ? -300 : 300, i % 4 < 2 ? 150 : -150], { duration: 250 });
      await new Promise((r) => setTimeout(r, 250));
    }
    running = false;
    return frames.slice(1);
  });
}

/** BENCH_CONSOLE_TRACE=1: where the first map's time goes (each resource's start and end after navigation). */
async function printTimeline(page: Page, username: string): Promise<void> {
  const entries = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const rows = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
      name: e.name.replace(location.origin, ''), start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize,
    }));
    return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, rows };
  });
  log(`timeline (${username}): DOMContentLoaded ${entries.domContentLoaded.toFixed(0)} ms, load ${entries.load.toFixed(0)} ms`);
  for (const r of entries.rows.sort((a, b) => a.start - b.start)) {
    log(`  ${r.start.toFixed(0).padStart(6)} → ${r.end.toFixed(0).padStart(6)} ms ${String(r.bytes).padStart(9)} B  ${r.name.slice(0, 110)}`);
  }
}

function summarise(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { runs: values.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

async function measure(username: string, expected: number) {
  const loads: number[] = [];
  let frames: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const res = await context.request.post(`${server.url}/api/auth/login`, { data: { username, password: TEST_PASSWORD } });
    if (res.status() !== 200) throw new Error(`login ${username}: ${res.status()} ${await res.text()}`);
    // tsx compiles the functions passed to evaluate() with esbuild's keepNames helper, which the page lacks.
    await context.addInitScript('globalThis.__name = (f) => f');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    loads.push(await firstMap(page, expected));
    if (process.env.BENCH_CONSOLE_TRACE && i === 0) await printTimeline(page, username);
    if (i === runs - 1) frames = await panFrames(page);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    await context.close();
  }
  return { load: summarise(loads), frames: summarise(frames), longFrames: frames.filter((f) => f > 50).length, frameCount: frames.length };
}

try {
  const wall = await measure('bench_wall', city.grids);
  const command = await measure('bench_command', sd!.grids);
  const fmt = (v: number) => v.toFixed(0);
  log('');
  log('view                             runs  first map p50 ms  p95 ms   pan frame p50/p95 ms  frames > 50 ms');
  for (const [name, r] of [[`all ${city.grids} grids (wall account)`, wall], [`${sd!.grids} grids (one sub-district, baseline)`, command]] as const) {
    log(`${name.padEnd(32)} ${String(r.load.runs).padStart(4)}  ${fmt(r.load.p50).padStart(16)}  ${fmt(r.load.p95).padStart(6)}   ${`${r.frames.p50.toFixed(1)}/${r.frames.p95.toFixed(1)}`.padStart(20)}  ${r.longFrames}/${r.frameCount}`);
  }
  log('');
  log(`first map with all ${city.grids} grids: p50 ${fmt(wall.load.p50)} ms (target ≤ ${TARGET_MS} ms: ${wall.load.p50 <= TARGET_MS ? 'PASS' : 'FAIL'}); ${(wall.load.p50 / command.load.p50).toFixed(2)}× the one-sub-district baseline`);
} finally {
  await browser.close();
  await server.close();
}
