import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// GET /api/persons/map: where persons of concern live, masked, for case roles only, every read audited.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let worker: Client;
let analyst: Client;
let screen: Client;
const [ox, oy] = ORIGIN;
const ALL = `${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;

interface Point { id: number; code: string; name: string; category: string; control_level: number; address_id: number; grid_id: number; lon: number; lat: number }
interface Body { persons: Point[]; truncated: boolean; limit: number }

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  const people: [string, number, string, string, number, string | null][] = [
    // code, grid index, name, category, level, until
    ['P1', 0, '张三', 'community_correction', 1, null],
    ['P2', 0, '欧阳娜娜', 'elderly_alone', 3, null],
    ['P3', 0, '李四', 'petition', 2, '2020-01-01'],
    ['P4', 2, '王五', 'community_correction', 2, null],
  ];
  for (const [i, [code, g, name, category, level, until]] of people.entries()) {
    const [a] = await sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom, category)
      VALUES (${`PA${i}`}, ${`重点路${i}号`}, ST_Point(${ox + (g + 0.5) * CELL}, ${oy + 0.2 * CELL + i * 0.001}, 4326), 'key') RETURNING id`;
    await sql`INSERT INTO person_of_concern (code, address_id, name, id_number, phone, category, control_level, since, until)
              VALUES (${code}, ${a.id}, ${name}, ${`41048119800101${1000 + i}`}, ${`1380000${1000 + i}`}, ${category}, ${level}, '2019-01-01', ${until})`;
  }
  await createUser(sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(sql, 'worker', 'grid_worker', { grid_id: world.gridIds[0] });
  await createUser(sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  await createUser(sql, 'screen', 'display', {});
  cmd = await Client.login(app, 'cmd');
  worker = await Client.login(app, 'worker');
  analyst = await Client.login(app, 'analyst');
  screen = await Client.login(app, 'screen');
});
afterAll(async () => db?.drop());

async function points(client: Client, q: string): Promise<Body> {
  const res = await client.get(`/api/persons/map?${q}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Body;
}
const codes = (b: Body) => b.persons.map((p) => p.code);

describe('GET /api/persons/map', () => {
  it('places active persons at their address with masked names and no ID or phone', async () => {
    const b = await points(cmd, `bbox=${ALL}`);
    expect(codes(b)).toEqual(['P1', 'P2', 'P4']);
    expect(b.persons.map((p) => p.name)).toEqual(['张*', '欧阳**', '王*']);
    expect(b.persons[0]).toMatchObject({ category: 'community_correction', control_level: 1, grid_id: world.gridIds[0] });
    expect(b.persons[0]!.lon).toBeCloseTo(ox + 0.5 * CELL, 7);
    expect(Object.keys(b.persons[0]!).sort()).toEqual(['address_id', 'category', 'code', 'control_level', 'grid_id', 'id', 'lat', 'lon', 'name']);
    expect(JSON.stringify(b)).not.toMatch(/41048119800101|1380000/);
    expect(b.truncated).toBe(false);
  });

  it('filters by category and control level, and by box', async () => {
    expect(codes(await points(cmd, `bbox=${ALL}&category=community_correction`))).toEqual(['P1', 'P4']);
    expect(codes(await points(cmd, `bbox=${ALL}&control_level=2,3`))).toEqual(['P2', 'P4']);
    expect(codes(await points(cmd, `bbox=${ALL}&category=elderly_alone,petition&control_level=1`))).toEqual([]);
    expect(codes(await points(cmd, `bbox=${ox + 2 * CELL},${oy},${ox + 3 * CELL},${oy + CELL}`))).toEqual(['P4']);
  });

  it('shows a grid worker only the persons of their grid', async () => {
    expect(codes(await points(worker, `bbox=${ALL}`))).toEqual(['P1', 'P2']);
  });

  it('writes every read to the audit log, with the box and the rows returned', async () => {
    await points(worker, `bbox=${ALL}&control_level=1`);
    const [log] = await db.sql<[{ actor: string; action: string; target_type: string; target_id: string; details: { rows: number; levels: number[] } }]>`
      SELECT actor, action, target_type, target_id, details FROM audit_log WHERE action = 'person.map' ORDER BY id DESC LIMIT 1`;
    expect(log).toMatchObject({ actor: 'worker', action: 'person.map', target_type: 'bbox', target_id: ALL, details: { rows: 1, levels: [1] } });
  });

  it('caps the rows and says so', async () => {
    const b = await points(cmd, `bbox=${ALL}&limit=2`);
    expect(codes(b)).toEqual(['P1', 'P2']);
    expect(b.truncated).toBe(true);
  });

  it('refuses analysts and display screens (403), and bad input (400) with the error shape', async () => {
    for (const c of [analyst, screen]) {
      const res = await c.get(`/api/persons/map?bbox=${ALL}`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    for (const q of ['', 'bbox=1,2', `bbox=${ALL}&category=thief`, `bbox=${ALL}&control_level=4`, `bbox=${ALL}&name=张三`]) {
      const res = await cmd.get(`/api/persons/map?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, q).toBe('invalid_input');
    }
  });
});
