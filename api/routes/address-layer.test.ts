import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// GET /api/addresses?bbox&category&format=columns: the address map layer's reads.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let worker: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;
const ALL = `${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;

interface Columns { count: number; truncated: boolean; limit: number; columns: { id: number[]; code: string[]; category: string[]; grid_id: number[]; lon: number[]; lat: number[]; address_text: string[]; vacant: boolean[] } }

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  // Per grid: 3 general, 2 key, 1 attention.
  const kinds = ['general', 'general', 'general', 'key', 'key', 'attention'];
  for (let g = 0; g < 4; g++) {
    for (const [k, category] of kinds.entries()) {
      await db.sql`INSERT INTO address (code, address_text, geom, category)
                   VALUES (${`L${g}-${k}`}, ${`图层路${g}-${k}号`}, ST_Point(${ox + (g + 0.5) * CELL}, ${oy + 0.2 * CELL + k * 0.002}, 4326), ${category})`;
    }
  }
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'worker', 'grid_worker', { grid_id: world.gridIds[1] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  cmd = await Client.login(app, 'cmd');
  worker = await Client.login(app, 'worker');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function columns(client: Client, q: string): Promise<Columns> {
  const res = await client.get(`/api/addresses?format=columns&${q}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Columns;
}

describe('GET /api/addresses as map layer columns', () => {
  it('filters by one category or several', async () => {
    const highlighted = await columns(cmd, `bbox=${ALL}&category=key,attention`);
    expect(highlighted.count).toBe(12);
    expect(new Set(highlighted.columns.category)).toEqual(new Set(['key', 'attention']));
    expect((await columns(cmd, `bbox=${ALL}&category=general`)).count).toBe(12);
    expect((await columns(cmd, `bbox=${ALL}&category=attention`)).count).toBe(4);
    expect((await columns(cmd, `bbox=${ALL}`)).count).toBe(24);
  });

  it('returns one array per column, in id order, each as long as the count', async () => {
    const b = await columns(cmd, `bbox=${ox},${oy},${ox + CELL},${oy + 2 * CELL}&category=key`);
    expect(b.columns.code).toEqual(['L0-3', 'L0-4']);
    for (const col of Object.values(b.columns)) expect(col).toHaveLength(2);
    expect(b.columns.grid_id).toEqual([world.gridIds[0], world.gridIds[0]]);
    expect(b.columns.lon[0]).toBeCloseTo(ox + 0.5 * CELL, 7);
    expect(b.columns.lat[1]).toBeCloseTo(oy + 0.2 * CELL + 4 * 0.002, 7);
    expect(b.truncated).toBe(false);
  });

  it('keeps the GeoJSON answer by default, with the same filter', async () => {
    const res = await cmd.get(`/api/addresses?bbox=${ALL}&category=key,attention`);
    expect(res.status).toBe(200);
    const fc = (await res.json()) as { type: string; features: unknown[] };
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(12);
  });

  it('shows a grid worker only the addresses of their grid', async () => {
    const b = await columns(worker, `bbox=${ALL}`);
    expect(b.count).toBe(6);
    expect(new Set(b.columns.grid_id)).toEqual(new Set([world.gridIds[1]]));
  });

  it('caps the rows and says so', async () => {
    const b = await columns(cmd, `bbox=${ALL}&limit=5`);
    expect(b.count).toBe(5);
    expect(b.truncated).toBe(true);
  });

  it('refuses bad input with the error shape, and analysts', async () => {
    for (const q of [`bbox=${ALL}&category=vip`, `bbox=${ALL}&category=`, `bbox=${ALL}&format=csv`, 'category=key']) {
      const res = await cmd.get(`/api/addresses?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, q).toBe('invalid_input');
    }
    expect((await analyst.get(`/api/addresses?bbox=${ALL}&format=columns`)).status).toBe(403);
  });
});
