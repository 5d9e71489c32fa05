import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { QueryCatalog } from '../db/queries.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, FakeClock, createUser, testApp } from '../testing/app.ts';
import { SseReader } from '../testing/sse.ts';
import { escalateOverdue } from './service.ts';
import { EVENT_ACTIONS, EVENT_STATES, TRANSITIONS, type EventAction, type EventState } from './state-machine.ts';

let db: TestDatabase;
let app: App['app'];
let hub: App['feed'];
let world: TinyWorld;
let cmd: Client;
let leader: Client;
const clock = new FakeClock(new Date('2026-11-29T02:00:00Z'));
const [ox, oy] = ORIGIN;
let n = 0;

beforeAll(async () => {
  db = await freshDatabase(6);
  ({ app, feed: hub } = testApp(db.sql, { clock }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'police', 'police', { community_id: world.communityIds[0] });
  cmd = await Client.login(app, 'cmd');
  leader = await Client.login(app, 'leader');
});
afterAll(async () => db?.drop());

/** A new event in grid 1; these tests are about the workflow, so duplicates are confirmed. */
async function report(client: Client, extra: Record<string, unknown> = {}): Promise<{ id: number; version: number }> {
  n++;
  const res = await client.post('/api/events', {
    type: 'public_security', subtype: 'theft', severity: 1, title: `电动车被盗${n}`,
    lon: ox + 0.05 * CELL + (n % 40) * 0.02 * CELL, lat: oy + 0.05 * CELL + Math.floor(n / 40) * 0.05 * CELL, allow_duplicate: true, ...extra,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { event: { id: number; version: number } };
  return body.event;
}

async function act(client: Client, id: number, action: EventAction, version: number, extra: Record<string, unknown> = {}) {
  return client.post(`/api/events/${id}/transitions`, { action, expected_version: version, ...extra });
}

/** A shortest sequence of actions from "reported" to each state. */
const PATH: Record<EventState, EventAction[]> = {
  reported: [], accepted: ['accept'], assigned: ['accept', 'assign'], in_progress: ['accept', 'assign', 'start'],
  resolved: ['accept', 'assign', 'start', 'resolve'], closed: ['accept', 'assign', 'start', 'resolve', 'close'],
  escalated: ['escalate'], returned: ['return'], cancelled: ['cancel'],
};

async function eventIn(state: EventState): Promise<{ id: number; version: number }> {
  const e = await report(cmd);
  let version = e.version;
  for (const a of PATH[state]) {
    const res = await act(cmd, e.id, a, version);
    expect(res.status, `${a} on the way to ${state}`).toBe(200);
    version = ((await res.json()) as { version: number }).version;
  }
  return { id: e.id, version };
}

describe('the closed loop', () => {
  it('keeps the TypeScript table and the database rule table identical', async () => {
    const rows = await db.sql<{ action: string; from_state: string; to_state: string }[]>`SELECT action, from_state, to_state FROM event_transition_rule`;
    const fromDb = rows.map((r) => `${r.action}:${r.from_state}>${r.to_state}`).sort();
    const fromTs = EVENT_ACTIONS.flatMap((a) => Object.entries(TRANSITIONS[a]).map(([f, t]) => `${a}:${f}>${t}`)).sort();
    expect(fromDb).toEqual(fromTs);
  });

  it('allows every legal transition and refuses every illegal one with 409, logging each step', { timeout: 60_000 }, async () => {
    for (const from of EVENT_STATES) {
      for (const action of EVENT_ACTIONS) {
        const e = await eventIn(from);
        const res = await act(cmd, e.id, action, e.version);
        const to = TRANSITIONS[action][from];
        if (to) {
          expect(res.status, `${action} from ${from}`).toBe(200);
          expect(await res.json()).toEqual({ state: to, version: e.version + 1 });
          const [log] = await db.sql<{ from_state: string; to_state: string; action: string; actor_name: string }[]>`
            SELECT from_state, to_state, action, actor_name FROM event_log WHERE event_id = ${e.id} ORDER BY id DESC LIMIT 1`;
          expect(log).toEqual({ from_state: from, to_state: to, action, actor_name: 'cmd' });
        } else {
          expect(res.status, `${action} from ${from}`).toBe(409);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('illegal_transition');
          const [row] = await db.sql<{ state: string }[]>`SELECT state FROM event WHERE id = ${e.id}`;
          expect(row!.state).toBe(from);
        }
      }
    }
  });

  it('is enforced by the database as well', async () => {
    const e = await eventIn('reported');
    await expect(db.sql`UPDATE event SET state = 'closed', closed_at = now() WHERE id = ${e.id}`).rejects.toThrow(/illegal event transition reported -> closed/);
    const closed = await eventIn('closed');
    await expect(db.sql`UPDATE event SET title = '改' WHERE id = ${closed.id}`).rejects.toThrow(/can no longer change/);
  });

  it('lets one of two simultaneous actors win; the other gets 409 with the current version', async () => {
    const e = await eventIn('reported');
    const police = await Client.login(app, 'police');
    const [a, b] = await Promise.all([act(cmd, e.id, 'accept', e.version), act(police, e.id, 'cancel', e.version)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const body = (await loser.json()) as { error: { code: string; details: { current_version: number } } };
    expect(body.error.code).toBe('version_conflict');
    expect(body.error.details.current_version).toBe(e.version + 1);
    const [logs] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_log WHERE event_id = ${e.id}`;
    expect(logs!.n).toBe(2);
  });

  it('refuses roles outside the action and grids outside the jurisdiction', async () => {
    const e = await eventIn('resolved');
    expect((await act(leader, e.id, 'close', e.version)).status).toBe(409);
    const outside = await cmd.post('/api/events', { type: 'service_request', severity: 1, title: '求助', lon: ox + 3.5 * CELL, lat: oy + CELL });
    expect(outside.status).toBe(201);
    const { event } = (await outside.json()) as { event: { id: number; version: number } };
    expect((await act(leader, event.id, 'accept', event.version)).status).toBe(404);
    const leaderOutside = await leader.post('/api/events', { type: 'service_request', severity: 1, title: '求助', lon: ox + 3.5 * CELL, lat: oy + 1.5 * CELL });
    expect(leaderOutside.status).toBe(403);
    const nowhere = await cmd.post('/api/events', { type: 'service_request', severity: 1, title: '求助', lon: ox - CELL, lat: oy });
    expect(nowhere.status).toBe(422);
  });
});

describe('intake', () => {
  it('names the grid leader and police of the grid', async () => {
    const res = await cmd.post('/api/events', { type: 'hazard', subtype: 'fire', severity: 2, title: '楼道堆放杂物', lon: ox + 0.9 * CELL, lat: oy + 1.9 * CELL });
    const body = (await res.json()) as { event: { grid_id: number }; responsible: { name: string; role: string }[] };
    expect(body.event.grid_id).toBe(world.gridIds[0]);
    expect(body.responsible.map((r) => [r.name, r.role])).toEqual([['leader', 'grid_leader'], ['police', 'police']]);
  });

  it('warns of a similar event within 100 m and 24 h, and records it when confirmed', async () => {
    const base = { type: 'dispute', subtype: 'neighbour', severity: 1, title: '邻里噪音纠纷', lat: oy + 1.5 * CELL };
    expect((await cmd.post('/api/events', { ...base, lon: ox + 1.5 * CELL })).status).toBe(201);
    const near = await cmd.post('/api/events', { ...base, lon: ox + 1.5 * CELL + 0.0005 });
    expect(near.status).toBe(409);
    const body = (await near.json()) as { error: { code: string; details: { duplicates: { distance_m: number }[] } } };
    expect(body.error.code).toBe('possible_duplicate');
    expect(body.error.details.duplicates[0]!.distance_m).toBeGreaterThan(40);
    expect(body.error.details.duplicates[0]!.distance_m).toBeLessThan(100);
    expect((await cmd.post('/api/events', { ...base, lon: ox + 1.5 * CELL + 0.0005, allow_duplicate: true })).status).toBe(201);
    expect((await cmd.post('/api/events', { ...base, lon: ox + 1.5 * CELL + 0.0016 })).status).toBe(201);
  });
});

describe('deadlines and escalation', () => {
  it('escalates an overdue event one level with a fresh deadline, logs it as the system, and tells community and command', async () => {
    const queries = new QueryCatalog();
    // A general dispute: the grid leader has 24 h.
    const res = await cmd.post('/api/events', { type: 'dispute', subtype: 'land', severity: 1, title: '宅基地边界纠纷', lon: ox + 1.2 * CELL, lat: oy + 0.2 * CELL });
    const { event } = (await res.json()) as { event: { id: number; due_at: string } };
    expect(new Date(event.due_at).getTime() - clock.now().getTime()).toBe(24 * 3600_000);
    const before = await db.sql.begin((tx) => escalateOverdue(tx, queries, new Date(clock.now().getTime() + 23 * 3600_000)));
    expect(before.filter((m) => m.event_id === event.id)).toHaveLength(0);
    const later = new Date(clock.now().getTime() + 25 * 3600_000);
    const messages = await db.sql.begin((tx) => escalateOverdue(tx, queries, later));
    const mine = messages.filter((m) => m.event_id === event.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'event.overdue', groups: ['grid', 'community', 'command'] });
    const [row] = await db.sql<{ state: string; escalation_level: number; due_at: Date }[]>`SELECT state, escalation_level, due_at FROM event WHERE id = ${event.id}`;
    expect(row!.state).toBe('escalated');
    expect(row!.escalation_level).toBe(1);
    expect(row!.due_at.getTime()).toBe(later.getTime() + 24 * 3600_000);
    const [log] = await db.sql<{ actor_name: string; note: string }[]>`SELECT actor_name, note FROM event_log WHERE event_id = ${event.id} ORDER BY id DESC LIMIT 1`;
    expect(log).toEqual({ actor_name: '系统', note: '超期自动升级' });
    // Escalated once per deadline, not once per pass.
    const again = await db.sql.begin((tx) => escalateOverdue(tx, queries, new Date(later.getTime() + 60_000)));
    expect(again.filter((m) => m.event_id === event.id)).toHaveLength(0);
  });
});

describe('the live feed', () => {
  it('delivers messages to the right groups, and a reconnect with Last-Event-ID loses and repeats nothing', async () => {
    const leaderFeed = new SseReader(await leader.get('/api/feed'));
    const cmdFeed = new SseReader(await cmd.get('/api/feed'));
    await leaderFeed.nextOf('ready');
    await cmdFeed.nextOf('ready');
    expect(hub.size).toBe(2);

    // Severity 1 in grid 1: the grid group only. Severity 3: grid, community and command.
    const minor = await report(cmd, { severity: 1 });
    const major = await report(cmd, { severity: 3 });
    const m1 = await leaderFeed.nextOf('event.created');
    const m2 = await leaderFeed.nextOf('event.created');
    expect([m1, m2].map((m) => (JSON.parse(m.data) as { event_id: number }).event_id)).toEqual([minor.id, major.id]);
    const c1 = await cmdFeed.nextOf('event.created');
    expect((JSON.parse(c1.data) as { event_id: number }).event_id).toBe(major.id);

    // The leader drops off after the second message; three more are committed meanwhile.
    await leaderFeed.close();
    const missed = [await report(cmd), await report(cmd), await report(cmd)];
    const again = new SseReader(await leader.request('/api/feed', { headers: { 'last-event-id': m2.id! } }));
    const replayed: number[] = [];
    for (let i = 0; i < 3; i++) replayed.push((JSON.parse((await again.nextOf('event.created')).data) as { event_id: number }).event_id);
    expect(replayed).toEqual(missed.map((e) => e.id));
    await again.nextOf('ready');
    const live = await report(cmd);
    expect((JSON.parse((await again.nextOf('event.created')).data) as { event_id: number }).event_id).toBe(live.id);
    await again.close();
    await cmdFeed.close();
  });
});
