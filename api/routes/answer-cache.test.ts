import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { DEFAULT_ANSWER_CACHE } from '../http/answer-cache.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';

// The answer cache through the app as the server runs it, on a real PostGIS: kept answers are per
// caller, and writes through the server make them stale at once by the documented rules.
let db: TestDatabase;
let app: App['app'];
let routes: App['routes'];
let world: TinyWorld;
let cmd: Client;
let leader: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase(8);
  // A long ttl, so that nothing in the test expires by time: every fresh answer comes from a write.
  ({ app, routes } = testApp(db.sql, { answerCache: { ...DEFAULT_ANSWER_CACHE, ttlMs: 600_000, staleMs: 0 } }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  [cmd, leader, analyst] = await Promise.all([Client.login(app, 'cmd'), Client.login(app, 'leader'), Client.login(app, 'analyst')]);
});
afterAll(async () => db?.drop());

const report = (client: Client, gridIndex: number, title: string) => client.post('/api/events', {
  type: 'dispute', subtype: 'neighbour', severity: 2, title, lon: ox + (gridIndex + 0.5) * CELL, lat: oy + CELL,
  reported_at: '2026-11-29T09:00:00+08:00', allow_duplicate: true,
});
const titles = async (res: Response) => ((await res.json()) as { events: { title: string }[] }).events.map((e) => e.title).sort();
const LIST = '/api/events?limit=100';

describe('kept answers', () => {
  it('are kept per caller: each jurisdiction gets its own answer, from the second request on from memory', async () => {
    expect((await report(cmd, 0, '一网格纠纷')).status).toBe(201);
    expect((await report(cmd, 2, '三网格纠纷')).status).toBe(201);
    const first = await cmd.get(LIST);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(await titles(first)).toEqual(['一网格纠纷', '三网格纠纷']);
    const leaders = await leader.get(LIST);
    expect(leaders.headers.get('x-cache')).toBe('miss');
    expect(await titles(leaders)).toEqual(['一网格纠纷']);
    const again = await cmd.get(LIST);
    expect(again.headers.get('x-cache')).toBe('hit');
    expect(await titles(again)).toEqual(['一网格纠纷', '三网格纠纷']);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await titles(await leader.get(LIST))).toEqual(['一网格纠纷']);
  });

  it('check access before memory: a role that may not list events is refused though the list is kept', async () => {
    const res = await analyst.get(LIST);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await Client.anonymous(app).get(LIST)).status).toBe(401);
  });

  it('of event lists go stale at once when an event is reported through the server', async () => {
    // Written past the server (as an importer would): the kept list does not know (ttl bounds this).
    await db.sql`UPDATE event SET title = '改过的标题' WHERE title = '三网格纠纷'`;
    expect(await titles(await cmd.get(LIST))).toEqual(['一网格纠纷', '三网格纠纷']);
    expect((await report(leader, 0, '新报的事件')).status).toBe(201);
    const fresh = await cmd.get(LIST);
    expect(fresh.headers.get('x-cache')).toBe('miss');
    expect(await titles(fresh)).toEqual(['一网格纠纷', '改过的标题', '新报的事件']);
    expect(await titles(await leader.get(LIST))).toEqual(['一网格纠纷', '新报的事件']);
  });

  it('of statistics stay through another session\'s event report, not through one\'s own, and go stale on any other write', async () => {
    const kpi = '/api/stats/grids?from=2026-11-01&to=2026-11-30';
    const events = async (res: Response) => ((await res.json()) as { rows: { events_reported: number }[] }).rows.reduce((a, g) => a + g.events_reported, 0);
    expect(await events(await cmd.get(kpi))).toBe(3);
    // Another session (the grid leader's) reports: the command centre's statistics are kept.
    expect((await report(leader, 0, '网格长上报')).status).toBe(201);
    const kept = await cmd.get(kpi);
    expect(kept.headers.get('x-cache')).toBe('hit');
    expect(await events(kept)).toBe(3);
    // A second console of the same account shares the kept answer.
    const otherConsole = await Client.login(app, 'cmd');
    expect((await otherConsole.get(kpi)).headers.get('x-cache')).toBe('hit');
    // The command centre's own report: its next answer is computed after it, and counts it.
    expect((await report(cmd, 1, '二网格纠纷')).status).toBe(201);
    const own = await cmd.get(kpi);
    expect(own.headers.get('x-cache')).toBe('miss');
    expect(await events(own)).toBe(5);
    // Any write but the event loop's makes every kept answer stale (here: a new API token, from
    // the other console, so not the reader's own).
    await db.sql`UPDATE event SET severity = 3 WHERE title = '网格长上报'`;
    expect((await otherConsole.get(kpi)).headers.get('x-cache')).toBe('hit');
    expect((await otherConsole.post('/api/tokens', { name: 'cache-test', scopes: ['gps:ingest'] })).status).toBe(201);
    const fresh = await cmd.get(kpi);
    expect(fresh.headers.get('x-cache')).toBe('miss');
    expect(await events(fresh)).toBe(5);
  });

  it('are never made of refusals: a bad query is answered 400 each time', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await cmd.get('/api/stats/grids?from=2026-13-01');
      expect(res.status).toBe(400);
      expect(res.headers.get('x-cache')).toBeNull();
    }
  });

  it('are kept only for aggregate and list routes, never for persons of concern or addresses', () => {
    const cached = routes.filter((r) => r.cache).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(cached).toEqual([
      'GET /api/events', 'GET /api/grids', 'GET /api/heat/compare', 'GET /api/heat/h3', 'GET /api/heat/matrix',
      'GET /api/heat/points', 'GET /api/stats/communities', 'GET /api/stats/event-histogram', 'GET /api/stats/grids',
      'GET /api/stats/grids/:id', 'GET /api/stats/grids/:id/trend', 'GET /api/stats/patrol-coverage', 'GET /api/stats/subdistrict',
      'GET /api/stats/trend',
    ]);
    expect(cached.filter((r) => /persons|addresses|audit|auth/.test(r))).toEqual([]);
  });
});
