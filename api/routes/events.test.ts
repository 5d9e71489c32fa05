import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, FakeClock, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// GET /api/events: the filters of the console's event list, its pages and its limits, against a
// real database. The events are written directly (as the owner) so each filter's answer is known.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let leader: Client;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const clock = new FakeClock(new Date(T0));
const [ox, oy] = ORIGIN;
const H = 3600_000;
let addressId = 0;
let outsideAddressId = 0;

interface Spec { code: string; type: string; subtype: string | null; severity: number; state: string; grid: 0 | 1 | 2 | 3; hoursAgo: number; dueHoursAgo?: number }

// Grids 1 and 2 form the first community, 3 and 4 the second. E09 and E10 share a time (page ties).
const SPECS: Spec[] = [
  { code: 'E01', type: 'public_security', subtype: 'theft', severity: 1, state: 'reported', grid: 0, hoursAgo: 1 },
  { code: 'E02', type: 'public_security', subtype: 'fraud', severity: 2, state: 'accepted', grid: 0, hoursAgo: 2 },
  { code: 'E03', type: 'dispute', subtype: 'neighbour', severity: 3, state: 'in_progress', grid: 1, hoursAgo: 3 },
  { code: 'E04', type: 'dispute', subtype: 'land', severity: 2, state: 'closed', grid: 1, hoursAgo: 30, dueHoursAgo: 20 },
  { code: 'E05', type: 'hazard', subtype: 'fire', severity: 4, state: 'escalated', grid: 2, hoursAgo: 4, dueHoursAgo: 0.5 },
  { code: 'E06', type: 'hazard', subtype: 'traffic', severity: 1, state: 'reported', grid: 3, hoursAgo: 50 },
  { code: 'E07', type: 'service_request', subtype: null, severity: 1, state: 'cancelled', grid: 2, hoursAgo: 5, dueHoursAgo: 2 },
  { code: 'E08', type: 'support_request', subtype: null, severity: 3, state: 'resolved', grid: 3, hoursAgo: 6, dueHoursAgo: 5 },
  { code: 'E09', type: 'public_security', subtype: 'theft', severity: 1, state: 'reported', grid: 0, hoursAgo: 7 },
  { code: 'E10', type: 'public_security', subtype: 'theft', severity: 1, state: 'reported', grid: 0, hoursAgo: 7 },
];
/** Newest first, ties by id descending (E10 was inserted after E09). */
const ALL = ['E01', 'E02', 'E03', 'E05', 'E07', 'E08', 'E10', 'E09', 'E04', 'E06'];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql, { clock }));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  const [a] = await sql<{ id: number }[]>`
    INSERT INTO address (code, address_text, geom) VALUES ('EA-1', '院岭街道东风社区3组12号', ST_SetSRID(ST_MakePoint(${ox + 0.5 * CELL}, ${oy + 0.5 * CELL}), 4326)) RETURNING id`;
  addressId = a!.id;
  const [b] = await sql<{ id: number }[]>`
    INSERT INTO address (code, address_text, geom) VALUES ('EA-2', '院岭街道西岭村1组1号', ST_SetSRID(ST_MakePoint(${ox + 2.5 * CELL}, ${oy + 0.5 * CELL}), 4326)) RETURNING id`;
  outsideAddressId = b!.id;
  for (const [i, s] of SPECS.entries()) {
    const at = new Date(T0 - s.hoursAgo * H);
    await sql`
      INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, address_id, reported_at, due_at, closed_at)
      VALUES (${s.code}, ${s.type}, ${s.subtype}, ${s.type === 'dispute' ? 'general' : null}, ${s.severity}, ${s.state}, ${`测试事件${s.code}`},
              ST_SetSRID(ST_MakePoint(${ox + (s.grid + 0.3) * CELL + i * 0.00001}, ${oy + 0.7 * CELL}), 4326),
              ${s.code === 'E01' ? addressId : null}, ${at},
              ${s.dueHoursAgo === undefined ? null : new Date(T0 - s.dueHoursAgo * H)}, ${s.state === 'closed' ? new Date(at.getTime() + H) : null})`;
  }
  await createUser(sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  cmd = await Client.login(app, 'cmd');
  leader = await Client.login(app, 'leader');
});
afterAll(async () => db?.drop());

interface ListBody { events: { code: string; grid_id: number; [k: string]: unknown }[]; total: number | null; limit: number; next_cursor: string | null }

async function list(client: Client, query: string): Promise<ListBody> {
  const res = await client.get(`/api/events?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ListBody;
}

const codes = (b: ListBody) => b.events.map((e) => e.code);
const iso = (hoursAgo: number) => encodeURIComponent(new Date(T0 - hoursAgo * H).toISOString());

describe('GET /api/events filters', () => {
  it('without filters returns every event, newest first, with the total', async () => {
    const body = await list(cmd, '');
    expect(codes(body)).toEqual(ALL);
    expect(body.total).toBe(10);
    expect(body.next_cursor).toBeNull();
  });

  const cases: [string, () => string, string[]][] = [
    ['one type', () => 'type=dispute', ['E03', 'E04']],
    ['types and exact severities', () => 'type=hazard,dispute&severity=3,4', ['E03', 'E05']],
    ['subtypes', () => 'subtype=fire,theft', ['E01', 'E05', 'E10', 'E09']],
    ['several states', () => 'state=reported,escalated', ['E01', 'E05', 'E10', 'E09', 'E06']],
    ['community and state', () => `community_id=${world.communityIds[0]}&state=reported`, ['E01', 'E10', 'E09']],
    ['grid', () => `grid_id=${world.gridIds[3]}`, ['E08', 'E06']],
    ['type and grid', () => `type=hazard&grid_id=${world.gridIds[2]}`, ['E05']],
    ['time range, from inclusive and to exclusive', () => `from=${iso(6)}&to=${iso(2)}`, ['E03', 'E05', 'E07', 'E08']],
    ['minimum severity with a time range', () => `min_severity=3&from=${iso(24)}`, ['E03', 'E05', 'E08']],
    ['overdue only (open, past due)', () => 'overdue=1', ['E05']],
    ['filters that match nothing', () => `type=hazard&community_id=${world.communityIds[0]}`, []],
    ['everything at once', () => `type=public_security&subtype=theft&severity=1&state=reported&community_id=${world.communityIds[0]}&grid_id=${world.gridIds[0]}&from=${iso(8)}&to=${iso(0)}`, ['E01', 'E10', 'E09']],
  ];
  for (const [name, query, expected] of cases) {
    it(`filters by ${name}`, async () => {
      const body = await list(cmd, query());
      expect(codes(body)).toEqual(expected);
      expect(body.total).toBe(expected.length);
    });
  }

  it('gives each row its grid, community and address', async () => {
    const [e] = (await list(cmd, 'subtype=theft&limit=1')).events;
    expect(e).toMatchObject({
      code: 'E01', grid_id: world.gridIds[0], grid_name: '第1网格', community_id: world.communityIds[0], community_name: '东风社区',
      address_id: addressId, address_text: '院岭街道东风社区3组12号', state: 'reported', severity: 1, overdue: false,
    });
    expect(Object.keys(e!)).not.toContain('sort_key');
    expect(Object.keys(e!)).not.toContain('total');
  });

  it('shows a grid leader only the events of their grid', async () => {
    expect(codes(await list(leader, ''))).toEqual(['E01', 'E02', 'E10', 'E09']);
    const other = await list(leader, `community_id=${world.communityIds[1]}`);
    expect(other).toMatchObject({ events: [], total: 0 });
  });
});

describe('GET /api/events pages and limits', () => {
  it('walks every page with the cursor, ties included, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: ListBody = await list(cmd, `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(body.total).toBe(10);
      seen.push(...codes(body));
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toEqual(ALL);
  });

  it('pages within the filters', async () => {
    const first = await list(cmd, 'type=public_security&limit=2');
    expect(codes(first)).toEqual(['E01', 'E02']);
    expect(first.total).toBe(4);
    const second = await list(cmd, `type=public_security&limit=2&cursor=${encodeURIComponent(first.next_cursor!)}`);
    expect(codes(second)).toEqual(['E10', 'E09']);
    expect(second.next_cursor).toBeNull();
  });

  it('caps the limit on the server', async () => {
    const body = await list(cmd, 'limit=1000000');
    expect(body.limit).toBe(2000);
    expect(body.events).toHaveLength(10);
    expect((await list(cmd, '')).limit).toBe(500);
  });

  const invalid: [string, string, string][] = [
    ['an unknown type', 'type=robbery', 'type.0'],
    ['an unknown subtype', 'subtype=arson', 'subtype.0'],
    ['a severity out of range', 'severity=1,5', 'severity.1'],
    ['an unknown state', 'state=reported,done', 'state.1'],
    ['an empty state list', 'state=,', 'state'],
    ['a date that is not ISO 8601 with an offset', 'from=2026-03-01', 'from'],
    ['a range that ends before it starts', `from=${iso(1)}&to=${iso(2)}`, 'to'],
    ['a grid id that is not a number', 'grid_id=abc', 'grid_id'],
    ['a zero limit', 'limit=0', 'limit'],
    ['a forged cursor', 'cursor=2026-03-01;DROP', 'cursor'],
    ['an unknown parameter', 'colour=red', ''],
  ];
  for (const [name, query, path] of invalid) {
    it(`refuses ${name} with 400 and the error shape`, async () => {
      const res = await cmd.get(`/api/events?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { path: string; location: string }[] } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message).toMatch(/^invalid query parameters/);
      expect(body.error.details.length).toBeGreaterThan(0);
      expect(body.error.details[0]!.location).toBe('query parameters');
      expect(body.error.details[0]!.path).toBe(path);
    });
  }

  it('answers 401 without a session', async () => {
    const res = await Client.anonymous(app).get('/api/events?type=hazard');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });
});

describe('POST /api/events with an address', () => {
  it('records the address of the intake, and refuses one outside the jurisdiction', async () => {
    const body = { type: 'service_request', severity: 1, title: '按地址上报', lon: ox + 0.5 * CELL, lat: oy + 0.5 * CELL, address_id: addressId, allow_duplicate: true };
    const ok = await leader.post('/api/events', body);
    expect(ok.status, await ok.clone().text()).toBe(201);
    const { event } = (await ok.json()) as { event: { id: number; grid_id: number } };
    expect(event.grid_id).toBe(world.gridIds[0]);
    const [row] = (await list(leader, 'type=service_request')).events;
    expect(row).toMatchObject({ id: event.id, address_id: addressId, address_text: '院岭街道东风社区3组12号' });

    const hidden = await leader.post('/api/events', { ...body, address_id: outsideAddressId });
    expect(hidden.status).toBe(422);
    expect(((await hidden.json()) as { error: { code: string } }).error.code).toBe('unknown_address');
    const missing = await leader.post('/api/events', { ...body, address_id: 999_999 });
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unknown_address');
  });
});
