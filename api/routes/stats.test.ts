import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { ingestFixes } from '../patrol/ingest.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Hono } from 'hono';
import { unguarded } from '../auth/guard.ts';
import { QueryCatalog } from '../db/queries.ts';
import type { AppEnv } from '../http/env.ts';
import { MAX_LIST_LIMIT, statsResource } from './stats.ts';
import { rowsOfColumns } from '../patrol/kpi.ts';

// HTTP layer of the KPI engine: windows, validation, jurisdiction and response shapes. The numbers
// themselves are checked in api/patrol/kpi.suite.ts.
let db: TestDatabase;
let app: App['app'];
let routes: App['routes'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
let today: string;
const addresses: number[] = [];
const [ox, oy] = ORIGIN;

interface Row { unit_id: number; code: string; addresses: number; registered: number; registration_rate: number | null; events_due: number; patrol_coverage: number | null }
interface Table { window: { from: string; to: string; days: number; today: string; timezone: string; as_of: string }; rows: Row[] }

beforeAll(async () => {
  db = await freshDatabase();
  ({ app, routes } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  [{ today }] = await db.sql<[{ today: string }]>`SELECT kpi_today()::text AS today`;
  await createUser(db.sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  for (let i = 0; i < 6; i++) {
    const [a] = await db.sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom, category)
      VALUES (${`S-A${i}`}, ${`统计路${i}号`}, ST_SetSRID(ST_MakePoint(${ox + (i % 2) * CELL + 0.3 * CELL + i * 0.0001}, ${oy + CELL}), 4326), 'general')
      RETURNING id`;
    addresses.push(a.id);
    // G1 gets the even ones: S-A0 registered, S-A2 has no occupants, S-A4 has nothing.
    if (i < 3) await db.sql`INSERT INTO housing (address_id, building_type, usage, rented) VALUES (${a.id}, 'residential', 'self_occupied', false)`;
    if (i < 2) await db.sql`INSERT INTO resident (address_id, name) VALUES (${a.id}, '张三')`;
  }
  await db.sql`INSERT INTO event (code, type, severity, state, title, geom, reported_at)
               VALUES ('S-E1', 'public_security', 4, 'reported', '测试', ST_SetSRID(ST_MakePoint(${ox + 0.5 * CELL}, ${oy + 0.5 * CELL}), 4326), now() - interval '10 hours')`;
  const [d] = await db.sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES ('S-D1', 'handheld') RETURNING id`;
  const t0 = Date.now() - 3_600_000;
  await ingestFixes(db.sql, Array.from({ length: 40 }, (_, i) => ({ deviceId: d.id, fixedAt: t0 + i * 20_000, lon: ox + 0.1 * CELL + i * 0.0002, lat: oy + 0.5 * CELL })));
  command = await Client.login(app, 'chief');
  leader = await Client.login(app, 'leader1');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

describe('GET /api/stats/grids, /communities, /subdistrict', () => {
  it('defaults to the current month up to today and returns one row per grid', async () => {
    const body = await json<Table>(await command.get('/api/stats/grids'));
    expect(body.window).toMatchObject({ from: `${today.slice(0, 8)}01`, to: today, today, timezone: 'Asia/Shanghai' });
    expect(body.rows.map((r) => r.code)).toEqual(['T-G1', 'T-G2', 'T-G3', 'T-G4']);
    const g1 = body.rows[0]!;
    expect([g1.addresses, g1.registered, g1.registration_rate]).toEqual([3, 1, 1 / 3]);
    expect(g1.events_due).toBe(1);
    expect(g1.patrol_coverage).toBeGreaterThan(0);
  });

  it('answers a whole jurisdiction with the database-written JSON, equal to the row-by-row answer', async () => {
    // Unscoped (every grid): the JSON path; the command user's four grids take the direct path.
    const r = statsResource({ sql: db.sql, queries: new QueryCatalog(), guard: unguarded(db.sql) });
    const whole = new Hono<AppEnv>().route(r.base, r.router);
    const res = await whole.request(`/api/stats/grids?from=${today.slice(0, 8)}01&to=${today}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const fast = (await res.json()) as Table;
    const direct = await json<Table>(await command.get(`/api/stats/grids?from=${today.slice(0, 8)}01&to=${today}`));
    expect(fast.rows).toEqual(direct.rows);
    const { as_of: _a, ...fastWindow } = fast.window as unknown as Record<string, unknown>;
    const { as_of: _b, ...directWindow } = direct.window as unknown as Record<string, unknown>;
    expect(fastWindow).toEqual(directWindow);
  });

  it('answers format=columns with one array per key, the same values as the rows, on both paths', async () => {
    const r = statsResource({ sql: db.sql, queries: new QueryCatalog(), guard: unguarded(db.sql) });
    const whole = new Hono<AppEnv>().route(r.base, r.router);
    const window = `from=${today.slice(0, 8)}01&to=${today}`;
    const rows = (await json<Table>(await command.get(`/api/stats/grids?${window}`))).rows;
    for (const res of [await whole.request(`/api/stats/grids?${window}&format=columns`), await command.get(`/api/stats/grids?${window}&format=columns`)]) {
      const body = await json<{ window: unknown; columns: Record<string, unknown[]>; rows?: unknown }>(res);
      expect(body.rows).toBeUndefined();
      expect(body.columns.code).toEqual(['T-G1', 'T-G2', 'T-G3', 'T-G4']);
      expect(rowsOfColumns(body.columns)).toEqual(rows);
    }
    const leaderColumns = await json<{ columns: Record<string, unknown[]> }>(await leader.get('/api/stats/grids?format=columns'));
    expect(leaderColumns.columns.code).toEqual(['T-G1']);
    const bad = await json<{ error: { code: string; details: { path: string }[] } }>(await command.get('/api/stats/grids?format=csv'), 400);
    expect(bad.error.code).toBe('invalid_input');
    expect(bad.error.details.map((d) => d.path)).toContain('format');
  });

  it('clamps `to` to today and rolls up communities and the sub-district by summing', async () => {
    const future = await json<Table>(await command.get(`/api/stats/communities?from=${today}&to=2999-01-01`));
    expect(future.window).toMatchObject({ from: today, to: today, days: 1 });
    expect(future.rows.map((r) => [r.code, r.addresses, r.registered])).toEqual([['T-C1', 6, 2], ['T-C2', 0, 0]]);
    const sd = await json<{ rows: (Row & { events_by_type: { type: string; due: number }[] })[] }>(await command.get('/api/stats/subdistrict'));
    expect(sd.rows).toHaveLength(1);
    expect(sd.rows[0]!.events_by_type).toEqual([expect.objectContaining({ type: 'public_security', due: 1 })]);
  });

  it('limits every table to the caller\'s grids', async () => {
    const body = await json<Table>(await leader.get('/api/stats/grids'));
    expect(body.rows.map((r) => r.code)).toEqual(['T-G1']);
    const communities = await json<Table>(await leader.get('/api/stats/communities'));
    expect(communities.rows.map((r) => [r.code, r.addresses])).toEqual([['T-C1', 3]]);
  });

  it('lets analysts read aggregates but not the lists behind them', async () => {
    expect((await analyst.get('/api/stats/grids')).status).toBe(200);
    expect((await analyst.get(`/api/stats/grids/${world.gridIds[0]}`)).status).toBe(403);
    expect((await Client.anonymous(app).get('/api/stats/grids')).status).toBe(401);
  });

  it.each([
    ['a malformed date', '?from=2025-13-01', 'from'],
    ['a date that does not exist', '?to=2025-02-30', 'to'],
    ['from after to', `?from=${today}&to=2020-01-01`, 'from'],
    ['an unknown parameter', '?grid=1', ''],
    ['a window over three years', '?from=2000-01-01', 'from'],
  ])('refuses %s with 400', async (_label, qs, path) => {
    const body = await json<{ error: { code: string; details: { path: string }[] } }>(await command.get(`/api/stats/grids${qs}`), 400);
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details.some((d) => d.path === path)).toBe(true);
  });

  it('refuses a window that ends before the kept visit history with 422', async () => {
    const body = await json<{ error: { code: string; details: { horizon: string } } }>(await command.get('/api/stats/grids?from=2020-01-01&to=2020-01-31'), 422);
    expect(body.error.code).toBe('window_before_history');
    expect(body.error.details.horizon < today).toBe(true);
  });
});

describe('GET /api/stats/grids/:id', () => {
  it('returns the KPIs with the lists behind them, capped', async () => {
    const body = await json<{
      kpi: Row;
      registration_missing: { total: number; items: { address_id: number; missing: string[] }[] };
      visit_status: { counts: Record<string, Record<string, number>>; total: number; items: unknown[] };
      overdue_events: { total: number; items: { code: string }[] };
      key_locations: unknown[];
    }>(await command.get(`/api/stats/grids/${world.gridIds[0]}?limit=1`));
    expect(body.kpi.code).toBe('T-G1');
    expect(body.registration_missing.total).toBe(2);
    expect(body.registration_missing.items).toEqual([expect.objectContaining({ address_id: addresses[2], missing: ['no_occupants'] })]);
    expect(body.visit_status.counts).toEqual({ general: { never: 3 } });
    expect([body.visit_status.total, body.visit_status.items.length]).toEqual([3, 1]);
    expect(body.overdue_events.items.map((e) => e.code)).toEqual(['S-E1']);
  });

  it('caps the list size and answers 404 for a grid the caller cannot see', async () => {
    expect((await command.get(`/api/stats/grids/${world.gridIds[0]}?limit=${MAX_LIST_LIMIT * 10}`)).status).toBe(200);
    expect((await leader.get(`/api/stats/grids/${world.gridIds[1]}`)).status).toBe(404);
    expect((await command.get('/api/stats/grids/999999')).status).toBe(404);
    expect((await command.get('/api/stats/grids/x')).status).toBe(400);
  });
});

describe('GET /api/stats/addresses/:id/visit-status and /api/stats/patrol-coverage', () => {
  it('gives the status of an address with its visits', async () => {
    const body = await json<{ day: string; subjects: { subject: string; status: string }[]; visits: unknown[] }>(
      await command.get(`/api/stats/addresses/${addresses[0]}/visit-status`));
    expect(body.day).toBe(today);
    expect(body.subjects).toEqual([expect.objectContaining({ subject: 'address', status: 'never' })]);
    expect(body.visits).toEqual([]);
    expect((await leader.get(`/api/stats/addresses/${addresses[1]}/visit-status`)).status).toBe(404);
  });

  it('gives fast and exact patrol coverage and key locations', async () => {
    const body = await json<{ fast: { cells: number; covered: number; coverage: number }; exact: { coverage: number; segments: number } | null }>(
      await command.get(`/api/stats/patrol-coverage?grid_id=${world.gridIds[0]}&exact=1`));
    expect(body.fast.covered).toBeGreaterThan(0);
    expect(body.fast.coverage).toBeCloseTo(body.fast.covered / body.fast.cells, 12);
    expect(body.exact!.segments).toBe(39);
    expect(body.exact!.coverage).toBeGreaterThan(0);
    const fastOnly = await json<{ exact: null }>(await command.get(`/api/stats/patrol-coverage?grid_id=${world.gridIds[0]}`));
    expect(fastOnly.exact).toBeNull();
    expect((await command.get('/api/stats/patrol-coverage')).status).toBe(400);
  });
});

describe('documentation', () => {
  it('documents every stats route in the OpenAPI document', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters: { name: string }[] }>> };
    const stats = routes.filter((r) => r.path.startsWith('/api/stats'));
    expect(stats.map((r) => r.path).sort()).toEqual([
      '/api/stats/addresses/:id/visit-status', '/api/stats/area', '/api/stats/communities', '/api/stats/event-histogram', '/api/stats/grids', '/api/stats/grids/:id',
      '/api/stats/grids/:id/trend', '/api/stats/patrol-coverage', '/api/stats/subdistrict', '/api/stats/trend']);
    expect(doc.paths['/api/stats/grids']!.get!.parameters.map((p) => p.name)).toEqual(['from', 'to', 'format']);
  });
});
