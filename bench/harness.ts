// Shared pieces of the load and soak scripts: a server process on a fresh database of the local
// PostgreSQL seeded with the demo world, a logged-in console session, the console's request mix,
// an open-loop scheduler and percentiles. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { repoPath } from '../api/paths.ts';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEMO_PASSWORD = 'Yuanling@2025';
const NEW_PASSWORD = 'Load-Bench-2026!';

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}

export function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const log = (tag: string) => (m: string) => console.log(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${m}`);

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  databaseUrl: string;
  /** The last few kilobytes the server wrote to stderr. */
  stderr(): string;
  /** Request log lines of requests that took over 5 s, and other server messages. */
  notes(): string[];
  /** SIGTERM, wait for the exit, and drop the database when this script created it. */
  stop(): Promise<void>;
}

/**
 * The server as production runs it (its own process, api/main.ts). Without `databaseUrl` a fresh
 * database `dbName` is created on the local PostgreSQL and the server seeds the demo world into it.
 */
export async function startServerProcess(opts: { port: number; dbName: string; databaseUrl?: string; env?: Record<string, string>; say: (m: string) => void }): Promise<ServerProcess> {
  let databaseUrl = opts.databaseUrl;
  const created = !databaseUrl;
  if (!databaseUrl) {
    if (!/^jw_[a-z0-9_]+$/.test(opts.dbName)) throw new Error(`refusing database name ${opts.dbName}: use jw_…`);
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${opts.dbName} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${opts.dbName}`);
    await admin.end();
    databaseUrl = withDatabase(ADMIN_URL, opts.dbName);
  }
  // BENCH_SERVER_NODE_ARGS: extra flags for the server's node only (e.g. --cpu-prof --cpu-prof-dir=DIR),
  // which NODE_OPTIONS cannot carry.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const launch = async (seed: boolean) => {
    const child = spawn(process.execPath, [...(seed ? [] : nodeArgs), '--import', 'tsx', repoPath('api', 'main.ts')], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(opts.port), HOST: '127.0.0.1', SEED_DEMO: seed ? '1' : '0', BUILD_WEB: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const notes: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        const s = b.toString();
        // Request lines are JSON; keep only the server's own messages.
        for (const line of s.split('\n')) if (line && !line.startsWith('{')) {
          if (/seeding demo|schema at|demo world seeded|console ready|shutting down|stopped/.test(line)) opts.say(`server: ${line.replace(/^\[[^\]]+\] /, '')}`);
          else if (notes.length < 200) notes.push(line);
        } else if (line && /"ms":\d{4,}/.test(line) && Number(/"ms":(\d+)/.exec(line)![1]) > 5000 && notes.length < 200) notes.push(line);
        if (s.includes('console ready')) resolve();
      });
      child.stderr!.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
      void exited.then((code) => reject(new Error(`server exited with ${code} before it was ready:\n${tail}`)));
    });
    return { child, exited, notes, tail: () => tail };
  };
  // A fresh database is seeded by a server process of its own, stopped before the measured one
  // starts: seeding is a one-off step of a deployment, and the measured process's memory and
  // caches should be those of a server that serves, not of one that generated the demo world.
  if (created) {
    const seeder = await launch(true);
    seeder.child.kill('SIGTERM');
    await seeder.exited;
  }
  const { child, exited, notes, tail } = await launch(false);
  const url = `http://127.0.0.1:${opts.port}`;
  return {
    url,
    child,
    databaseUrl,
    stderr: tail,
    notes: () => notes,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      if (created) {
        const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
        await admin.unsafe(`DROP DATABASE IF EXISTS ${opts.dbName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}

export interface Session { cookie: string; csrf: string }

/** Logs in as a demo account through the API, changing the first-login password as the console makes you do. */
export async function login(url: string, username: string): Promise<Session> {
  const attempt = async (password: string) => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) return null;
    const body = (await res.json()) as { csrfToken: string; user: { mustChangePassword: boolean } };
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken, mustChange: body.user.mustChangePassword };
  };
  const s = (await attempt(DEMO_PASSWORD)) ?? (await attempt(NEW_PASSWORD));
  if (!s) throw new Error(`cannot log in as ${username}`);
  if (s.mustChange) {
    const res = await fetch(`${url}/api/auth/password`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify({ current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD }),
    });
    if (res.status !== 204) throw new Error(`password change failed: ${res.status} ${await res.text()}`);
  }
  return { cookie: s.cookie, csrf: s.csrf };
}

export interface MixEntry { name: string; weight: number; request: (i: number) => { path: string; init?: RequestInit } }

/** Unique per run: a seeded database outlives runs (the city preset), and process ids repeat. */
const RUN_ID = randomBytes(6).toString('hex');

const day = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * What the console asks while people use it: the grid layer, KPI tables and the sub-district
 * summary, heat hexagons and incident points over the viewport, the event list, the histogram, and
 * now and then a new event report (which the feed clients then receive). The reports go with
 * `reporter`'s session when given (a console that reports is not the screens that watch: a session
 * is always answered after its own writes, so one session doing both would measure that instead).
 */
export async function consoleMix(url: string, s: Session, reporter: Session = s): Promise<MixEntry[]> {
  const res = await fetch(`${url}/api/subdistricts`, { headers: { cookie: s.cookie } });
  const fc = (await res.json()) as { features: { geometry: { coordinates: number[][][][] } }[] };
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of fc.features) for (const poly of f.geometry.coordinates) for (const ring of poly) for (const [x, y] of ring as unknown as [number, number][]) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  const now = new Date();
  const to = day(now);
  const from7 = day(new Date(now.getTime() - 6 * 86_400_000));
  const from30 = day(new Date(now.getTime() - 29 * 86_400_000));
  // Viewports: the whole sub-district and four quarters of it, as the user pans.
  const views = [[x0, y0, x1, y1], [x0, y0, (x0 + x1) / 2, (y0 + y1) / 2], [(x0 + x1) / 2, y0, x1, (y0 + y1) / 2],
    [x0, (y0 + y1) / 2, (x0 + x1) / 2, y1], [(x0 + x1) / 2, (y0 + y1) / 2, x1, y1]].map((b) => b.map((v) => v.toFixed(5)).join(','));
  const view = (i: number) => views[i % views.length]!;
  const win = (i: number) => (i % 2 ? `from=${from7}&to=${to}` : `from=${from30}&to=${to}`);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return [
    { name: 'grids', weight: 12, request: () => ({ path: '/api/grids' }) },
    { name: 'stats/grids', weight: 12, request: (i) => ({ path: `/api/stats/grids?format=columns&${win(i)}` }) },
    { name: 'stats/subdistrict', weight: 8, request: (i) => ({ path: `/api/stats/subdistrict?${win(i)}` }) },
    { name: 'stats/trend', weight: 4, request: () => ({ path: '/api/stats/trend?days=30' }) },
    { name: 'heat/h3', weight: 18, request: (i) => ({ path: `/api/heat/h3?bbox=${view(i)}&res=${8 + (i % 2)}&${win(i)}` }) },
    { name: 'heat/points', weight: 8, request: (i) => ({ path: `/api/heat/points?bbox=${view(i)}&${win(i)}` }) },
    { name: 'event-histogram', weight: 8, request: (i) => ({ path: `/api/stats/event-histogram?bbox=${view(i)}&${win(i)}` }) },
    { name: 'events', weight: 28, request: (i) => ({ path: `/api/events?limit=${i % 3 ? 100 : 500}` }) },
    {
      name: 'events POST', weight: 2, request: (i) => ({
        path: '/api/events',
        init: {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': reporter.csrf, cookie: reporter.cookie },
          body: JSON.stringify({
            // Severity 3 reaches the command group, so every feed client receives it.
            type: 'public_security', subtype: 'disorder', severity: 3, title: `压测上报${i}`, lon: cx + ((i % 17) - 8) * 0.0004, lat: cy + ((i % 13) - 6) * 0.0004,
            allow_duplicate: true, client_id: `load-${RUN_ID}-${i}`,
          }),
        },
      }),
    },
  ];
}

export function picker(mix: MixEntry[]): (i: number) => MixEntry {
  const total = mix.reduce((a, m) => a + m.weight, 0);
  // A fixed interleaving (not random) so two runs send the same sequence.
  const slots: MixEntry[] = [];
  for (const m of mix) for (let k = 0; k < m.weight; k++) slots.push(m);
  const order = slots.map((m, k) => ({ m, key: (k * 7919) % total })).sort((a, b) => a.key - b.key).map((x) => x.m);
  return (i) => order[i % order.length]!;
}

export interface Outcome { name: string; status: number; ms: number; scheduledAt: number; /** X-Cache of the answer (hit, stale, shared, miss), when it had one. */ cache?: string }

/**
 * Open loop: request i is sent at start + i/rate whatever earlier ones are doing, and its latency is
 * measured from that scheduled time, so a stalled server shows as latency rather than a lower rate.
 */
export async function driveOpenLoop(opts: { url: string; cookie: string; rate: number; seconds: number; pick: (i: number) => MixEntry; timeoutMs?: number }): Promise<{ outcomes: Outcome[]; wallS: number }> {
  const total = Math.round(opts.rate * opts.seconds);
  const outcomes: Outcome[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const at = start + (i * 1000) / opts.rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const entry = opts.pick(i);
    const { path, init } = entry.request(i);
    const headers = { cookie: opts.cookie, ...(init?.headers as Record<string, string> | undefined) };
    const p = fetch(opts.url + path, { ...init, headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) })
      .then(async (res) => {
        // A body cut off by the timeout is no answer, as a request refused outright is.
        const complete = await res.arrayBuffer().then(() => true, () => false);
        const cache = res.headers.get('x-cache');
        outcomes.push({ name: entry.name, status: complete ? res.status : 0, ms: performance.now() - at, scheduledAt: at - start, ...(cache ? { cache } : {}) });
      }, () => {
        outcomes.push({ name: entry.name, status: 0, ms: performance.now() - at, scheduledAt: at - start });
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return { outcomes, wallS: (performance.now() - start) / 1000 };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(outcomes: Outcome[]): { n: number; errors: number; p50: number; p95: number; p99: number; max: number } {
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const ok = (s: number) => s >= 200 && s < 300;
  return { n: outcomes.length, errors: outcomes.filter((o) => !ok(o.status)).length, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: ms[ms.length - 1] ?? NaN };
}

/** How many answers came from the server's answer cache, by X-Cache outcome. */
export function cacheOutcomes(outcomes: Outcome[]): string {
  const by = new Map<string, number>();
  for (const o of outcomes) by.set(o.cache ?? 'not cached', (by.get(o.cache ?? 'not cached') ?? 0) + 1);
  return ['hit', 'stale', 'shared', 'miss', 'not cached'].filter((k) => by.has(k)).map((k) => `${k} ${by.get(k)}`).join(', ');
}

const TICK_MS = 1000 / 100; // USER_HZ

/** user+system CPU of a process in ms, from /proc (0 when it is gone). Linux only. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

export const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');

/** Keeps `n` feed (SSE) clients connected; counts messages, and streams that end or fail before `close()`. */
export function feedClients(url: string, cookie: string, n: number): { connected: () => number; messages: () => number; dropped: () => number; refused: () => number; close: () => void } {
  let connected = 0;
  let messages = 0;
  let dropped = 0;
  let refused = 0;
  let closing = false;
  const ctrl = new AbortController();
  for (let k = 0; k < n; k++) {
    void (async () => {
      try {
        const res = await fetch(`${url}/api/feed`, { headers: { cookie }, signal: ctrl.signal });
        if (res.status !== 200) {
          refused++;
          return;
        }
        connected++;
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const text = dec.decode(value, { stream: true });
          messages += (text.match(/^event: event\./gm) ?? []).length;
        }
        if (!closing) dropped++;
      } catch {
        if (!closing) dropped++;
      }
    })();
  }
  return {
    connected: () => connected, messages: () => messages, dropped: () => dropped, refused: () => refused,
    close: () => {
      closing = true;
      ctrl.abort();
    },
  };
}
