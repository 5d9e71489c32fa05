import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { holdTableLock, until } from '../testing/locks.ts';
import { ConnectionGate, InFlightLimit } from './backpressure.ts';
import { DEFAULT_ANSWER_CACHE } from './answer-cache.ts';

let db: TestDatabase;
let world: TinyWorld;
let token: string;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase(10);
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await db.sql`INSERT INTO patrol_device (code, kind) VALUES ('BP-1', 'handheld')`;
  const { app } = testApp(db.sql);
  const cmd = await Client.login(app, 'cmd');
  const issued = await cmd.post('/api/tokens', { name: 'bp', scopes: ['gps:ingest'] });
  token = ((await issued.json()) as { token: string }).token;
});
afterAll(async () => db?.drop());

interface ErrorBody { error: { code: string; message: string; details?: Record<string, unknown> } }

/** A batch of `n` fixes one second apart, starting `start` seconds into the day. */
function batch(start: number, n = 50) {
  return {
    device_code: 'BP-1',
    fixes: Array.from({ length: n }, (_, i) => ({ t: new Date(Date.UTC(2026, 10, 1) + (start + i) * 1000).toISOString(), lon: ox + 0.5 * CELL, lat: oy + 0.5 * CELL })),
  };
}

function push(app: App['app'], body: unknown): Promise<Response> {
  return Promise.resolve(app.request('/api/machine/fixes', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  }));
}

async function fixCount(): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM gps_fix`;
  return r!.n;
}

describe('InFlightLimit and ConnectionGate', () => {
  it('count slots exactly and hand a freed slot to the first waiter', async () => {
    const limit = new InFlightLimit('x', 2);
    const a = limit.enter();
    const b = limit.enter();
    expect(() => limit.enter()).toThrow(/too many x requests/);
    a();
    a(); // a second release is ignored
    expect(limit.inFlight).toBe(1);
    b();
    expect(limit.inFlight).toBe(0);

    const gate = new ConnectionGate(1, 1, 200);
    let releaseFirst!: () => void;
    const first = gate.run(() => new Promise<string>((r) => (releaseFirst = () => r('first'))));
    const second = gate.run(async () => 'second');
    await expect(gate.run(async () => 'third')).rejects.toMatchObject({ status: 503, code: 'database_busy', retryAfterS: 2 });
    expect(gate.stats).toEqual({ active: 1, queued: 1 });
    releaseFirst();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect(gate.stats).toEqual({ active: 0, queued: 0 });
  });
});

describe('back-pressure on ingest', () => {
  it('answers 429 with Retry-After to batches over the in-flight limit, writes none of them, and takes their retries', async () => {
    const { app, deps } = testApp(db.sql, { limits: { ingestInFlight: 2 } });
    const before = await fixCount();
    const lock = await holdTableLock(db.sql, 'gps_fix');
    const held = [push(app, batch(0)), push(app, batch(100))];
    await until(async () => (await lock.waiting()) === 2, 10_000, 'two batches blocked on the lock');
    expect(deps.limits.ingest.inFlight).toBe(2);

    const over = await Promise.all([200, 300, 400, 500, 600].map((s) => push(app, batch(s))));
    for (const res of over) {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('too_many_requests');
      expect(body.error.message).toMatch(/too many ingest requests in progress \(limit 2\)/);
      expect(body.error.details).toEqual({ limit: 'ingest', max: 2, retry_after_s: 1 });
    }
    await lock.release();
    const done = await Promise.all(held);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    // Exactly the two admitted batches, nothing of the five refused ones.
    expect(await fixCount()).toBe(before + 100);
    expect(deps.limits.ingest.inFlight).toBe(0);

    // The devices retry, one at a time, the refused batches and one admitted batch whose answer they lost.
    const retried: Response[] = [];
    for (const s of [0, 200, 300, 400, 500, 600]) retried.push(await push(app, batch(s)));
    expect(retried.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await Promise.all(retried.map((r) => r.json()))).toEqual([
      { received: 50, stored: 0, duplicates: 50 },
      ...Array(5).fill({ received: 50, stored: 50, duplicates: 0 }),
    ]);
    expect(await fixCount()).toBe(before + 350);
  });

  it('answers 429 to event reports over their limit, records none of them, and records their retries once', async () => {
    const { app, deps } = testApp(db.sql, { limits: { eventsInFlight: 1 } });
    const cmd = await Client.login(app, 'cmd');
    const report = (i: number) => cmd.post('/api/events', {
      type: 'service_request', severity: 1, title: `背压测试${i}`, lon: ox + 0.5 * CELL + i * 0.001 * CELL, lat: oy + 0.5 * CELL,
      allow_duplicate: true, client_id: `bp-event-${i}`,
    });
    const count = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event WHERE client_id LIKE 'bp-event-%'`)[0]!.n;
    const lock = await holdTableLock(db.sql, 'event');
    const held = report(0);
    await until(async () => (await lock.waiting()) === 1, 10_000, 'the report blocked on the lock');
    expect(deps.limits.events.inFlight).toBe(1);
    const over = await Promise.all([1, 2, 3].map(report));
    for (const res of over) {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as ErrorBody).error.code).toBe('too_many_requests');
    }
    await lock.release();
    const first = await held;
    expect(first.status).toBe(201);
    expect(await count()).toBe(1);

    const retried: Response[] = [];
    for (const i of [0, 1, 2, 3]) retried.push(await report(i));
    expect(retried.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const ids = await Promise.all(retried.map(async (r) => ((await r.json()) as { event: { id: number } }).event.id));
    expect(ids[0]).toBe(((await first.json()) as { event: { id: number } }).event.id);
    expect(retried[0]!.headers.get('idempotent-replayed')).toBe('true');
    expect(await count()).toBe(4);
  });
});

describe('bounded wait for a database connection', () => {
  it('lets a bounded queue wait a bounded time, then answers 503 with Retry-After; admitted work completes', async () => {
    const { app, deps } = testApp(db.sql, { limits: { dbActive: 2, dbQueue: 1, dbQueueTimeoutMs: 400 } });
    const before = await fixCount();
    const lock = await holdTableLock(db.sql, 'gps_fix');
    const held = [push(app, batch(1000)), push(app, batch(1100))];
    await until(async () => (await lock.waiting()) === 2, 10_000, 'two batches holding both slots');
    expect(deps.gate.stats).toEqual({ active: 2, queued: 0 });

    const started = Date.now();
    const waited = push(app, batch(1200));
    await until(() => deps.gate.stats.queued === 1, 2000, 'one request queued');
    const refusedAtOnce = await push(app, batch(1300));
    expect(Date.now() - started).toBeLessThan(400);
    const timedOut = await waited;
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    for (const [res, why] of [[refusedAtOnce, /1 requests already wait/], [timedOut, /no database connection became free within 400 ms/]] as const) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('database_busy');
      expect(body.error.message).toMatch(why);
    }
    await lock.release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect(await fixCount()).toBe(before + 100);
    expect(deps.gate.stats).toEqual({ active: 0, queued: 0 });
  });
});

describe('answers from memory while the pool is saturated', () => {
  it('a kept session and a kept answer need no pool slot; a miss still waits its bounded time', async () => {
    const { app, deps } = testApp(db.sql, { limits: { dbActive: 2, dbQueue: 0, dbQueueTimeoutMs: 400 }, answerCache: { ...DEFAULT_ANSWER_CACHE, ttlMs: 60_000 } });
    const cmd = await Client.login(app, 'cmd');
    const kept = await cmd.get('/api/stats/subdistrict');
    expect([kept.status, kept.headers.get('x-cache')]).toEqual([200, 'miss']);
    const lock = await holdTableLock(db.sql, 'gps_fix');
    const held = [push(app, batch(2000)), push(app, batch(2100))];
    await until(async () => (await lock.waiting()) === 2, 10_000, 'two batches holding both slots');
    expect(deps.gate.stats).toEqual({ active: 2, queued: 0 });
    // Every slot is taken and no request may queue: the session and the answer come from memory.
    const again = await Promise.all(Array.from({ length: 20 }, () => cmd.get('/api/stats/subdistrict')));
    expect(again.map((r) => `${r.status} ${r.headers.get('x-cache')}`)).toEqual(Array(20).fill('200 hit'));
    expect((await again[0]!.json()) as unknown).toEqual(await kept.json());
    // A question not kept yet needs the database: refused at once, as before.
    const miss = await cmd.get('/api/stats/communities');
    expect(miss.status).toBe(503);
    expect(((await miss.json()) as ErrorBody).error.code).toBe('database_busy');
    await lock.release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
  });
});
