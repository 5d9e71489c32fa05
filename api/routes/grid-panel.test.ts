import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { TREND_RATES, monthOf } from './stats.ts';

// What the console's grid panel reads besides the KPI drill-down: the staff of a grid and its
// month-by-month trend.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
let today: string;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  [{ today }] = await db.sql<[{ today: string }]>`SELECT kpi_today()::text AS today`;
  const [g1, g2] = world.gridIds;
  await createUser(db.sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: g1 });
  await createUser(db.sql, 'police1', 'police', { community_id: world.communityIds[0] });
  await createUser(db.sql, 'aux2', 'aux_police', { grid_id: g2 });
  await createUser(db.sql, 'worker1', 'grid_worker', { grid_id: g1 });
  await createUser(db.sql, 'gone1', 'grid_worker', { grid_id: g1 }, { endsOn: '2021-01-01' });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  await db.sql`INSERT INTO address (code, address_text, geom) VALUES ('P-A1', '趋势路1号', ST_SetSRID(ST_MakePoint(${ox + 0.5 * CELL}, ${oy + CELL}), 4326))`;
  command = await Client.login(app, 'chief');
  leader = await Client.login(app, 'leader1');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

describe('GET /api/grids/:id/staff', () => {
  it('lists today\'s grid leader, police (also community-scoped) and workers, leader first; ended assignments left out', async () => {
    const expected = [
      { role: 'grid_leader', name: 'leader1', kind: 'grid_worker', phone: null, scope: 'grid' },
      { role: 'police', name: 'police1', kind: 'police', phone: null, scope: 'community' },
      { role: 'grid_worker', name: 'worker1', kind: 'grid_worker', phone: null, scope: 'grid' },
    ];
    for (const client of [command, leader]) {
      const res = await client.get(`/api/grids/${world.gridIds[0]}/staff`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { grid_id: number; staff: Record<string, unknown>[] };
      expect(body.grid_id).toBe(world.gridIds[0]);
      expect(body.staff.map(({ staff_id: _s, starts_on: _d, ...r }) => r)).toEqual(expected);
    }
    const g2 = (await (await command.get(`/api/grids/${world.gridIds[1]}/staff`)).json()) as { staff: { name: string; role: string }[] };
    expect(g2.staff.map((s) => [s.role, s.name])).toEqual([['police', 'police1'], ['aux_police', 'aux2']]);
  });

  it('answers 404 outside the caller\'s jurisdiction and 403 to aggregate-only roles', async () => {
    expect((await leader.get(`/api/grids/${world.gridIds[2]}/staff`)).status).toBe(404);
    expect((await analyst.get(`/api/grids/${world.gridIds[0]}/staff`)).status).toBe(403);
  });
});

describe('GET /api/stats/grids/:id/trend', () => {
  it('gives one point per calendar month, the current one up to today and equal to the grid\'s KPIs', async () => {
    const res = await analyst.get(`/api/stats/grids/${world.gridIds[0]}/trend`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { grid_id: number; points: ({ from: string; to: string; available: boolean } & Record<string, number | null>)[] };
    expect(body.points).toHaveLength(6);
    expect(body.points.map((p) => p.from)).toEqual([-5, -4, -3, -2, -1, 0].map((i) => monthOf(today, i).first));
    expect(body.points.slice(0, 5).map((p) => p.to)).toEqual([-5, -4, -3, -2, -1].map((i) => monthOf(today, i).last));
    const last = body.points[5]!;
    expect(last).toMatchObject({ from: `${today.slice(0, 8)}01`, to: today, available: true });
    const grid = (await (await command.get(`/api/stats/grids/${world.gridIds[0]}`)).json()) as { kpi: Record<string, number | null> };
    for (const k of TREND_RATES) expect(last[k], k).toBe(grid.kpi[k]);
    expect(last.registration_rate).toBe(0);
  });

  it('takes `months` from 2 to 24 and keeps to the jurisdiction', async () => {
    expect(((await (await command.get(`/api/stats/grids/${world.gridIds[0]}/trend?months=2`)).json()) as { points: unknown[] }).points).toHaveLength(2);
    for (const bad of ['1', '25', 'x']) {
      const res = await command.get(`/api/stats/grids/${world.gridIds[0]}/trend?months=${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_input');
    }
    expect((await leader.get(`/api/stats/grids/${world.gridIds[3]}/trend`)).status).toBe(404);
  });

  it('monthOf crosses year ends', () => {
    expect(monthOf('2026-01-15', -1)).toEqual({ first: '2025-12-01', last: '2025-12-31' });
    expect(monthOf('2024-03-31', -1)).toEqual({ first: '2024-02-01', last: '2024-02-29' });
    expect(monthOf('2025-12-02', 0)).toEqual({ first: '2025-12-01', last: '2025-12-31' });
  });
});
