import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// GET /api/stats/event-histogram and GET /api/heat/points on hand-placed events: local days in
// Asia/Shanghai, type/subtype/hour filters, bbox, jurisdiction, and the 400 shape.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;

interface Histogram {
  window: { from: string; to: string; days: number; timezone: string };
  total: number;
  max: number;
  days: { day: string; n: number }[];
  types: { type: string; n: number; subtypes: { subtype: string | null; n: number }[] }[];
}
interface Points { count: number; truncated: boolean; limit: number; types: string[]; coords: number[]; type_index: number[] }

// [grid index 0..3, local time (+08), type, subtype, cancelled]
const EVENTS: [number, string, string, string | null, boolean][] = [
  [0, '2026-03-01 00:30', 'public_security', 'theft', false], // local 1 March, UTC 28 February
  [0, '2026-03-01 23:30', 'public_security', 'theft', false],
  [1, '2026-03-01 10:00', 'dispute', 'neighbour', false],
  [1, '2026-03-03 10:00', 'dispute', 'neighbour', false],
  [2, '2026-03-03 22:00', 'dispute', 'economic', false],
  [3, '2026-03-04 09:00', 'public_security', null, false],
  [3, '2026-03-04 09:30', 'public_security', null, true], // cancelled: never counted
  [2, '2026-03-05 08:00', 'hazard', 'fire', false], // after the window used below
];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  for (const [i, [g, at, type, subtype, cancelled]] of EVENTS.entries()) {
    const lon = ox + (g + 0.5) * CELL + i * 0.0001;
    const lat = oy + 0.5 * CELL;
    await db.sql`INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, reported_at)
                 VALUES (${`H-E${i}`}, ${type}, ${subtype}, ${type === 'dispute' ? 'general' : null}, 1, ${cancelled ? 'cancelled' : 'reported'}, '直方图', ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), ${`${at}+08`})`;
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

const W = 'from=2026-03-01&to=2026-03-04';

describe('GET /api/stats/event-histogram', () => {
  it('counts events per local day with every day of the window, and by type and subtype', async () => {
    const body = await json<Histogram>(await analyst.get(`/api/stats/event-histogram?${W}`));
    expect(body.window).toEqual({ from: '2026-03-01', to: '2026-03-04', days: 4, timezone: 'Asia/Shanghai' });
    expect(body.days).toEqual([{ day: '2026-03-01', n: 3 }, { day: '2026-03-02', n: 0 }, { day: '2026-03-03', n: 2 }, { day: '2026-03-04', n: 1 }]);
    expect([body.total, body.max]).toEqual([6, 3]);
    expect(body.types).toEqual([
      { type: 'public_security', n: 3, subtypes: [{ subtype: 'theft', n: 2 }, { subtype: null, n: 1 }] },
      { type: 'dispute', n: 3, subtypes: [{ subtype: 'neighbour', n: 2 }, { subtype: 'economic', n: 1 }] },
    ].sort((a, b) => b.n - a.n || a.type.localeCompare(b.type)));
  });

  it('filters by type, subtype, local hour, weekday and bbox', async () => {
    const total = async (q: string) => (await json<Histogram>(await analyst.get(`/api/stats/event-histogram?${W}&${q}`))).total;
    expect(await total('type=dispute')).toBe(3);
    expect(await total('type=dispute&subtype=neighbour')).toBe(2);
    expect(await total('hours=22-23')).toBe(2);
    expect(await total('hours=0')).toBe(1);
    // 2026-03-03 is a Tuesday (ISO 2).
    expect(await total('weekdays=2')).toBe(2);
    expect(await total(`bbox=${ox},${oy},${ox + 2 * CELL},${oy + 2 * CELL}`)).toBe(4);
  });

  it('counts only the caller\'s jurisdiction', async () => {
    const body = await json<Histogram>(await leader.get(`/api/stats/event-histogram?${W}`));
    expect(body.total).toBe(2);
    expect(body.days[0]).toEqual({ day: '2026-03-01', n: 2 });
    expect((await json<Histogram>(await command.get(`/api/stats/event-histogram?${W}`))).total).toBe(6);
  });

  it('refuses bad input with the error shape', async () => {
    for (const q of ['from=2026-02-30', 'type=murder', 'hours=25', 'bbox=1,2,3', 'from=2026-03-05&to=2026-03-01', 'nope=1']) {
      const body = await json<{ error: { code: string; message: string; details: unknown[] } }>(await analyst.get(`/api/stats/event-histogram?${q}`), 400);
      expect(body.error.code, q).toBe('invalid_input');
      expect(body.error.message, q).toEqual(expect.any(String));
      expect(body.error.details.length, q).toBeGreaterThan(0);
    }
  });
});

describe('GET /api/heat/points', () => {
  const BBOX = `bbox=${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;

  it('returns columnar points, newest first, without identities', async () => {
    const body = await json<Points>(await analyst.get(`/api/heat/points?${BBOX}&${W}`));
    expect(body.count).toBe(6);
    expect(body.truncated).toBe(false);
    expect(body.coords).toHaveLength(12);
    // Newest: the public_security event of grid 4 at 09:00 on 4 March (index 5).
    expect(body.coords.slice(0, 2)).toEqual([Math.round((ox + 3.5 * CELL + 5 * 0.0001) * 1e5) / 1e5, Math.round((oy + 0.5 * CELL) * 1e5) / 1e5]);
    expect(body.type_index.map((i) => body.types[i])).toEqual(['public_security', 'dispute', 'dispute', 'public_security', 'dispute', 'public_security']);
    expect(JSON.stringify(body)).not.toContain('H-E');
  });

  it('caps at limit with truncated, filters and keeps to the jurisdiction', async () => {
    const capped = await json<Points>(await analyst.get(`/api/heat/points?${BBOX}&${W}&limit=4`));
    expect([capped.count, capped.truncated, capped.limit]).toEqual([4, true, 4]);
    expect((await json<Points>(await analyst.get(`/api/heat/points?${BBOX}&${W}&type=dispute`))).count).toBe(3);
    expect((await json<Points>(await analyst.get(`/api/heat/points?${BBOX}&from=2026-03-05&to=2026-03-05`))).count).toBe(1);
    expect((await json<Points>(await leader.get(`/api/heat/points?${BBOX}&${W}`))).count).toBe(2);
  });

  it('needs a bbox and refuses bad input with the error shape', async () => {
    for (const q of [W, `${BBOX}&limit=0`, `${BBOX}&weekdays=8`]) {
      const body = await json<{ error: { code: string; details: unknown[] } }>(await analyst.get(`/api/heat/points?${q}`), 400);
      expect(body.error.code, q).toBe('invalid_input');
      expect(body.error.details.length, q).toBeGreaterThan(0);
    }
  });
});
