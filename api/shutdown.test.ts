// Graceful shutdown of the real server process (api/main.ts): SIGTERM stops accepting, lets
// in-flight requests finish within a bounded wait, ends feed streams and closes the pool.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, sha256, SESSION_COOKIE } from './auth/sessions.ts';
import { DEFAULT_AUTH_CONFIG, systemClock } from './auth/types.ts';
import { repoPath } from './paths.ts';
import { freshDatabase, type TestDatabase } from './testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld } from './testing/fixtures.ts';
import { createUser } from './testing/app.ts';
import { holdTableLock, until } from './testing/locks.ts';

let db: TestDatabase;
// Its own client name, so the server's connections (application_name jingwang-console) can be counted apart.
let sql: Sql;
const TOKEN = 'jwt_shutdown-test-token-0123456789';
let cookie: string;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase(1);
  sql = postgres(db.url, { max: 4, onnotice: () => {}, connection: { application_name: 'shutdown-test' } });
  const world = await insertTinyWorld(sql);
  const { userId } = await createUser(sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await sql`INSERT INTO patrol_device (code, kind) VALUES ('SD-1', 'handheld')`;
  await sql`INSERT INTO api_token (name, token_hash, scopes) VALUES ('shutdown', ${sha256(TOKEN)}, ${['gps:ingest']})`;
  const s = await createSession(sql, userId, { ip: '127.0.0.1', userAgent: 'test' }, systemClock, DEFAULT_AUTH_CONFIG);
  cookie = `${SESSION_COOKIE}=${s.token}`;
});
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  await sql?.end();
  await db?.drop();
});

interface Running { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }

async function startServer(env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('api', 'main.ts')], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', BUILD_WEB: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(() => /console ready at (\S+)\//.test(out) || child.exitCode !== null, 60_000, 'the server to start');
  const url = /console ready at (\S+)\//.exec(out)?.[1];
  if (!url) throw new Error(`server did not start:\n${out}`);
  return { child, url, output: () => out, exited };
}

function push(url: string, start: number): Promise<Response> {
  const fixes = Array.from({ length: 50 }, (_, i) => ({ t: new Date(Date.UTC(2026, 10, 3) + (start + i) * 1000).toISOString(), lon: ox + 0.5 * CELL, lat: oy + 0.5 * CELL }));
  return fetch(`${url}/api/machine/fixes`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ device_code: 'SD-1', fixes }),
  });
}

const fixCount = async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM gps_fix`)[0]!.n;
const serverConnections = async () => (await sql<{ n: number }[]>`
  SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${db.name} AND application_name = 'jingwang-console'`)[0]!.n;

/** Opens the feed and resolves once the server said "ready"; `ended` resolves when the stream ends. */
async function openFeed(url: string): Promise<{ ended: Promise<void> }> {
  const res = await fetch(`${url}/api/feed`, { headers: { cookie } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += dec.decode(value, { stream: true });
        if (text.includes('event: ready')) ready();
      }
    } catch {
      // A cut connection ends the stream as well.
    }
  })();
  await isReady;
  return { ended };
}

describe('SIGTERM', () => {
  it('stops accepting, finishes the request in flight, ends feed streams, closes the pool and exits 0', { timeout: 120_000 }, async () => {
    const server = await startServer();
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
    const feed = await openFeed(server.url);
    expect(await serverConnections()).toBeGreaterThan(0);

    const lock = await holdTableLock(sql, 'gps_fix');
    const inFlight = push(server.url, 0);
    await until(async () => (await lock.waiting()) === 1, 10_000, 'the batch to block on the lock');
    server.child.kill('SIGTERM');
    await until(() => server.output().includes('SIGTERM: shutting down'), 10_000, 'the shutdown to begin');

    try {
      await feed.ended;
      // No new connection is accepted…
      const port = Number(new URL(server.url).port);
      await expect(new Promise((resolve, reject) => connect(port, '127.0.0.1', () => resolve('connected')).once('error', reject)))
        .rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(server.child.exitCode).toBeNull(); // …while the batch in flight is waited for
    } finally {
      await lock.release();
    }
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 50, stored: 50, duplicates: 0 });
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopped cleanly');
    expect(await fixCount()).toBe(50);
    expect(await serverConnections()).toBe(0);
  });

  it('waits for in-flight requests only up to SHUTDOWN_TIMEOUT_MS; a cut request writes nothing', { timeout: 120_000 }, async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT_MS: '1000' });
    const before = await fixCount();
    const lock = await holdTableLock(sql, 'gps_fix');
    try {
      const inFlight = push(server.url, 1000).then((r) => r.status, () => 'cut');
      await until(async () => (await lock.waiting()) === 1, 10_000, 'the batch to block on the lock');
      const t0 = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      // The wait (1 s) plus the pool's own bounded close (5 s) for the blocked statement.
      expect(Date.now() - t0).toBeLessThan(9000);
      expect(await inFlight).toBe('cut');
      expect(server.output()).toContain('requests still running after 1000 ms');
    } finally {
      await lock.release();
    }
    expect(await fixCount()).toBe(before);
    await until(async () => (await serverConnections()) === 0, 5000, 'the server connections to go');
  });
});
