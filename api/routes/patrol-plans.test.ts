import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { ingestFixes } from '../patrol/ingest.ts';
import { binomialTwoSided } from '../patrol/plans.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// Precise patrol plans end to end over HTTP: generation from incidents and key locations, edits,
// the approval cycle, exports, verification from GPS and the before/after history.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let police: Client;
let leader: Client;
let otherLeader: Client;
let deviceId: number;
let tomorrow: string;
const [ox, oy] = ORIGIN;
const A: [number, number] = [ox + 0.3 * CELL, oy + 0.5 * CELL];
const B: [number, number] = [ox + 0.7 * CELL, oy + 1.5 * CELL];
const K: [number, number] = [ox + 1.5 * CELL, oy + 1.0 * CELL];

interface Stop { team: number; seq: number; target_kind: string; target_ref: string | null; lon: number; lat: number; dwell_min: number; eta: string; reason: string; mandatory: boolean }
interface PlanBody { plan: { id: number; state: string; version: number; shift_start: string; shift_end: string; team_size: number }; stops: Stop[]; teams: { team: number; devices: { id: number }[] }[]; dropped: string[] }

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

async function event(code: string, at: [number, number], local: string, subtype = 'theft'): Promise<void> {
  await db.sql`INSERT INTO event (code, type, subtype, severity, state, title, geom, reported_at)
    VALUES (${code}, 'public_security', ${subtype}, 2, 'reported', '测试', ST_Point(${at[0]}, ${at[1]}, 4326), ${local}::timestamp AT TIME ZONE 'Asia/Shanghai')`;
}

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const [{ today }] = await db.sql<[{ today: string }]>`SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date::text AS today`;
  const day = (k: number) => new Date(Date.parse(`${today}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10);
  tomorrow = day(1);
  // Six thefts at A at 20:00 on the last six days, two at B, three at A at 10:00 (outside the shift).
  for (let k = 1; k <= 6; k++) await event(`P-A${k}`, A, `${day(-k)} 20:00`);
  for (let k = 1; k <= 2; k++) await event(`P-B${k}`, B, `${day(-k)} 21:30`);
  for (let k = 1; k <= 3; k++) await event(`P-M${k}`, A, `${day(-k)} 10:00`);
  await db.sql`INSERT INTO key_location (code, name, type, geom, required_passes_week)
               VALUES ('P-K1', '院岭小学', 'school', ST_Point(${K[0]}, ${K[1]}, 4326), 3)`;
  const p = await createUser(db.sql, 'police1', 'police', { community_id: world.communityIds[0] });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'leader3', 'grid_leader', { grid_id: world.gridIds[2] });
  [{ id: deviceId }] = await db.sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind, staff_id) VALUES ('P-D1', 'handheld', ${p.staffId}) RETURNING id`;
  police = await Client.login(app, 'police1');
  leader = await Client.login(app, 'leader1');
  otherLeader = await Client.login(app, 'leader3');
});
afterAll(async () => db?.drop());

let plan: PlanBody;

describe('POST /api/patrol-plans/generate', () => {
  it('refuses two areas at once and names the field', async () => {
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(
      await police.post('/api/patrol-plans/generate', { community_id: world.communityIds[0], grid_ids: [world.gridIds[0]], date: tomorrow, start_hour: 19, end_hour: 23 }), 400);
    expect(body.error.code).toBe('invalid_input');
    expect(JSON.stringify(body.error)).toContain('give exactly one area');
  });

  it('refuses an area outside the caller\'s jurisdiction', async () => {
    const body = await json<{ error: { code: string } }>(
      await police.post('/api/patrol-plans/generate', { community_id: world.communityIds[1], date: tomorrow, start_hour: 19, end_hour: 23 }), 422);
    expect(body.error.code).toBe('empty_area');
  });

  it('ranks the due key location first, then the hotter cell, each with its reason', async () => {
    plan = await json<PlanBody>(await police.post('/api/patrol-plans/generate', { community_id: world.communityIds[0], date: tomorrow, start_hour: 19, end_hour: 23 }), 201);
    expect(plan.plan.state).toBe('draft');
    expect(plan.plan.version).toBe(1);
    const cellA = latLngToCell(A[1], A[0], 9);
    const cellB = latLngToCell(B[1], B[0], 9);
    const byRef = new Map(plan.stops.map((s) => [s.target_ref, s]));
    expect(plan.stops).toHaveLength(3);
    expect(byRef.get(cellA)!.reason).toBe('近30天19-23时盗窃6起，近30天未巡');
    expect(byRef.get(cellB)!.reason).toBe('近30天19-23时盗窃2起，近30天未巡');
    const key = plan.stops.find((s) => s.target_kind === 'key_location')!;
    expect(key.mandatory).toBe(true);
    expect(key.reason).toBe('重点部位·学校「院岭小学」：每周应巡3次，近7天0次，近7天未巡');
    // ETAs run forward from the shift start (19:00 Beijing time = 11:00 UTC).
    expect(plan.plan.shift_start).toBe(`${tomorrow}T11:00:00.000Z`);
    const etas = plan.stops.map((s) => Date.parse(s.eta));
    expect([...etas].sort((a, b) => a - b)).toEqual(etas);
    expect(etas[0]!).toBeGreaterThan(Date.parse(plan.plan.shift_start));
    // The community's police officer's device verifies the plan.
    expect(plan.teams[0]!.devices.map((d) => d.id)).toEqual([deviceId]);
  });

  it('is invisible to a grid leader of the other community', async () => {
    await json(await otherLeader.get(`/api/patrol-plans/${plan.plan.id}`), 404);
    await json(await leader.get(`/api/patrol-plans/${plan.plan.id}`), 200);
  });
});

describe('editing and the approval cycle', () => {
  it('edits a draft: a stale version gets 409, the right one replaces the stops and recomputes ETAs', async () => {
    const moved = plan.stops.map((s) => ({ team: s.team, target_kind: s.target_kind, target_ref: s.target_ref, lon: s.lon, lat: s.lat, dwell_min: s.dwell_min, reason: s.reason })).reverse();
    moved[0] = { ...moved[0]!, lon: moved[0]!.lon + 0.001 };
    const stale = await json<{ error: { code: string } }>(await police.request(`/api/patrol-plans/${plan.plan.id}/stops`, { method: 'PUT', body: { expected_version: 99, stops: moved } }), 409);
    expect(stale.error.code).toBe('version_conflict');
    const edited = await json<PlanBody>(await police.request(`/api/patrol-plans/${plan.plan.id}/stops`, { method: 'PUT', body: { expected_version: 1, stops: moved } }));
    expect(edited.plan.version).toBe(2);
    expect(edited.stops.map((s) => s.target_ref)).toEqual(moved.map((s) => s.target_ref));
    expect(edited.stops[0]!.lon).toBeCloseTo(moved[0]!.lon, 9);
    expect(edited.stops.map((s) => s.seq)).toEqual([1, 2, 3]);
    plan = edited;
  });

  it('a grid leader may not approve; the police officer approves and publishes; a published plan is frozen', async () => {
    await json(await leader.post(`/api/patrol-plans/${plan.plan.id}/transitions`, { action: 'approve', expected_version: 2 }), 403);
    const illegal = await json<{ error: { code: string } }>(await police.post(`/api/patrol-plans/${plan.plan.id}/transitions`, { action: 'publish', expected_version: 2 }), 409);
    expect(illegal.error.code).toBe('illegal_transition');
    const approved = await json<PlanBody>(await police.post(`/api/patrol-plans/${plan.plan.id}/transitions`, { action: 'approve', expected_version: 2 }));
    expect([approved.plan.state, approved.plan.version]).toEqual(['approved', 3]);
    const frozen = await json<{ error: { code: string } }>(await police.request(`/api/patrol-plans/${plan.plan.id}/stops`, { method: 'PUT', body: { expected_version: 3, stops: [] } }), 409);
    expect(frozen.error.code).toBe('not_draft');
    const published = await json<PlanBody>(await police.post(`/api/patrol-plans/${plan.plan.id}/transitions`, { action: 'publish', expected_version: 3 }));
    expect(published.plan.state).toBe('published');
    plan = published;
    // The database refuses a stop written behind the API's back, too.
    await expect(db.sql`DELETE FROM patrol_plan_stop WHERE plan_id = ${plan.plan.id}`).rejects.toThrow(/only a draft can be edited/);
  });

  it('exports GPX with one route point per stop and GeoJSON with stops and routes', async () => {
    const res = await police.get(`/api/patrol-plans/${plan.plan.id}/gpx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/gpx+xml');
    const gpx = await res.text();
    expect(gpx.match(/<rtept /g)).toHaveLength(3);
    expect(gpx).toContain('院岭小学');
    const fc = await json<{ features: { geometry: { type: string } }[] }>(await police.get(`/api/patrol-plans/${plan.plan.id}/geojson`));
    expect(fc.features.map((f) => f.geometry.type).sort()).toEqual(['LineString', 'Point', 'Point', 'Point']);
  });
});

describe('verification from GPS', () => {
  it('a device that stays 12 minutes at the first stop and goes nowhere else completes one stop of three', async () => {
    const first = plan.stops[0]!;
    const t0 = Date.parse(plan.plan.shift_start) + 10 * 60_000;
    await ingestFixes(db.sql, Array.from({ length: 25 }, (_, i) => ({ deviceId, fixedAt: t0 + i * 30_000, lon: first.lon + 0.0001, lat: first.lat })));
    const c = await json<{ completion: number; stops: { seq: number; visited: boolean; complied: boolean; dwellMin: number; arrivedAt: number }[]; missed: { seq: number }[]; fixes: number; tracks: unknown[] }>(
      await police.get(`/api/patrol-plans/${plan.plan.id}/compliance`));
    expect(c.fixes).toBe(25);
    expect(c.stops.map((s) => s.complied)).toEqual([true, false, false]);
    expect(c.stops[0]!.dwellMin).toBeCloseTo(12, 6);
    expect(c.stops[0]!.arrivedAt).toBe(t0);
    expect(c.completion).toBeCloseTo(1 / 3, 12);
    expect(c.missed.map((m) => m.seq)).toEqual([2, 3]);
    expect(c.tracks).toHaveLength(1);
  });
});

describe('history', () => {
  it('counts incidents at the targeted cells in equal windows before and after, with an exact test', async () => {
    const h = await json<{ plans: { id: number; before: number; after: number; p_value: number; verdict: string; target_cells: number }[] }>(
      await police.get(`/api/patrol-plans/history?community_id=${world.communityIds[0]}&days=14`));
    const row = h.plans.find((p) => p.id === plan.plan.id)!;
    // 6 at A + 2 at B at the shift's hours; the 10:00 ones do not count; nothing after yet.
    expect([row.target_cells, row.before, row.after]).toEqual([2, 8, 0]);
    expect(row.p_value).toBeCloseTo(2 * 0.5 ** 8, 12);
    expect(row.verdict).toBe('fell');
  });

  it('the binomial test is symmetric and 1 at the centre', () => {
    expect(binomialTwoSided(5, 10)).toBeCloseTo(1, 12);
    expect(binomialTwoSided(0, 8)).toBeCloseTo(binomialTwoSided(8, 8), 12);
    // Σ C(10,i)/1024 for i ∈ {0,1,2,8,9,10} = 112/1024
    expect(binomialTwoSided(2, 10)).toBeCloseTo(112 / 1024, 12);
  });
});
