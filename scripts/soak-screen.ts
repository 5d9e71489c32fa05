// Soak test of the wall screen (npm run soak:screen [-- --minutes N] [--rate EVENTS_PER_MIN]):
// starts a server on a fresh database seeded with the demo world (as e2e/server.ts does), opens
// /screen as the display account in headless Chromium at 3840×2160, reports events through the API
// at a steady rate, and once a minute forces a garbage collection and samples the JS heap
// (CDP Runtime.getHeapUsage), DOM nodes and event listeners. It reports heap growth from minute 5
// (or the first sample, for runs shorter than 5 minutes) to the end, and every page error.
// Exit 0 when growth ≤ 10 % and there were no errors.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type APIRequestContext, type Page } from '@playwright/test';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const minutes = arg('minutes', 30);
const rate = arg('rate', 12); // events per minute
const port = Number(process.env.E2E_PORT ?? 8096);
const dbName = process.env.E2E_DB ?? 'jw_soak';
const base = `http://127.0.0.1:${port}`;
const DEMO_PASSWORD = 'Yuanling@2025';
const SOAK_PASSWORD = 'Soak-Screen-2026!';
const log = (m: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function waitForHealth(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms`);
}

/** Logs a request context in; demo accounts must change their password at first login. */
async function login(request: APIRequestContext, username: string): Promise<string> {
  const attempt = (password: string) => request.post(`${base}/api/auth/login`, { data: { username, password } });
  let res = await attempt(SOAK_PASSWORD);
  if (res.status() === 401) {
    res = await attempt(DEMO_PASSWORD);
    if (!res.ok()) throw new Error(`login ${username}: ${res.status()} ${await res.text()}`);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const change = await request.post(`${base}/api/auth/password`, { data: { current_password: DEMO_PASSWORD, new_password: SOAK_PASSWORD }, headers: { 'x-csrf-token': csrfToken } });
    if (change.status() !== 204) throw new Error(`password change ${username}: ${change.status()}`);
    res = await attempt(SOAK_PASSWORD);
  }
  if (!res.ok()) throw new Error(`login ${username}: ${res.status()}`);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

interface Sample { minute: number; heapUsedMB: number; heapTotalMB: number; nodes: number; listeners: number; events: number }

async function main() {
  log(`starting the server on port ${port}, database ${dbName} (fresh, demo world)…`);
  const server = spawn('node_modules/.bin/tsx', ['e2e/server.ts'], { env: { ...process.env, E2E_PORT: String(port), E2E_DB: dbName }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout.on('data', (d: Buffer) => process.stdout.write(`  ${d.toString().replace(/\n(?!$)/g, '\n  ')}`));
  server.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const stopServer = () => {
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', () => {
    stopServer();
    process.exit(130);
  });

  const errors: string[] = [];
  let created = 0;
  let failedCreates = 0;
  const samples: Sample[] = [];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--js-flags=--expose-gc'],
  });
  try {
    await waitForHealth(300_000);
    const context = await browser.newContext({ viewport: { width: 3840, height: 2160 } });
    const page: Page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(`console.error: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 500) errors.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.route('**/*', (route) => (route.request().url().startsWith(base) || route.request().url().startsWith('data:') || route.request().url().startsWith('blob:')
      ? route.continue() : (errors.push(`external request ${route.request().url()}`), route.abort())));
    await login(context.request, 'dapin');
    await page.goto(`${base}/screen`);
    await page.getByTestId('kpi-registration').locator('strong').filter({ hasText: '%' }).waitFor({ timeout: 60_000 });
    log('screen is up');

    // The reporter: the command account, steady rate, points at grid label points, severities 1–4.
    const reporter = await browser.newContext();
    const csrf = await login(reporter.request, 'zhihui');
    const grids = ((await (await reporter.request.get(`${base}/api/grids`)).json()) as { features: { properties: { label_point: [number, number] } }[] }).features;
    let n = 0;
    const reportOne = async () => {
      n++;
      const [lon, lat] = grids[n % grids.length]!.properties.label_point;
      const res = await reporter.request.post(`${base}/api/events`, {
        data: { type: 'public_security', subtype: 'disorder', severity: 1 + (n % 4), title: `大屏压测 ${n}`, lon: lon + ((n * 37) % 11) * 0.0001, lat: lat + ((n * 53) % 7) * 0.0001, allow_duplicate: true },
        headers: { 'x-csrf-token': csrf },
      }).catch((e: Error) => ({ status: () => 0, text: async () => e.message }));
      if (res.status() === 201) created++;
      else {
        failedCreates++;
        if (failedCreates <= 5) log(`event report failed: ${res.status()} ${(await res.text()).slice(0, 120)}`);
      }
    };
    const inFlight = new Set<Promise<void>>();
    const reporterTimer = setInterval(() => {
      const p = reportOne().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, 60_000 / rate);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const t0 = Date.now();
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, t0 + minute * 60_000 - Date.now()));
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = await cdp.send('Runtime.getHeapUsage');
      const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      const s: Sample = { minute, heapUsedMB: heap.usedSize / 2 ** 20, heapTotalMB: heap.totalSize / 2 ** 20, nodes: metrics.Nodes ?? 0, listeners: metrics.JSEventListeners ?? 0, events: created };
      samples.push(s);
      log(`minute ${minute}: heap ${s.heapUsedMB.toFixed(2)} MB used / ${s.heapTotalMB.toFixed(2)} MB, DOM nodes ${s.nodes}, listeners ${s.listeners}, events reported ${created}, errors ${errors.length}`);
    }
    clearInterval(reporterTimer);
    await Promise.all(inFlight);
    await reporter.close();

    const from = samples.find((s) => s.minute === 5) ?? samples[0]!;
    const to = samples.at(-1)!;
    const growth = (to.heapUsedMB - from.heapUsedMB) / from.heapUsedMB;
    const result = {
      minutes, rate_per_minute: rate, viewport: '3840x2160', events_reported: created, event_reports_failed: failedCreates,
      heap_from: { minute: from.minute, used_mb: Number(from.heapUsedMB.toFixed(3)) },
      heap_to: { minute: to.minute, used_mb: Number(to.heapUsedMB.toFixed(3)) },
      heap_growth: Number(growth.toFixed(4)), errors: errors.length, error_samples: errors.slice(0, 20), samples,
    };
    mkdirSync('test-results/artifacts', { recursive: true });
    writeFileSync('test-results/artifacts/soak-screen.json', JSON.stringify(result, null, 2));
    log(`heap growth minute ${from.minute} → ${to.minute}: ${(growth * 100).toFixed(2)} % (${from.heapUsedMB.toFixed(2)} → ${to.heapUsedMB.toFixed(2)} MB); events ${created} (${failedCreates} failed); errors ${errors.length}`);
    for (const e of errors.slice(0, 10)) log(`  error: ${e}`);
    process.exitCode = growth <= 0.1 && errors.length === 0 ? 0 : 1;
  } finally {
    await browser.close();
    stopServer();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
