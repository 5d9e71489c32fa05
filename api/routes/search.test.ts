import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { DEFAULT_SEARCH_LIMIT, searchWords } from './search.ts';

// GET /api/search over the tiny world: grids 第1网格..第4网格 (T-G1..T-G4), 东风社区 holds G1 and G2,
// 西岭村 holds G3 and G4; a few addresses and key locations named so substring, prefix, multi-word
// and jurisdiction answers can be written out in full.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
const [ox, oy] = ORIGIN;
const centre = (i: number): [number, number] => [ox + (i + 0.5) * CELL, oy + CELL];
/** Coordinates come back rounded to 7 decimals (about 1 cm). */
const r7 = (x: number) => Math.round(x * 1e7) / 1e7;
const ids: Record<string, number> = {};

interface Item { kind: string; id: number; code: string; name: string; context: string | null; category: string | null; grid_id: number | null; lon: number; lat: number; bbox: number[] | null }
interface Body { q: string; limit: number; groups: { kind: string; truncated: boolean; items: Item[] }[] }

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const addresses: [string, string, number][] = [
    ['AD-001', '东风路12号', 0],
    ['AD-002', '东风路120号', 2],
    ['AD-003', '西岭村东风巷1号', 1],
    ['AD-004', '西岭路8号', 3],
  ];
  for (const [code, text, i] of addresses) {
    const [lon, lat] = centre(i);
    const [a] = await db.sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom) VALUES (${code}, ${text}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)) RETURNING id`;
    ids[code] = a.id;
  }
  const [k1] = await db.sql<[{ id: number }]>`
    INSERT INTO key_location (code, name, type, geom)
    VALUES ('KL-01', '东风实验小学', 'school', ST_SetSRID(ST_MakePoint(${centre(0)[0]}, ${centre(0)[1] + 0.002}), 4326)) RETURNING id`;
  const market = square(ox + 3.2 * CELL, oy + 0.2 * CELL, 0.5 * CELL, 0.5 * CELL);
  const [k2] = await db.sql<[{ id: number }]>`
    INSERT INTO key_location (code, name, type, geom)
    VALUES ('KL-02', '西岭农贸市场', 'market', ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(market)}), 4326)) RETURNING id`;
  ids['KL-01'] = k1.id;
  ids['KL-02'] = k2.id;
  await createUser(db.sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  command = await Client.login(app, 'chief');
  leader = await Client.login(app, 'leader1');
  analyst = await Client.login(app, 'analyst');
});
afterAll(async () => db?.drop());

async function search(client: Client, query: string): Promise<Body> {
  const res = await client.get(`/api/search?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Body;
}

/** kind → [code, …] in the order returned. */
function codes(body: Body): Record<string, string[]> {
  return Object.fromEntries(body.groups.map((g) => [g.kind, g.items.map((i) => i.code)]));
}

const q = (s: string) => `q=${encodeURIComponent(s)}`;

describe('GET /api/search', () => {
  it('answers 401 with the error shape without a session', async () => {
    const res = await Client.anonymous(app).get(`/api/search?${q('东风')}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it.each([
    ['no q', ''],
    ['an empty q', q('')],
    ['a blank q', q('   ')],
    ['a q longer than 64 characters', q('网'.repeat(65))],
    ['a limit of 0', `${q('东风')}&limit=0`],
    ['a limit above the cap', `${q('东风')}&limit=51`],
    ['an unknown parameter', `${q('东风')}&kind=grid`],
  ])('answers 400 with {error:{code,message,details}} for %s', async (_name, query) => {
    const res = await command.get(`/api/search?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { location: string; path: string; message: string }[] } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.message).toMatch(/^invalid query parameters/);
    expect(body.error.details.length).toBeGreaterThan(0);
    expect(body.error.details[0]).toMatchObject({ location: 'query parameters', path: expect.any(String), message: expect.any(String) });
  });

  it('finds every kind by a Chinese substring, grouped in a fixed order, prefixes first', async () => {
    const body = await search(command, q('东风'));
    expect(body.q).toBe('东风');
    expect(body.limit).toBe(DEFAULT_SEARCH_LIMIT);
    expect(body.groups.map((g) => [g.kind, g.truncated])).toEqual([['grid', false], ['community', false], ['address', false], ['key_location', false]]);
    expect(codes(body)).toEqual({
      // Grids of 东风社区 match through their community's name.
      grid: ['T-G1', 'T-G2'],
      community: ['T-C1'],
      // Text starting with the word first, then shorter text; 西岭村东风巷1号 only contains it.
      address: ['AD-001', 'AD-002', 'AD-003'],
      key_location: ['KL-01'],
    });
  });

  it('returns what the map needs to fly to each result', async () => {
    const body = await search(command, q('东风'));
    const byKind = Object.fromEntries(body.groups.map((g) => [g.kind, g.items]));
    expect(byKind.grid![0]).toEqual({
      kind: 'grid', id: world.gridIds[0], code: 'T-G1', name: '第1网格', context: '东风社区', category: null, grid_id: world.gridIds[0],
      lon: expect.any(Number), lat: expect.any(Number), bbox: [ox, oy, ox + CELL, oy + 2 * CELL].map(r7),
    });
    const g = byKind.grid![0]!;
    expect(g.lon).toBeGreaterThan(ox);
    expect(g.lon).toBeLessThan(ox + CELL);
    expect(g.lat).toBeGreaterThan(oy);
    expect(g.lat).toBeLessThan(oy + 2 * CELL);
    expect(byKind.community![0]).toMatchObject({ kind: 'community', id: world.communityIds[0], name: '东风社区', context: '测试街道', category: 'community', grid_id: null, bbox: [ox, oy, ox + 2 * CELL, oy + 2 * CELL].map(r7) });
    expect(byKind.address![0]).toEqual({
      kind: 'address', id: ids['AD-001'], code: 'AD-001', name: '东风路12号', context: '第1网格', category: 'general', grid_id: world.gridIds[0],
      lon: r7(centre(0)[0]), lat: r7(centre(0)[1]), bbox: null,
    });
    expect(byKind.key_location![0]).toEqual({
      kind: 'key_location', id: ids['KL-01'], code: 'KL-01', name: '东风实验小学', context: '第1网格', category: 'school', grid_id: world.gridIds[0],
      lon: r7(centre(0)[0]), lat: r7(centre(0)[1] + 0.002), bbox: null,
    });
  });

  it('matches codes by prefix, case-insensitively, and not in the middle', async () => {
    expect(codes(await search(command, q('t-g')))).toEqual({ grid: ['T-G1', 'T-G2', 'T-G3', 'T-G4'], community: [], address: [], key_location: [] });
    expect(codes(await search(command, q('T-G3')))).toEqual({ grid: ['T-G3'], community: [], address: [], key_location: [] });
    expect(codes(await search(command, q('G3')))).toEqual({ grid: [], community: [], address: [], key_location: [] });
    expect(codes(await search(command, q('ad-00')))).toEqual({ grid: [], community: [], address: ['AD-001', 'AD-002', 'AD-003', 'AD-004'], key_location: [] });
  });

  it('requires every word to match, so a community name narrows a grid name', async () => {
    expect(codes(await search(command, q('西岭 第3')))).toEqual({ grid: ['T-G3'], community: [], address: [], key_location: [] });
    expect(codes(await search(command, q('  西岭   市场 ')))).toEqual({ grid: [], community: [], address: [], key_location: ['KL-02'] });
    const market = (await search(command, q('市场'))).groups.find((g) => g.kind === 'key_location')!.items[0]!;
    expect(market).toMatchObject({ category: 'market', grid_id: world.gridIds[3], bbox: [ox + 3.2 * CELL, oy + 0.2 * CELL, ox + 3.7 * CELL, oy + 0.7 * CELL].map(r7) });
  });

  it('treats LIKE wildcards as plain characters', async () => {
    expect(searchWords('a%b c_d e\\f')).toEqual(['a\\%b', 'c\\_d', 'e\\\\f']);
    for (const s of ['%', '_', '\\', '东%风']) {
      expect(codes(await search(command, q(s))), s).toEqual({ grid: [], community: [], address: [], key_location: [] });
    }
  });

  it('caps each kind at `limit` and says which kinds were cut', async () => {
    const body = await search(command, `${q('网格')}&limit=2`);
    expect(body.limit).toBe(2);
    expect(body.groups.map((g) => [g.kind, g.items.map((i) => i.code), g.truncated])).toEqual([
      ['grid', ['T-G1', 'T-G2'], true], ['community', [], false], ['address', [], false], ['key_location', [], false],
    ]);
    const exact = await search(command, `${q('网格')}&limit=4`);
    expect(exact.groups[0]).toMatchObject({ kind: 'grid', truncated: false });
    expect(exact.groups[0]!.items).toHaveLength(4);
  });

  it('keeps to the caller\'s jurisdiction', async () => {
    // The grid leader of G1 sees G1, its community, and the addresses and key locations in G1.
    expect(codes(await search(leader, q('东风')))).toEqual({ grid: ['T-G1'], community: ['T-C1'], address: ['AD-001'], key_location: ['KL-01'] });
    expect(codes(await search(leader, q('西岭')))).toEqual({ grid: [], community: [], address: [], key_location: [] });
    expect(codes(await search(leader, q('网格')))).toEqual({ grid: ['T-G1'], community: [], address: [], key_location: [] });
  });

  it('gives aggregate-only roles places, never addresses', async () => {
    const body = await search(analyst, q('东风'));
    expect(body.groups.map((g) => g.kind)).toEqual(['grid', 'community', 'key_location']);
    expect(codes(body)).toEqual({ grid: ['T-G1', 'T-G2'], community: ['T-C1'], key_location: ['KL-01'] });
  });
});
