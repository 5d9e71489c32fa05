import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// GET /api/visits: visits on the map with the KPI engine's verdicts, scoped to the caller's grids.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let worker: Client;
let farWorker: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;
const ALL = `${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;
const WINDOW = 'from=2026-11-01&to=2026-11-15';
const visitIds: Record<string, number> = {};

interface Visits {
  window: { from: string; to: string };
  count: number; truncated: boolean; limit: number;
  columns: {
    id: number[]; visited_at: number[]; address_id: number[]; address_text: string[]; category: string[]; grid_id: number[];
    person: boolean[]; has_fix: boolean[]; lon: number[]; lat: number[]; standard: (boolean | null)[]; on_site: (boolean | null)[];
    joint: (boolean | null)[]; reasons: (string[] | null)[]; distance_m: (number | null)[]; participants: number[];
  };
}

// Metres to degrees near 33.29°N.
const dLat = (m: number) => m / 111_000;

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  const address = async (code: string, x: number, y: number, category: string) => {
    const [a] = await sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom, category) VALUES (${code}, ${`走访路${code}号`}, ST_Point(${x}, ${y}, 4326), ${category}) RETURNING id`;
    return a.id;
  };
  const home: [number, number] = [ox + 0.5 * CELL, oy + 0.5 * CELL];
  const keyHome: [number, number] = [ox + 0.5 * CELL, oy + 1.5 * CELL];
  const farHome: [number, number] = [ox + 2.5 * CELL, oy + CELL];
  const general = await address('V1', ...home, 'general');
  const key = await address('V2', ...keyHome, 'key');
  const far = await address('V3', ...farHome, 'general');
  const police = await createUser(sql, 'police', 'police', { community_id: world.communityIds[0] });
  const w = await createUser(sql, 'worker', 'grid_worker', { grid_id: world.gridIds[0] });
  const fw = await createUser(sql, 'far', 'grid_worker', { grid_id: world.gridIds[2] });
  await createUser(sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  const visit = async (name: string, addressId: number, at: string, fix: [number, number] | null, staff: number[]) => {
    const [v] = await sql<[{ id: number }]>`
      INSERT INTO visit (client_id, address_id, visited_at, geom)
      VALUES (${name}, ${addressId}, ${at}, ${fix ? sql`ST_Point(${fix[0]}, ${fix[1]}, 4326)` : null}) RETURNING id`;
    for (const s of staff) {
      await sql`INSERT INTO visit_participant (visit_id, staff_id, geom, fixed_at)
                VALUES (${v.id}, ${s}, ${fix ? sql`ST_Point(${fix[0]}, ${fix[1]}, 4326)` : null}, ${fix ? at : null})`;
    }
    visitIds[name] = v.id;
  };
  await visit('onsite', general, '2026-11-02T10:00:00+08:00', [home[0], home[1] + dLat(20)], [w.staffId!]);
  await visit('offsite', general, '2026-11-03T10:00:00+08:00', [home[0], home[1] + dLat(300)], [w.staffId!]);
  await visit('nofix', general, '2026-11-04T10:00:00+08:00', null, [w.staffId!]);
  await visit('joint', key, '2026-11-05T10:00:00+08:00', [keyHome[0], keyHome[1] + dLat(10)], [w.staffId!, police.staffId!]);
  await visit('alone', key, '2026-11-06T10:00:00+08:00', [keyHome[0], keyHome[1] + dLat(10)], [w.staffId!]);
  await visit('far', far, '2026-11-07T10:00:00+08:00', [farHome[0], farHome[1]], [fw.staffId!]);
  await visit('old', general, '2026-09-01T10:00:00+08:00', [home[0], home[1]], [w.staffId!]);
  // The last minutes of the window's last local day count; the first minutes after it do not.
  await visit('late', general, '2026-11-15T23:59:00+08:00', [home[0], home[1]], [w.staffId!]);
  await visit('after', general, '2026-11-16T00:01:00+08:00', [home[0], home[1]], [w.staffId!]);
  cmd = await Client.login(app, 'cmd');
  worker = await Client.login(app, 'worker');
  farWorker = await Client.login(app, 'far');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function visits(client: Client, q: string): Promise<Visits> {
  const res = await client.get(`/api/visits?${q}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Visits;
}
function row(b: Visits, name: string) {
  const i = b.columns.id.indexOf(visitIds[name]!);
  if (i < 0) return undefined;
  return Object.fromEntries(Object.entries(b.columns).map(([k, col]) => [k, (col as unknown[])[i]])) as Record<string, unknown>;
}
const names = (b: Visits) => b.columns.id.map((id) => Object.keys(visitIds).find((k) => visitIds[k] === id));

describe('GET /api/visits', () => {
  it('returns the window’s visits in time order with the KPI verdicts', async () => {
    const b = await visits(cmd, `bbox=${ALL}&${WINDOW}`);
    expect(names(b)).toEqual(['onsite', 'offsite', 'nofix', 'joint', 'alone', 'far', 'late']);
    expect(b.count).toBe(7);
    expect(b.truncated).toBe(false);
    expect(b.window).toEqual({ from: '2026-11-01', to: '2026-11-15' });
    expect(row(b, 'onsite')).toMatchObject({ standard: true, on_site: true, joint: null, reasons: [], has_fix: true, category: 'general', participants: 1 });
    expect(row(b, 'onsite')!.distance_m).toBeCloseTo(20, 0);
    expect(row(b, 'offsite')).toMatchObject({ standard: false, on_site: false, joint: null, reasons: ['off_site'] });
    // Without a fix the visit sits at its address.
    expect(row(b, 'nofix')).toMatchObject({ standard: false, on_site: false, has_fix: false, reasons: ['no_fix'], distance_m: null });
    expect(row(b, 'nofix')!.lon).toBeCloseTo(ox + 0.5 * CELL, 7);
    expect(row(b, 'nofix')!.lat).toBeCloseTo(oy + 0.5 * CELL, 7);
    expect(row(b, 'joint')).toMatchObject({ standard: true, on_site: true, joint: true, reasons: [], category: 'key', participants: 2 });
    expect(row(b, 'alone')).toMatchObject({ standard: false, on_site: true, joint: false, reasons: ['not_joint'] });
    expect(row(b, 'onsite')!.visited_at).toBe(Date.parse('2026-11-02T10:00:00+08:00'));
  });

  it('keeps a visit by where it was: its fix, else its address', async () => {
    // A box around the off-site fix (300 m north of the address) holds that visit only.
    const [x, y] = [ox + 0.5 * CELL, oy + 0.5 * CELL + dLat(300)];
    const b = await visits(cmd, `bbox=${x - 0.0005},${y - 0.0005},${x + 0.0005},${y + 0.0005}&${WINDOW}`);
    expect(names(b)).toEqual(['offsite']);
  });

  it('shows each grid worker only the visits of their grid', async () => {
    expect(names(await visits(worker, `bbox=${ALL}&${WINDOW}`))).toEqual(['onsite', 'offsite', 'nofix', 'joint', 'alone', 'late']);
    expect(names(await visits(farWorker, `bbox=${ALL}&${WINDOW}`))).toEqual(['far']);
  });

  it('caps the rows and says so', async () => {
    const b = await visits(cmd, `bbox=${ALL}&${WINDOW}&limit=2`);
    expect(names(b)).toEqual(['onsite', 'offsite']);
    expect(b.truncated).toBe(true);
    expect(b.limit).toBe(2);
  });

  it('refuses bad input with the error shape', async () => {
    for (const q of [WINDOW, `bbox=9,9,1,1&${WINDOW}`, `bbox=${ALL}&from=2026-11-31`, `bbox=${ALL}&from=2026-11-15&to=2026-11-01`,
      `bbox=${ALL}&from=2024-01-01&to=2026-11-01`, `bbox=${ALL}&limit=-1`, `bbox=${ALL}&grid_id=1`]) {
      const res = await cmd.get(`/api/visits?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
      expect(body.error.code, q).toBe('invalid_input');
      expect(body.error.details.length, q).toBeGreaterThan(0);
    }
  });

  it('answers 401 without a session and 403 to analysts', async () => {
    expect((await Client.anonymous(app).get(`/api/visits?bbox=${ALL}`)).status).toBe(401);
    expect((await analyst.get(`/api/visits?bbox=${ALL}`)).status).toBe(403);
  });
});
