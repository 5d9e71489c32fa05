import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { QueryCatalog } from '../db/queries.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, FakeClock, createUser, testApp } from '../testing/app.ts';
import { startOverdueScheduler } from './scheduler.ts';

let db: TestDatabase;
let app: App['app'];
let hub: App['feed'];
let world: TinyWorld;
const clock = new FakeClock(new Date('2026-11-29T02:00:00Z'));
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase(6);
  ({ app, feed: hub } = testApp(db.sql, { clock }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
});
afterAll(async () => db?.drop());

describe('the overdue scheduler', () => {
  it('escalates a backlog in short transactions, each event once, telling listeners and the answer cache', async () => {
    const cmd = await Client.login(app, 'cmd');
    for (let i = 0; i < 60; i++) {
      const res = await cmd.post('/api/events', { type: 'dispute', subtype: 'land', severity: 1, title: `边界纠纷${i}`, lon: ox + (0.1 + (i % 30) * 0.03) * CELL, lat: oy + (0.2 + Math.floor(i / 30)) * CELL, allow_duplicate: true });
      expect(res.status).toBe(201);
    }
    const logs: string[] = [];
    let changed = 0;
    const published: string[] = [];
    await hub.cursor(async () => BigInt(((await db.sql<{ id: string }[]>`SELECT coalesce(max(id), 0)::text AS id FROM feed_message`)[0]!).id));
    hub.subscribe({ grids: null, groups: new Set(['command']), redacted: false, send: (batch) => published.push(...batch.map(([m]) => m.kind)), close: () => undefined });
    const scheduler = startOverdueScheduler({ sql: db.sql, queries: new QueryCatalog(), clock, feed: hub, log: (m) => logs.push(m), onEventsChanged: () => changed++ }, 3_600_000);
    clock.advance(25 * 3600_000); // every 24-hour deadline has passed
    try {
      await scheduler.runOnce();
      const [row] = await db.sql<{ escalated: number; logs: number }[]>`
        SELECT count(*) FILTER (WHERE escalation_level = 1)::int AS escalated,
               (SELECT count(*)::int FROM event_log WHERE note = '超期自动升级') AS logs
        FROM event`;
      expect(row).toEqual({ escalated: 60, logs: 60 });
      // 25 + 25 + 10: three transactions, each published when it committed.
      expect(changed).toBe(3);
      expect(published.filter((k) => k === 'event.overdue')).toHaveLength(60);
      expect(logs).toEqual(['escalated 60 overdue event(s)']);
      await scheduler.runOnce();
      expect(logs).toHaveLength(1);
      expect(changed).toBe(3);
    } finally {
      await scheduler.stop();
    }
  });
});
