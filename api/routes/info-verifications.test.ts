import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// 信息采集核查 and the 信息采集准确率 measure, worked out by hand from the rows inserted here.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
const staff: Record<string, number> = {};
const client: Record<string, Client> = {};
const addr: number[] = []; // one per grid (index = grid), plus a second in grid 1 at index 4
let resident = 0;
const [ox, oy] = ORIGIN;

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}
async function refused(res: Response, status: number, code: string) {
  const body = await json<{ error: { code: string; message: string } }>(res, status);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
}
const verify = (who: string, kind: 'address' | 'resident', id: number, result = 'correct', extra: object = {}) =>
  client[who]!.post('/api/info-verifications', { record_kind: kind, record_id: id, result, ...extra });

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  const [c1] = world.communityIds;
  const [g1, g2, g3] = world.gridIds;
  const users: [string, Parameters<typeof createUser>[2], Parameters<typeof createUser>[3]][] = [
    ['cmd', 'command', { subdistrict_id: world.subdistrictId }],
    ['policeP', 'police', { community_id: c1 }],
    ['dual', 'police', { community_id: c1 }],
    ['leaderA', 'grid_leader', { grid_id: g1 }],
    ['leaderB', 'grid_leader', { grid_id: g2 }],
    ['leaderC', 'grid_leader', { grid_id: g3 }],
  ];
  for (const [name, role, scope] of users) {
    staff[name] = (await createUser(sql, name.toLowerCase(), role, scope)).staffId!;
    client[name] = await Client.login(app, name.toLowerCase());
  }
  // 'dual' is a police officer of community 1 who is also grid 2's grid worker.
  await sql`INSERT INTO assignment (staff_id, role, grid_id, starts_on) VALUES (${staff.dual!}, 'grid_worker', ${g2}, '2020-01-01')`;
  for (const [i, x] of [0, 1, 2, 3, 0].entries()) {
    const [a] = await sql<{ id: number }[]>`
      INSERT INTO address (code, address_text, geom) VALUES (${`AD-${i}`}, ${`测试地址${i}`}, ST_SetSRID(ST_MakePoint(${ox + (x + 0.5) * CELL + i * 0.0001}, ${oy + CELL}), 4326))
      RETURNING id`;
    addr.push(a!.id);
  }
  const [r] = await sql<{ id: number }[]>`INSERT INTO resident (address_id, name) VALUES (${addr[0]!}, '张三') RETURNING id`;
  resident = r!.id;

  // March 2025 (local): grid 1 — 3 correct, 1 incorrect; grid 2 — 1 incorrect; grid 3 — none.
  // February and April checks of grid 1 are outside the month.
  const at = (s: string) => `${s}+08`;
  const rows: [number, string, string][] = [
    [addr[0]!, 'correct', at('2025-03-01 00:00')], [addr[4]!, 'correct', at('2025-03-10 10:00')], [addr[0]!, 'correct', at('2025-03-31 23:59')],
    [addr[4]!, 'incorrect', at('2025-03-15 10:00')], [addr[1]!, 'incorrect', at('2025-03-20 10:00')],
    [addr[0]!, 'incorrect', at('2025-02-28 23:59')], [addr[0]!, 'incorrect', at('2025-04-01 00:00')],
  ];
  for (const [id, result, when] of rows) {
    await sql`INSERT INTO info_verification (record_kind, record_id, verified_by, verified_at, result, note)
              VALUES ('address', ${id}, ${staff.policeP!}, ${when}::timestamptz, ${result}, ${result === 'incorrect' ? '门牌号有误' : null})`;
  }
});
afterAll(async () => db?.drop());

interface Verification { id: number; record_kind: string; record_id: number; address_id: number; grid_id: number; verified_by: number; result: string; note: string | null }

describe('POST /api/info-verifications (信息采集核查)', () => {
  it('records a police officer’s check of an address or a person in their jurisdiction', async () => {
    const a = await json<{ id: number; grid_id: number; verified_at: string }>(await verify('policeP', 'address', addr[1]!), 201);
    expect(a.grid_id).toBe(world.gridIds[1]);
    expect(Math.abs(Date.now() - Date.parse(a.verified_at))).toBeLessThan(60_000);
    const r = await json<{ id: number; grid_id: number }>(await verify('policeP', 'resident', resident, 'incorrect', { note: '身份证号有误' }), 201);
    expect(r.grid_id).toBe(world.gridIds[0]);
    const [row] = await db.sql<{ address_id: number; verified_by: number; note: string }[]>`SELECT address_id, verified_by, note FROM info_verification WHERE id = ${r.id}`;
    expect(row).toEqual({ address_id: addr[0], verified_by: staff.policeP, note: '身份证号有误' });
    // The dual-role officer checks grid 1, not grid 2 where they work as grid staff.
    await json(await verify('dual', 'address', addr[0]!), 201);
  });

  it('refuses grid staff, their own grids, records out of reach and bad input', async () => {
    await refused(await verify('dual', 'address', addr[1]!), 403, 'forbidden');
    await refused(await verify('leaderA', 'address', addr[0]!), 403, 'forbidden');
    await refused(await verify('policeP', 'address', addr[2]!), 404, 'not_found'); // community 2
    await refused(await verify('policeP', 'resident', 999_999), 404, 'not_found');
    await refused(await verify('policeP', 'address', addr[0]!, 'maybe'), 400, 'invalid_input');
    await refused(await verify('policeP', 'address', addr[0]!, 'correct', { verified_by: staff.cmd }), 400, 'invalid_input');
    await refused(await verify('policeP', 'address', addr[0]!, 'correct', { note: '   ' }), 400, 'invalid_input');
    // Append-only, whoever writes.
    await expect(db.sql`UPDATE info_verification SET result = 'correct'`).rejects.toThrow(/append-only/);
    await expect(db.sql`DELETE FROM info_verification`).rejects.toThrow(/append-only/);
    const [n] = await db.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM info_verification`;
    expect(n.n).toBe(7 + 3);
  });

  it('lists checks of the grids the caller sees', async () => {
    const all = await json<{ verifications: Verification[] }>(await client.cmd!.get('/api/info-verifications'));
    expect(all.verifications).toHaveLength(10);
    const a = await json<{ verifications: Verification[] }>(await client.leaderA!.get('/api/info-verifications'));
    expect(a.verifications.map((v) => v.grid_id).every((g) => g === world.gridIds[0])).toBe(true);
    expect(a.verifications).toHaveLength(8);
    const march = await json<{ verifications: Verification[] }>(await client.cmd!.get('/api/info-verifications?from=2025-03-01&to=2025-03-31'));
    expect(march.verifications).toHaveLength(5);
    const persons = await json<{ verifications: Verification[] }>(await client.cmd!.get('/api/info-verifications?record_kind=resident'));
    expect(persons.verifications.map((v) => [v.record_id, v.result])).toEqual([[resident, 'incorrect']]);
    await refused(await client.cmd!.get('/api/info-verifications?from=2025-02-30'), 400, 'invalid_input');
  });
});

describe('信息采集准确率 in GET /api/evaluation', () => {
  interface Row { staff_id: number; info_verified: number; info_correct: number; info_accuracy_rate: number | null; computed_score: number | null; score: number | null; rank: number | null }
  it('is correct / verified per grid leader in the month, a share used as it is in the score', async () => {
    const r = await json<{ grid_leaders: Row[] }>(await client.cmd!.get('/api/evaluation?month=2025-03'));
    const by = (name: string) => r.grid_leaders.find((x) => x.staff_id === staff[name])!;
    expect(by('leaderA')).toMatchObject({ info_verified: 4, info_correct: 3, info_accuracy_rate: 0.75 });
    expect(by('leaderB')).toMatchObject({ info_verified: 1, info_correct: 0, info_accuracy_rate: 0 });
    expect(by('leaderC')).toMatchObject({ info_verified: 0, info_correct: 0, info_accuracy_rate: null });
    // No other measure has data (hazards 0 for all: equal, left out), so the score is the accuracy
    // alone; leader C has nothing verified, which is no measure at all rather than 0.
    expect(r.grid_leaders.map((x) => [x.staff_id, x.computed_score, x.score, x.rank])).toEqual([
      [staff.leaderA, 75, 75, 1], [staff.leaderB, 0, 0, 2], [staff.leaderC, null, null, null],
    ]);
    // Recomputed from the raw rows.
    const raw = await db.sql<{ grid_id: number; result: string }[]>`
      SELECT grid_id, result FROM info_verification WHERE verified_at >= '2025-03-01 00:00+08' AND verified_at < '2025-04-01 00:00+08'`;
    const g1 = raw.filter((x) => x.grid_id === world.gridIds[0]);
    expect(by('leaderA').info_accuracy_rate).toBe(g1.filter((x) => x.result === 'correct').length / g1.length);
  });
});
