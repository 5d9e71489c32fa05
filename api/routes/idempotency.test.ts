import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let token: string;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase(8);
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  await db.sql`INSERT INTO patrol_device (code, kind) VALUES ('ID-1', 'handheld')`;
  cmd = await Client.login(app, 'cmd');
  token = ((await (await cmd.post('/api/tokens', { name: 'idem', scopes: ['gps:ingest'] })).json()) as { token: string }).token;
});
afterAll(async () => db?.drop());

const count = async (query: ReturnType<TestDatabase['sql']>) => ((await query) as unknown as { n: number }[])[0]!.n;

describe('a retried batch of GPS fixes', () => {
  const fixes = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({
    t: new Date(Date.UTC(2026, 10, 2, 1) + (from + i) * 5000).toISOString(), lon: ox + 0.3 * CELL, lat: oy + 0.3 * CELL + i * 1e-6, speed_kmh: 4,
  }));
  const push = (body: unknown) => Promise.resolve(app.request('/api/machine/fixes', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  }));
  const stored = () => count(db.sql`SELECT count(*)::int AS n FROM gps_fix`);

  it('stores each fix once, and says how many of the batch were already stored', async () => {
    const body = { device_code: 'ID-1', fixes: fixes(0, 100) };
    const first = await push(body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 100, stored: 100, duplicates: 0 });
    const again = await push(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 100, stored: 0, duplicates: 100 });
    // The same instants written in another offset are the same fixes.
    const shifted = { device_code: 'ID-1', fixes: fixes(0, 100).map((f) => ({ ...f, t: new Date(Date.parse(f.t)).toISOString().replace('Z', '+00:00') })) };
    expect(await (await push(shifted)).json()).toEqual({ received: 100, stored: 0, duplicates: 100 });
    // A batch overlapping the first by half (a device resending after a partial timeout).
    expect(await (await push({ device_code: 'ID-1', fixes: fixes(50, 100) })).json()).toEqual({ received: 100, stored: 50, duplicates: 50 });
    expect(await stored()).toBe(150);
  });

  it('stores a batch sent twice at the same moment once', async () => {
    const body = { device_code: 'ID-1', fixes: fixes(1000, 200) };
    const answers = await Promise.all([push(body), push(body)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { stored: number; duplicates: number }[];
    expect(bodies[0]!.stored + bodies[1]!.stored).toBe(200);
    expect(bodies[0]!.duplicates + bodies[1]!.duplicates).toBe(200);
    expect(await stored()).toBe(350);
  });
});

describe('a retried event report (same client_id)', () => {
  const report = (client: Client, clientId: string, extra: Record<string, unknown> = {}) => client.post('/api/events', {
    type: 'dispute', subtype: 'neighbour', severity: 2, title: '邻里噪音纠纷', description: '楼上装修', lon: ox + 0.4 * CELL, lat: oy + 0.6 * CELL,
    reported_at: '2026-11-29T09:00:00+08:00', allow_duplicate: true, client_id: clientId, ...extra,
  });
  interface Created { event: { id: number; code: string; grid_id: number; state: string; version: number }; responsible: unknown[] }
  const rows = (clientId: string) => Promise.all([
    count(db.sql`SELECT count(*)::int AS n FROM event WHERE client_id = ${clientId}`),
    count(db.sql`SELECT count(*)::int AS n FROM event_log l JOIN event e ON e.id = l.event_id WHERE e.client_id = ${clientId}`),
    count(db.sql`SELECT count(*)::int AS n FROM feed_message f JOIN event e ON e.id = f.event_id WHERE e.client_id = ${clientId}`),
  ]);

  it('returns the original event with the same status and id, and writes nothing again', async () => {
    const first = await report(cmd, 'retry-0001');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const original = (await first.json()) as Created;
    const again = await report(cmd, 'retry-0001');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const replayed = (await again.json()) as Created;
    expect(replayed.event).toEqual(original.event);
    expect(replayed.responsible).toEqual(original.responsible);
    expect(await rows('retry-0001')).toEqual([1, 1, 1]);
  });

  it('records two simultaneous tries once and answers both with that event', async () => {
    const answers = await Promise.all([report(cmd, 'retry-0002'), report(cmd, 'retry-0002'), report(cmd, 'retry-0002')]);
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
    const ids = await Promise.all(answers.map(async (r) => ((await r.json()) as Created).event.id));
    expect(new Set(ids).size).toBe(1);
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    expect(await rows('retry-0002')).toEqual([1, 1, 1]);
  });

  it('refuses the same client_id with other content (409 naming the fields) and changes nothing', async () => {
    const first = (await (await report(cmd, 'retry-0003')).json()) as Created;
    const other = await report(cmd, 'retry-0003', { title: '另一起纠纷', severity: 3 });
    expect(other.status).toBe(409);
    const body = (await other.json()) as { error: { code: string; message: string; details: { event_id: number; fields: string[] } } };
    expect(body.error.code).toBe('client_id_reused');
    expect(body.error.message).toContain(first.event.code);
    expect(body.error.details).toEqual({ event_id: first.event.id, fields: ['severity', 'title'] });
    // Another reporter reusing the id is another report too.
    const leader = await Client.login(app, 'leader');
    const byOther = await report(leader, 'retry-0003');
    expect(byOther.status).toBe(409);
    expect(((await byOther.json()) as typeof body).error.details.fields).toEqual(['reported_by']);
    expect(await rows('retry-0003')).toEqual([1, 1, 1]);
    const [e] = await db.sql<{ title: string; severity: number }[]>`SELECT title, severity FROM event WHERE id = ${first.event.id}`;
    expect(e).toEqual({ title: '邻里噪音纠纷', severity: 2 });
  });

  it('still returns the original after the event has moved on, with its current state and version', async () => {
    const first = (await (await report(cmd, 'retry-0004')).json()) as Created;
    const accepted = await cmd.post(`/api/events/${first.event.id}/transitions`, { action: 'accept', expected_version: first.event.version });
    expect(accepted.status).toBe(200);
    const again = await report(cmd, 'retry-0004');
    expect(again.status).toBe(201);
    const replayed = (await again.json()) as Created;
    expect(replayed.event).toMatchObject({ id: first.event.id, code: first.event.code, state: 'accepted', version: first.event.version + 1 });
    expect(await rows('retry-0004')).toEqual([1, 2, 2]);
  });
});

describe('a retried visit upload (same visit codes)', () => {
  function upload(name: string, content: string): Promise<Response> {
    const form = new FormData();
    form.set('file', new File([content], name));
    return Promise.resolve(app.request('/api/imports/visits', { method: 'POST', headers: { cookie: cmd.cookie!, 'x-csrf-token': cmd.csrf! }, body: form }));
  }

  it('keeps one row per visit code with the same ids, and the same participants', async () => {
    const addr = new FormData();
    addr.set('file', new File([`code,address,lon,lat\nIV-A1,幂等路1号,${ox + 0.5 * CELL},${oy + CELL}\n`], 'a.csv'));
    const a = await app.request('/api/imports/addresses', { method: 'POST', headers: { cookie: cmd.cookie!, 'x-csrf-token': cmd.csrf! }, body: addr });
    expect(a.status, await a.clone().text()).toBe(200);
    const csv = 'code,address_code,staff,visited_at\nIV-1,IV-A1,S-cmd,2026-11-20 09:30\nIV-2,IV-A1,S-cmd、S-leader,2026-11-21 10:00\n';
    const visits = () => db.sql<{ id: number; client_id: string; participants: number }[]>`
      SELECT v.id, v.client_id, (SELECT count(*)::int FROM visit_participant p WHERE p.visit_id = v.id) AS participants
      FROM visit v WHERE v.client_id LIKE 'IV-%' ORDER BY v.client_id`;
    const first = await upload('v.csv', csv);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(((await first.json()) as { counts: { inserted: number } }).counts.inserted).toBe(2);
    const after1 = await visits();
    expect(after1.map((v) => [v.client_id, v.participants])).toEqual([['IV-1', 1], ['IV-2', 2]]);
    const again = await upload('v.csv', csv);
    expect(again.status).toBe(200);
    // The report says none were new (they count as updated in place); the rows are the same rows.
    expect(((await again.json()) as { counts: { inserted: number } }).counts.inserted).toBe(0);
    expect(await visits()).toEqual(after1);
  });
});
