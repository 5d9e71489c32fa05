import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { ingestFixes } from '../patrol/ingest.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { MAX_TRACK_FIXES } from './patrol-tracks.ts';

// GET /api/patrol/tracks: trips cut by the KPI segment rule, scoped by row-level security on gps_fix.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let worker: Client;
let farWorker: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;
const dev: Record<string, number> = {};
// 2026-11-01 08:00 in Asia/Shanghai.
const T = Date.parse('2026-11-01T08:00:00+08:00');
const S = 20_000;
const WINDOW = `from=${encodeURIComponent('2026-11-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-01T12:00:00+08:00')}`;
const ALL = `${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;

interface Tracks {
  window: { from: string; to: string; timezone: string };
  t0: number;
  devices: { id: number[]; code: string[]; kind: string[] };
  trips: { device_id: number[]; start: number[]; n: number[] };
  lon: number[]; lat: number[]; t: number[];
  fixes: number; truncated: boolean; limit: number;
}

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  for (const code of ['A', 'B', 'C', 'D']) {
    const [d] = await db.sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES (${`T-${code}`}, 'handheld') RETURNING id`;
    dev[code] = d.id;
  }
  const fixes: { deviceId: number; fixedAt: number; lon: number; lat: number }[] = [];
  // A, grid 1 only: 10 fixes, a 6-minute gap, 5 fixes, a 2.15 km jump north 20 s later, 4 fixes → trips of 10, 5, 4.
  let t = T;
  for (let i = 0; i < 10; i++, t += S) fixes.push({ deviceId: dev.A!, fixedAt: t, lon: ox + 0.2 * CELL + i * 0.0002, lat: oy + 0.1 * CELL });
  t += 6 * 60_000;
  for (let i = 0; i < 5; i++, t += S) fixes.push({ deviceId: dev.A!, fixedAt: t, lon: ox + 0.5 * CELL + i * 0.0002, lat: oy + 0.05 * CELL });
  for (let i = 0; i < 4; i++, t += S) fixes.push({ deviceId: dev.A!, fixedAt: t, lon: ox + 0.5 * CELL, lat: oy + 1.98 * CELL - i * 0.0001 });
  // B: 5 fixes in grid 1, 20 in grid 2 (400 s), 5 back in grid 1: one trip of 30 for command; two of 5
  // for a grid-1 worker, who cannot see the excursion (longer than 5 minutes, so the track is cut).
  t = T;
  for (let i = 0; i < 5; i++, t += S) fixes.push({ deviceId: dev.B!, fixedAt: t, lon: ox + 0.9 * CELL + i * 0.0001, lat: oy + CELL });
  for (let i = 0; i < 20; i++, t += S) fixes.push({ deviceId: dev.B!, fixedAt: t, lon: ox + 1.1 * CELL + (i % 10) * 0.0002, lat: oy + CELL });
  for (let i = 0; i < 5; i++, t += S) fixes.push({ deviceId: dev.B!, fixedAt: t, lon: ox + 0.9 * CELL - i * 0.0001, lat: oy + CELL + 0.0005 });
  // C: grid 3 only, 6 fixes. D: grid 1, the day before (outside the window), 6 fixes.
  for (let i = 0; i < 6; i++) fixes.push({ deviceId: dev.C!, fixedAt: T + i * S, lon: ox + 2.5 * CELL, lat: oy + 0.5 * CELL + i * 0.0002 });
  for (let i = 0; i < 6; i++) fixes.push({ deviceId: dev.D!, fixedAt: T - 86_400_000 + i * S, lon: ox + 0.3 * CELL, lat: oy + 0.5 * CELL + i * 0.0002 });
  await ingestFixes(db.sql, fixes);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'worker', 'grid_worker', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'far', 'grid_worker', { grid_id: world.gridIds[2] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  cmd = await Client.login(app, 'cmd');
  worker = await Client.login(app, 'worker');
  farWorker = await Client.login(app, 'far');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function tracks(client: Client, q: string): Promise<Tracks> {
  const res = await client.get(`/api/patrol/tracks?${q}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Tracks;
}
/** Trip sizes per device code. */
function summary(b: Tracks): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  b.trips.device_id.forEach((d, i) => {
    const code = b.devices.code[b.devices.id.indexOf(d)]!;
    (out[code] ??= []).push(b.trips.n[i]!);
  });
  return out;
}

describe('GET /api/patrol/tracks', () => {
  it('cuts each device’s fixes into trips at gaps of 5 minutes or 2 km, as columns', async () => {
    const b = await tracks(cmd, `bbox=${ALL}&${WINDOW}`);
    expect(summary(b)).toEqual({ 'T-A': [10, 5, 4], 'T-B': [30], 'T-C': [6] });
    expect(b.fixes).toBe(19 + 30 + 6);
    expect(b.lon).toHaveLength(55);
    expect(b.lat).toHaveLength(55);
    expect(b.trips.start).toEqual([0, 10, 15, 19, 49]);
    expect(b.truncated).toBe(false);
    expect(b.limit).toBe(MAX_TRACK_FIXES);
    expect(b.window).toEqual({ from: '2026-10-31T16:00:00.000Z', to: '2026-11-01T04:00:00.000Z', timezone: 'Asia/Shanghai' });
    expect(b.t0).toBe(Date.parse('2026-10-31T16:00:00Z'));
    // Seconds since the window's start: A's first fix is at 08:00 local.
    expect(b.t[0]).toBe(8 * 3600);
    expect(b.t[1]).toBe(8 * 3600 + 20);
    expect(b.lon[0]).toBeCloseTo(ox + 0.2 * CELL, 6);
  });

  it('takes local days: from a day’s start to another day’s end', async () => {
    const b = await tracks(cmd, `bbox=${ALL}&from=2026-10-31&to=2026-11-01`);
    expect(summary(b)).toEqual({ 'T-A': [10, 5, 4], 'T-B': [30], 'T-C': [6], 'T-D': [6] });
    expect(b.window.from).toBe('2026-10-30T16:00:00.000Z');
    expect(b.window.to).toBe('2026-11-01T16:00:00.000Z');
  });

  it('defaults to the last 24 hours', async () => {
    const b = await tracks(cmd, `bbox=${ALL}`);
    expect(Date.parse(b.window.to) - Date.parse(b.window.from)).toBe(24 * 3_600_000);
    expect(Math.abs(Date.parse(b.window.to) - Date.now())).toBeLessThan(60_000);
    expect(b.trips.n).toEqual([]);
  });

  it('keeps the devices seen in the box, with their whole trips', async () => {
    const grid3 = `${ox + 2 * CELL},${oy},${ox + 3 * CELL},${oy + 2 * CELL}`;
    expect(summary(await tracks(cmd, `bbox=${grid3}&${WINDOW}`))).toEqual({ 'T-C': [6] });
    // B passes through grid 2's box: its whole trip comes back, not just the part inside.
    const grid2 = `${ox + CELL},${oy},${ox + 2 * CELL},${oy + 2 * CELL}`;
    expect(summary(await tracks(cmd, `bbox=${grid2}&${WINDOW}`))).toEqual({ 'T-B': [30] });
  });

  it('shows a grid worker only the fixes in their grid, cutting a track where it leaves it', async () => {
    expect(summary(await tracks(worker, `bbox=${ALL}&${WINDOW}`))).toEqual({ 'T-A': [10, 5, 4], 'T-B': [5, 5] });
    expect(summary(await tracks(farWorker, `bbox=${ALL}&${WINDOW}`))).toEqual({ 'T-C': [6] });
    // Grid 2 is nobody's here but command's: B's excursion there is invisible to both workers.
    const grid2 = `${ox + CELL},${oy},${ox + 2 * CELL},${oy + 2 * CELL}`;
    expect(summary(await tracks(worker, `bbox=${grid2}&${WINDOW}`))).toEqual({});
  });

  it('caps the fixes read and says so', async () => {
    const b = await tracks(cmd, `bbox=${ALL}&${WINDOW}&limit=12`);
    expect(b.limit).toBe(12);
    expect(b.truncated).toBe(true);
    expect(b.fixes).toBe(12);
    // A's first 12 fixes in time order: its first trip, and two of the second.
    expect(summary(b)).toEqual({ 'T-A': [10, 2] });
  });

  it('refuses bad input with the error shape', async () => {
    for (const q of [
      `${WINDOW}`,
      `bbox=1,2,3&${WINDOW}`,
      `bbox=${ALL}&from=2026-11-02&to=2026-11-01`,
      `bbox=${ALL}&from=2026-10-01&to=2026-11-01`,
      `bbox=${ALL}&from=yesterday`,
      `bbox=${ALL}&from=2026-11-01T08:00:00`,
      `bbox=${ALL}&limit=0`,
      `bbox=${ALL}&device=1`,
    ]) {
      const res = await cmd.get(`/api/patrol/tracks?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
      expect(body.error.code, q).toBe('invalid_input');
      expect(body.error.details.length, q).toBeGreaterThan(0);
    }
    const long = (await (await cmd.get(`/api/patrol/tracks?bbox=${ALL}&from=2026-10-01&to=2026-11-01`)).json()) as { error: { message: string } };
    expect(long.error.message).toMatch(/at most 168/);
  });

  it('answers 401 without a session and 403 to analysts', async () => {
    expect((await Client.anonymous(app).get(`/api/patrol/tracks?bbox=${ALL}`)).status).toBe(401);
    const res = await analyst.get(`/api/patrol/tracks?bbox=${ALL}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });
});
