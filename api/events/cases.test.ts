import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { QueryCatalog } from '../db/queries.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, FakeClock, createUser, testApp } from '../testing/app.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let leader: Client;
let police: Client;
let policeStaff: number;
const clock = new FakeClock(new Date('2026-11-29T02:00:00Z'));
const [ox, oy] = ORIGIN;
let n = 0;

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql, { clock }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  policeStaff = (await createUser(db.sql, 'police', 'police', { community_id: world.communityIds[0] })).staffId!;
  cmd = await Client.login(app, 'cmd');
  leader = await Client.login(app, 'leader');
  police = await Client.login(app, 'police');
});
afterAll(async () => db?.drop());

async function report(body: Record<string, unknown>): Promise<{ id: number; version: number }> {
  n++;
  const res = await leader.post('/api/events', { severity: 2, lon: ox + 0.1 * CELL + n * 0.05 * CELL, lat: oy + CELL, allow_duplicate: true, ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { event: { id: number; version: number } }).event;
}

async function step(client: Client, id: number, action: string, version: number): Promise<number> {
  const res = await client.post(`/api/events/${id}/transitions`, { action, expected_version: version });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { version: number }).version;
}

async function state(id: number): Promise<string> {
  const [r] = await db.sql<{ state: string }[]>`SELECT state FROM event WHERE id = ${id}`;
  return r!.state;
}

describe('"1+1+N" joint mediation', () => {
  it('refuses a panel without police, grid leader and at least one other', async () => {
    const e = await report({ type: 'dispute', subtype: 'land', title: '承包地边界纠纷' });
    const res = await police.post(`/api/events/${e.id}/mediation`, { kind: 'joint_1_1_n', participants: [{ role: 'police', name: '李强' }, { role: 'grid_leader', name: '王芳' }] });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('incomplete_panel');
  });

  it('records participants and sessions; success resolves the dispute, and marks it complex', async () => {
    const e = await report({ type: 'dispute', subtype: 'economic', title: '借款纠纷' });
    let v = await step(police, e.id, 'accept', e.version);
    v = await step(police, e.id, 'assign', v);
    v = await step(police, e.id, 'start', v);
    const panel = [{ role: 'police', name: '李强', staff_id: policeStaff }, { role: 'grid_leader', name: '王芳' }, { role: 'judicial', name: '司法所张所长' }, { role: 'family', name: '当事人家属' }];
    expect((await police.post(`/api/events/${e.id}/mediation`, { kind: 'joint_1_1_n', participants: panel })).status).toBe(201);
    expect((await police.post(`/api/events/${e.id}/mediation/sessions`, { notes: '第一次联调，双方同意分期还款' })).status).toBe(201);
    // Marking the dispute complex moved its version on.
    const [row] = await db.sql<{ version: number }[]>`SELECT version FROM event WHERE id = ${e.id}`;
    const version = row!.version;
    expect(version).toBe(v + 1);
    const done = await police.post(`/api/events/${e.id}/mediation/outcome`, { outcome: 'success', expected_version: version });
    expect(done.status).toBe(200);
    expect(await state(e.id)).toBe('resolved');
    const [m] = await db.sql<{ outcome: string; participants: number; sessions: number; complexity: string }[]>`
      SELECT m.outcome, (SELECT count(*)::int FROM mediation_participant p WHERE p.mediation_id = m.id) AS participants,
             (SELECT count(*)::int FROM mediation_session s WHERE s.mediation_id = m.id) AS sessions, e.complexity
      FROM mediation m JOIN event e ON e.id = m.event_id WHERE m.event_id = ${e.id}`;
    expect(m).toEqual({ outcome: 'success', participants: 4, sessions: 1, complexity: 'complex' });
  });

  it('escalates a failed mediation to the judicial office', async () => {
    const e = await report({ type: 'dispute', subtype: 'marriage', title: '婚恋纠纷' });
    let v = await step(leader, e.id, 'accept', e.version);
    expect((await leader.post(`/api/events/${e.id}/mediation`, { kind: 'grid_leader', participants: [{ role: 'grid_leader', name: '王芳' }] })).status).toBe(201);
    const missing = await leader.post(`/api/events/${e.id}/mediation/outcome`, { outcome: 'failed', expected_version: v });
    expect(missing.status).toBe(422);
    const res = await leader.post(`/api/events/${e.id}/mediation/outcome`, { outcome: 'failed', escalated_to: 'judicial', expected_version: v });
    expect(res.status).toBe(200);
    v = ((await res.json()) as { version: number }).version;
    expect(await state(e.id)).toBe('escalated');
    const [log] = await db.sql<{ note: string }[]>`SELECT note FROM event_log WHERE event_id = ${e.id} ORDER BY id DESC LIMIT 1`;
    expect(log!.note).toBe('调解未成功，升级至司法所');
  });
});

describe('risk hazards', () => {
  it('are dispatched to a department with a warning and followed until removed', async () => {
    const e = await report({ type: 'hazard', subtype: 'fire', title: '电动车楼道充电' });
    const v = await step(police, e.id, 'accept', e.version);
    const notHazard = await report({ type: 'service_request', title: '求助' });
    expect((await police.post(`/api/events/${notHazard.id}/hazard`, { classification: '消防', department: '消防救援站', warning: '立即清理', expected_version: notHazard.version })).status).toBe(422);
    const d = await police.post(`/api/events/${e.id}/hazard`, { classification: '消防安全', department: '舞钢市消防救援大队', warning: '楼道内电动车充电，存在火灾风险', expected_version: v });
    expect(d.status).toBe(201);
    const { version } = (await d.json()) as { version: number };
    const [row] = await db.sql<{ state: string; department: string }[]>`SELECT state, department FROM event WHERE id = ${e.id}`;
    expect(row).toEqual({ state: 'assigned', department: '舞钢市消防救援大队' });
    const f1 = await leader.post(`/api/events/${e.id}/hazard/followups`, { note: '已通知物业，暂未整改', removed: false, expected_version: version });
    expect(((await f1.json()) as { state: string | null }).state).toBeNull();
    const f2 = await leader.post(`/api/events/${e.id}/hazard/followups`, { note: '已安装集中充电桩，楼道清空', removed: true, expected_version: version });
    expect(f2.status).toBe(200);
    expect(await state(e.id)).toBe('resolved');
    const [counts] = await db.sql<{ followups: number; removed: boolean }[]>`
      SELECT (SELECT count(*)::int FROM hazard_followup f JOIN hazard_dispatch d ON d.id = f.dispatch_id WHERE d.event_id = ${e.id}) AS followups,
             (SELECT removed_at IS NOT NULL FROM hazard_dispatch WHERE event_id = ${e.id}) AS removed`;
    expect(counts).toEqual({ followups: 2, removed: true });
  });
});

describe('support requests', () => {
  it('names the grid’s police officer and measures acknowledgement and arrival (manual and by GPS)', async () => {
    const where = { lon: ox + 0.5 * CELL, lat: oy + 0.5 * CELL };
    const res = await leader.post('/api/support-requests', { ...where, reason: '醉酒人员滋事，请求支援' });
    expect(res.status).toBe(201);
    const r1 = (await res.json()) as { id: number };
    const [row] = await db.sql<{ police_id: number }[]>`SELECT police_id FROM support_request WHERE id = ${r1.id}`;
    expect(row!.police_id).toBe(policeStaff);
    clock.advance(3 * 60_000);
    expect((await police.post(`/api/support-requests/${r1.id}/steps`, { step: 'acknowledge' })).status).toBe(200);
    clock.advance(22 * 60_000);
    expect((await police.post(`/api/support-requests/${r1.id}/steps`, { step: 'arrive' })).status).toBe(200);
    expect((await police.post(`/api/support-requests/${r1.id}/steps`, { step: 'acknowledge' })).status).toBe(409);

    // A second request: the officer's device reports a fix 60 m away 12 minutes later.
    const r2 = (await (await leader.post('/api/support-requests', { ...where, reason: '邻里冲突升级' })).json()) as { id: number };
    const [dev] = await db.sql<{ id: number }[]>`INSERT INTO patrol_device (code, kind, staff_id) VALUES ('DEV-P', 'handheld', ${policeStaff}) RETURNING id`;
    const t = new Date(clock.now().getTime() + 12 * 60_000);
    await db.sql`INSERT INTO gps_fix (device_id, fixed_at, lon, lat) VALUES
      (${dev!.id}, ${new Date(t.getTime() - 60_000)}, ${where.lon + 0.005}, ${where.lat}),
      (${dev!.id}, ${t}, ${where.lon + 0.00065}, ${where.lat})`;
    const arrived = await new QueryCatalog().run<{ id: number }>(db.sql, 'support_gps_arrivals', [100]);
    expect(arrived.map((a) => a.id)).toEqual([r2.id]);

    const list = (await (await cmd.get('/api/support-requests')).json()) as { requests: { id: number; ack_minutes: number | null; arrive_minutes: number | null; ack_on_time: boolean; arrive_on_time: boolean; arrival_source: string }[] };
    const byId = new Map(list.requests.map((r) => [r.id, r]));
    expect(byId.get(r1.id)).toMatchObject({ ack_minutes: 3, arrive_minutes: 25, ack_on_time: true, arrive_on_time: false, arrival_source: 'manual' });
    expect(byId.get(r2.id)).toMatchObject({ arrive_minutes: 12, arrive_on_time: true, arrival_source: 'gps' });
  });
});
