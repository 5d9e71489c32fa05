import * as turf from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { MAX_AREA_VERTICES } from './area-stats.ts';

// 框选统计: the numbers are checked against an independent turf computation on the same points.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
let from: string;
let today: string;
const [ox, oy] = ORIGIN;

interface Pt { lon: number; lat: number; grid: number }
const addrPts: (Pt & { registered: boolean; category: string })[] = [];
const eventPts: (Pt & { type: string; state: string; onTime: boolean | null })[] = [];
const keyPts: (Pt & { type: string })[] = [];
const jointPts: Pt[] = [];
const visited: { address: number; n: number }[] = [];

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const gridIndexOf = (lon: number) => Math.floor((lon - ox) / CELL);

// An irregular pentagon across G1..G3, and a rectangle cutting G1 and G2 exactly in half (by longitude).
const pentagon: Polygon = {
  type: 'Polygon',
  coordinates: [[[ox + 0.3 * CELL, oy + 0.2 * CELL], [ox + 2.6 * CELL, oy + 0.4 * CELL], [ox + 2.2 * CELL, oy + 1.7 * CELL],
    [ox + 1.1 * CELL, oy + 1.9 * CELL], [ox + 0.2 * CELL, oy + 1.2 * CELL], [ox + 0.3 * CELL, oy + 0.2 * CELL]]],
};
const halves: Polygon = {
  type: 'Polygon',
  coordinates: [[[ox + 0.5 * CELL, oy - 0.5 * CELL], [ox + 1.5 * CELL, oy - 0.5 * CELL], [ox + 1.5 * CELL, oy + 2.5 * CELL],
    [ox + 0.5 * CELL, oy + 2.5 * CELL], [ox + 0.5 * CELL, oy - 0.5 * CELL]]],
};

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  [{ today, from }] = await db.sql<[{ today: string; from: string }]>`SELECT kpi_today()::text AS today, (kpi_today() - 10)::text AS from`;
  await createUser(db.sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  const rand = rng(20261129);
  // Points a little inside the world (not on grid edges), so each has one grid.
  const pt = () => {
    const lon = ox + 0.05 * CELL + rand() * 3.9 * CELL;
    return { lon, lat: oy + 0.05 * CELL + rand() * 1.9 * CELL, grid: world.gridIds[gridIndexOf(lon)]! };
  };
  const categories = ['general', 'key', 'attention'];
  for (let i = 0; i < 80; i++) {
    const p = pt();
    const category = categories[i % 3]!;
    const [a] = await db.sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom, category)
      VALUES (${`AR-A${i}`}, ${`框选路${i}号`}, ST_SetSRID(ST_MakePoint(${p.lon}, ${p.lat}), 4326), ${category}) RETURNING id`;
    const registered = i % 4 !== 0;
    if (registered) {
      await db.sql`INSERT INTO housing (address_id, building_type, usage, rented) VALUES (${a.id}, 'residential', 'self_occupied', false)`;
      await db.sql`INSERT INTO resident (address_id, name) VALUES (${a.id}, '李四')`;
    }
    addrPts.push({ ...p, registered, category });
    if (i % 5 === 0) {
      const n = 1 + (i % 3);
      for (let k = 0; k < n; k++) {
        await db.sql`INSERT INTO visit (client_id, address_id, visited_at) VALUES (${`AR-V${i}-${k}`}, ${a.id}, now() - make_interval(days => ${k + 1}))`;
      }
      // One more visit outside the window: it must not count.
      await db.sql`INSERT INTO visit (client_id, address_id, visited_at) VALUES (${`AR-V${i}-old`}, ${a.id}, now() - interval '40 days')`;
      visited.push({ address: addrPts.length - 1, n });
    }
  }
  const types = ['public_security', 'hazard', 'service_request'];
  for (let i = 0; i < 60; i++) {
    const p = pt();
    const type = types[i % 3]!;
    const state = i % 4 === 0 ? 'closed' : i % 4 === 1 ? 'accepted' : 'reported';
    // Reported 5 days ago, due an hour later; closed events close within or after the hour.
    const closeAfter = state !== 'closed' ? null : i % 8 === 0 ? 30 : 120;
    await db.sql`
      INSERT INTO event (code, type, severity, state, title, geom, reported_at, due_at, closed_at)
      VALUES (${`AR-E${i}`}, ${type}, 2, ${state}, '框选测试', ST_SetSRID(ST_MakePoint(${p.lon}, ${p.lat}), 4326),
              date_trunc('minute', now()) - interval '5 days', date_trunc('minute', now()) - interval '5 days' + interval '1 hour',
              CASE WHEN ${closeAfter}::int IS NULL THEN NULL ELSE date_trunc('minute', now()) - interval '5 days' + make_interval(mins => ${closeAfter}::int) END)`;
    eventPts.push({ ...p, type, state, onTime: closeAfter === null ? null : closeAfter <= 60 });
  }
  // Events reported before the window are left out of every event count.
  await db.sql`INSERT INTO event (code, type, severity, state, title, geom, reported_at, due_at)
               VALUES ('AR-OLD', 'hazard', 2, 'reported', '旧事件', ST_SetSRID(ST_MakePoint(${ox + 1.2 * CELL}, ${oy + CELL}), 4326),
                       now() - interval '60 days', now() - interval '60 days' + interval '1 hour')`;
  for (let i = 0; i < 12; i++) {
    const p = pt();
    const type = i % 2 ? 'school' : 'market';
    await db.sql`INSERT INTO key_location (code, name, type, geom) VALUES (${`AR-K${i}`}, ${`部位${i}`}, ${type}, ST_SetSRID(ST_MakePoint(${p.lon}, ${p.lat}), 4326))`;
    keyPts.push({ ...p, type });
    const q = pt();
    await db.sql`INSERT INTO joint_defense_point (code, name, geom, grid_id) VALUES (${`AR-J${i}`}, ${`联防点${i}`}, ST_SetSRID(ST_MakePoint(${q.lon}, ${q.lat}), 4326), ${q.grid})`;
    jointPts.push(q);
  }
  command = await Client.login(app, 'chief');
  leader = await Client.login(app, 'leader1');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

interface AreaResult {
  window: { from: string; to: string };
  area_m2: number;
  addresses: { total: number; registered: number; registration_rate: number | null; by_category: { category: string; total: number; registered: number }[] };
  events: { reported: number; by_type: { type: string; reported: number }[]; by_state: { state: string; events: number }[]; due: number; closed: number; on_time: number };
  visits: { total: number; standard: number };
  key_locations: { total: number; by_type: { type: string; count: number }[] };
  joint_defense_points: number;
  grids: { grid_id: number; code: string; share: number; inside_m2: number; patrol_coverage: number | null }[];
  patrol_coverage: number | null;
}

/** The counts worked out with turf alone, for the grids `visible`. */
function expected(poly: Polygon, visible: number[]) {
  const inside = <T extends Pt>(list: T[]) => list.filter((p) => visible.includes(p.grid) && turf.booleanPointInPolygon([p.lon, p.lat], poly));
  const addrs = inside(addrPts);
  const events = inside(eventPts);
  const count = <T>(xs: T[], key: (x: T) => string) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
    return m;
  };
  return {
    addresses: addrs.length,
    registered: addrs.filter((a) => a.registered).length,
    byCategory: count(addrs, (a) => a.category),
    events: events.length,
    byType: count(events, (e) => e.type),
    byState: count(events, (e) => e.state),
    closed: events.filter((e) => e.state === 'closed').length,
    onTime: events.filter((e) => e.onTime).length,
    visits: visited.filter((v) => addrs.includes(addrPts[v.address]!)).reduce((n, v) => n + v.n, 0),
    keyLocations: inside(keyPts).length,
    joint: inside(jointPts).length,
  };
}

const asMap = <T>(rows: T[], key: (r: T) => string, value: (r: T) => number) => new Map(rows.map((r) => [key(r), value(r)]));

describe('POST /api/stats/area', () => {
  it('counts what lies inside the polygon, as turf does', async () => {
    const body = await json<AreaResult>(await command.post('/api/stats/area', { polygon: pentagon, from, to: today }));
    const want = expected(pentagon, [...world.gridIds]);
    expect(want.addresses).toBeGreaterThan(10);
    expect(want.addresses).toBeLessThan(addrPts.length);
    expect(body.window).toMatchObject({ from, to: today });
    expect(Math.abs(body.area_m2 - turf.area(pentagon)) / turf.area(pentagon)).toBeLessThan(0.005);
    expect([body.addresses.total, body.addresses.registered]).toEqual([want.addresses, want.registered]);
    expect(asMap(body.addresses.by_category, (r) => r.category, (r) => r.total)).toEqual(want.byCategory);
    expect(body.events.reported).toBe(want.events);
    expect(asMap(body.events.by_type, (r) => r.type, (r) => r.reported)).toEqual(want.byType);
    expect(asMap(body.events.by_state, (r) => r.state, (r) => r.events)).toEqual(want.byState);
    expect([body.events.due, body.events.closed, body.events.on_time]).toEqual([want.events, want.closed, want.onTime]);
    expect(body.visits).toEqual({ total: want.visits, standard: 0, standard_rate: want.visits ? 0 : null });
    expect(want.visits).toBeGreaterThan(0);
    expect(body.key_locations.total).toBe(want.keyLocations);
    expect(body.joint_defense_points).toBe(want.joint);
    expect(body.grids.map((g) => g.code)).toEqual(['T-G1', 'T-G2', 'T-G3']);
  });

  it('gives the share of each grid inside: a polygon cutting two grids in half gives 0.5 each', async () => {
    const body = await json<AreaResult>(await command.post('/api/stats/area', { polygon: halves }));
    expect(body.grids.map((g) => g.code)).toEqual(['T-G1', 'T-G2']);
    for (const g of body.grids) {
      expect(Math.abs(g.share - 0.5)).toBeLessThan(0.01);
      const i = world.gridIds.indexOf(g.grid_id);
      const cell = turf.feature(square(ox + i * CELL, oy, CELL, 2 * CELL)) as Feature<MultiPolygon>;
      const cut = turf.intersect(turf.featureCollection<Polygon | MultiPolygon>([cell, turf.feature(halves)]))!;
      expect(Math.abs(g.share - turf.area(cut) / turf.area(cell))).toBeLessThan(0.005);
    }
    // The polygon reaches outside the world: only the part over grids counts for the shares.
    expect(body.area_m2).toBeGreaterThan(body.grids.reduce((n, g) => n + g.inside_m2, 0));
  });

  it('weights patrol coverage by the area of each grid inside the polygon', async () => {
    await db.sql`INSERT INTO patrol_device (code, kind) VALUES ('AR-D1', 'handheld')`;
    const { ingestFixes } = await import('../patrol/ingest.ts');
    const [d] = await db.sql<[{ id: number }]>`SELECT id FROM patrol_device WHERE code = 'AR-D1'`;
    const t0 = Date.now() - 3_600_000;
    await ingestFixes(db.sql, Array.from({ length: 40 }, (_, i) => ({ deviceId: d.id, fixedAt: t0 + i * 20_000, lon: ox + 0.1 * CELL + i * 0.0002, lat: oy + 0.5 * CELL })));
    const body = await json<AreaResult>(await command.post('/api/stats/area', { polygon: halves }));
    const [g1, g2] = body.grids;
    expect(g1!.patrol_coverage).toBeGreaterThan(0);
    const w = g1!.inside_m2 + g2!.inside_m2;
    expect(body.patrol_coverage).toBeCloseTo((g1!.inside_m2 * g1!.patrol_coverage! + g2!.inside_m2 * (g2!.patrol_coverage ?? 0)) / w, 10);
  });

  it('counts only the caller\'s grids', async () => {
    const body = await json<AreaResult>(await leader.post('/api/stats/area', { polygon: pentagon, from, to: today }));
    const want = expected(pentagon, [world.gridIds[0]]);
    expect(body.grids.map((g) => g.code)).toEqual(['T-G1']);
    expect([body.addresses.total, body.events.reported, body.key_locations.total, body.joint_defense_points])
      .toEqual([want.addresses, want.events, want.keyLocations, want.joint]);
  });

  it('gives analysts the aggregates', async () => {
    const body = await json<AreaResult>(await analyst.post('/api/stats/area', { polygon: pentagon, from, to: today }));
    expect(body.addresses.total).toBe(expected(pentagon, [...world.gridIds]).addresses);
    expect((await Client.anonymous(app).post('/api/stats/area', { polygon: pentagon })).status).toBe(401);
  });

  it('refuses a self-intersecting polygon with 422 and the reason', async () => {
    const bowtie = { type: 'Polygon', coordinates: [[[ox, oy], [ox + CELL, oy + CELL], [ox + CELL, oy], [ox, oy + CELL], [ox, oy]]] };
    const body = await json<{ error: { code: string; message: string; details: { reason: string } } }>(await command.post('/api/stats/area', { polygon: bowtie }), 422);
    expect(body.error.code).toBe('invalid_geometry');
    expect(body.error.details.reason).toMatch(/Self-intersection/);
  });

  it('refuses too many vertices (400) and too large an area (422)', async () => {
    const n = MAX_AREA_VERTICES + 1;
    const ring = Array.from({ length: n }, (_, i) => [ox + CELL * Math.cos((2 * Math.PI * i) / n), oy + CELL * Math.sin((2 * Math.PI * i) / n)]);
    const many = await json<{ error: { code: string } }>(await command.post('/api/stats/area', { polygon: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } }), 400);
    expect(many.error.code).toBe('invalid_input');
    const huge = { type: 'Polygon', coordinates: [[[110, 30], [116, 30], [116, 36], [110, 36], [110, 30]]] };
    const big = await json<{ error: { code: string } }>(await command.post('/api/stats/area', { polygon: huge }), 422);
    expect(big.error.code).toBe('area_too_large');
  });
});
