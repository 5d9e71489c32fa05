import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
const client: Record<string, Client> = {};
const device: Record<string, number> = {};
const [ox, oy] = ORIGIN;
const inGrid = (i: number, k = 0): [number, number] => [ox + (i + 0.5) * CELL + k * 0.0001, oy + CELL];

interface Positions { as_of: string; minutes: number; positions: { device_id: number; code: string; kind: string; lon: number; lat: number; fixed_at: string; age_s: number; grid_id: number | null }[] }

async function fix(code: string, minutesAgo: number, grid: number, k = 0) {
  const [lon, lat] = inGrid(grid, k);
  await db.sql`
    INSERT INTO gps_fix (device_id, fixed_at, lon, lat, speed_kmh, grid_id)
    VALUES (${device[code]!}, now() - ${minutesAgo}::float8 * interval '1 minute', ${lon}, ${lat}, 12, ${world.gridIds[grid]!})`;
}

async function get(who: string, query = ''): Promise<Positions> {
  const res = await client[who]!.get(`/api/patrol/positions${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Positions;
}

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'screen', 'display', {});
  for (const who of ['cmd', 'leader1', 'screen']) client[who] = await Client.login(app, who);
  for (const [code, kind, active] of [['P-01', 'handheld', true], ['P-02', 'vehicle', true], ['P-03', 'ebike', true], ['P-04', 'bodycam', false], ['P-05', 'handheld', true]] as const) {
    const [d] = await db.sql<{ id: number }[]>`INSERT INTO patrol_device (code, kind, active) VALUES (${code}, ${kind}, ${active}) RETURNING id`;
    device[code] = d!.id;
  }
  // P-01: 20 min ago (too old by default), 3 and 1 min ago in grid 1 → the 1-minute fix.
  await fix('P-01', 20, 0);
  await fix('P-01', 3, 0, 1);
  await fix('P-01', 1, 0, 2);
  // P-02: 5 min ago in grid 1, then 2 min ago in grid 3 → it is in grid 3 now.
  await fix('P-02', 5, 0, 3);
  await fix('P-02', 2, 2);
  // P-03: only a 40-minute-old fix. P-04: inactive. P-05: 4 min ago, and a fix 10 min in the future (a bad clock).
  await fix('P-03', 40, 1);
  await fix('P-04', 1, 0, 4);
  await fix('P-05', 4, 1);
  await fix('P-05', -10, 1, 5);
});
afterAll(async () => db?.drop());

describe('GET /api/patrol/positions', () => {
  it('gives the latest fix of each active device in the last 15 minutes, with its age', async () => {
    const r = await get('cmd');
    expect(r.minutes).toBe(15);
    expect(r.positions.map((p) => [p.code, p.kind, p.grid_id])).toEqual([
      ['P-01', 'handheld', world.gridIds[0]], ['P-02', 'vehicle', world.gridIds[2]], ['P-05', 'handheld', world.gridIds[1]],
    ]);
    const [p1, p2, p5] = r.positions;
    expect([p1!.lon, p1!.lat]).toEqual(inGrid(0, 2));
    expect([p2!.lon, p2!.lat]).toEqual(inGrid(2));
    expect([p5!.lon, p5!.lat]).toEqual(inGrid(1));
    for (const [p, minutes] of [[p1!, 1], [p2!, 2], [p5!, 4]] as const) {
      expect(Math.abs(p.age_s - minutes * 60)).toBeLessThan(10);
      expect(Math.abs(Date.parse(r.as_of) - Date.parse(p.fixed_at) - minutes * 60_000)).toBeLessThan(1000);
    }
  });

  it('looks further back when asked, up to the cap', async () => {
    expect((await get('cmd', '?minutes=60')).positions.map((p) => p.code)).toEqual(['P-01', 'P-02', 'P-03', 'P-05']);
    expect((await get('cmd', '?minutes=1')).positions.map((p) => p.code)).toEqual([]);
    const res = await client.cmd!.get('/api/patrol/positions?minutes=241');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_input');
    expect((await client.cmd!.get('/api/patrol/positions?since=1')).status).toBe(400);
  });

  it('shows a device only where the caller may see its latest fix, and the wall screen everything', async () => {
    // P-02 left grid 1: the grid-1 leader does not see it at its older grid-1 fix.
    expect((await get('leader1')).positions.map((p) => p.code)).toEqual(['P-01']);
    expect((await get('screen')).positions.map((p) => p.code)).toEqual(['P-01', 'P-02', 'P-05']);
    expect((await Client.anonymous(app).get('/api/patrol/positions')).status).toBe(401);
  });
});
