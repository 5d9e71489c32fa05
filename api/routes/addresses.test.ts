import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { MAX_ADDRESS_MATCHES, addressSearchTerms } from './addresses.ts';

// GET /api/addresses/search: intake by typing an address. Real database, row-level security on.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
let worker: Client;
let farWorker: Client;
const [ox, oy] = ORIGIN;
const ids: Record<string, number> = {};

interface Match { id: number; code: string; address_text: string; grid_id: number; grid_name: string; community_name: string; lon: number; lat: number }
interface SearchBody { addresses: Match[]; truncated: boolean; limit: number }

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const add = async (code: string, text: string, grid: number, k = 0) => {
    const [a] = await db.sql<{ id: number }[]>`
      INSERT INTO address (code, address_text, geom)
      VALUES (${code}, ${text}, ST_SetSRID(ST_MakePoint(${ox + (grid + 0.5) * CELL + k * 0.00001}, ${oy + 0.5 * CELL}), 4326)) RETURNING id`;
    ids[code] = a!.id;
  };
  await add('YL-0001', '院岭街道东风社区3组12号', 0);
  await add('YL-0002', '院岭街道东风社区13组2号', 0);
  await add('YL-0003', '院岭街道东风社区3组120号', 1);
  await add('YL-0004', '院岭街道西岭村3组12号', 2);
  for (let k = 0; k < 30; k++) await add(`YL-1${String(k).padStart(3, '0')}`, `院岭街道东风社区建设路${k + 1}号`, 1, k);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'worker', 'grid_worker', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'far', 'grid_worker', { grid_id: world.gridIds[2] });
  await createUser(db.sql, 'volunteer', 'part_time', { grid_id: world.gridIds[0] });
  cmd = await Client.login(app, 'cmd');
  worker = await Client.login(app, 'worker');
  farWorker = await Client.login(app, 'far');
});
afterAll(async () => db?.drop());

async function search(client: Client, q: string, extra = ''): Promise<SearchBody> {
  const res = await client.get(`/api/addresses/search?q=${encodeURIComponent(q)}${extra}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as SearchBody;
}
const codes = (b: SearchBody) => b.addresses.map((a) => a.code);

describe('addressSearchTerms', () => {
  it('splits at spaces, punctuation and where a number starts, and escapes the rest', () => {
    expect(addressSearchTerms('东风3组12号').patterns).toEqual(['东风', '(^|[^0-9])3组', '(^|[^0-9])12号']);
    expect(addressSearchTerms('东风 , 12号').patterns).toEqual(['东风', '(^|[^0-9])12号']);
    expect(addressSearchTerms('东风３组').patterns).toEqual(['东风', '(^|[^0-9])3组']);
    expect(addressSearchTerms('a.b*').patterns).toEqual(['a', 'b\\*']);
    expect(addressSearchTerms('50%_x').codePrefix).toBe('50\\%\\_x%');
  });
});

describe('GET /api/addresses/search', () => {
  it('finds the address from part of its text, with its grid and point', async () => {
    const body = await search(cmd, '东风社区3组12号');
    expect(codes(body)).toEqual(['YL-0001']);
    expect(body.addresses[0]).toMatchObject({
      id: ids['YL-0001'], address_text: '院岭街道东风社区3组12号', grid_id: world.gridIds[0], grid_name: '第1网格', community_name: '东风社区',
    });
    expect(body.addresses[0]!.lon).toBeCloseTo(ox + 0.5 * CELL, 7);
    expect(body.addresses[0]!.lat).toBeCloseTo(oy + 0.5 * CELL, 7);
    expect(body.truncated).toBe(false);
  });

  it('matches terms in any place, without a number matching inside a longer one', async () => {
    // 东风 + 3组 + 12号: not 13组2号 (there 3组 follows a digit), not 3组120号 (120号 does not contain 12号).
    expect(codes(await search(cmd, '东风3组12号'))).toEqual(['YL-0001']);
    // Same in full-width digits.
    expect(codes(await search(cmd, '东风３组１２号'))).toEqual(['YL-0001']);
    // Without the community, both places' 3组12号; among contiguous matches the shorter text ranks first.
    expect(codes(await search(cmd, '3组12号'))).toEqual(['YL-0004', 'YL-0001']);
    expect(codes(await search(cmd, '3组'))).toEqual(['YL-0004', 'YL-0001', 'YL-0003']);
    // Terms need not be adjacent.
    expect(codes(await search(cmd, '东风 12号'))).toEqual(['YL-0001', 'YL-1011']);
  });

  it('matches an address code by its beginning', async () => {
    expect(codes(await search(cmd, 'yl-0003'))).toEqual(['YL-0003']);
  });

  it('treats the query as text, not as a pattern', async () => {
    expect(codes(await search(cmd, '.*'))).toEqual([]);
    expect(codes(await search(cmd, '%'))).toEqual([]);
    expect(codes(await search(cmd, '东风[社区'))).toEqual([]);
  });

  it(`returns at most ${MAX_ADDRESS_MATCHES}, says so, and caps a larger limit`, async () => {
    const body = await search(cmd, '建设路');
    expect(body.addresses).toHaveLength(MAX_ADDRESS_MATCHES);
    expect(body.truncated).toBe(true);
    expect(body.limit).toBe(MAX_ADDRESS_MATCHES);
    const capped = await search(cmd, '建设路', '&limit=500');
    expect(capped.limit).toBe(MAX_ADDRESS_MATCHES);
    expect(capped.addresses).toHaveLength(MAX_ADDRESS_MATCHES);
    const few = await search(cmd, '建设路', '&limit=3');
    expect(few.addresses).toHaveLength(3);
    expect(few.truncated).toBe(true);
  });

  it('finds only addresses in the caller’s jurisdiction', async () => {
    expect(codes(await search(worker, '3组12号'))).toEqual(['YL-0001']);
    expect(codes(await search(worker, '西岭村'))).toEqual([]);
    expect(codes(await search(worker, 'YL-0004'))).toEqual([]);
    expect(codes(await search(farWorker, '3组12号'))).toEqual(['YL-0004']);
    expect(codes(await search(farWorker, '东风'))).toEqual([]);
  });

  it('answers 401 without a session and 403 to a role without address access', async () => {
    const anon = await Client.anonymous(app).get(`/api/addresses/search?q=${encodeURIComponent('东风')}`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const volunteer = await Client.login(app, 'volunteer');
    expect((await volunteer.get(`/api/addresses/search?q=${encodeURIComponent('东风')}`)).status).toBe(403);
  });

  it('refuses a missing, blank or overlong query with 400 and the error shape', async () => {
    for (const query of ['', 'q=', 'q=%20%20', `q=${'路'.repeat(65)}`, 'q=x&limit=0', 'q=x&bbox=1']) {
      const res = await cmd.get(`/api/addresses/search?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.details.length).toBeGreaterThan(0);
    }
  });
});

describe('GET /api/addresses/:id', () => {
  interface Detail { id: number; code: string; address_text: string; category: string; grid_id: number; grid_name: string; community_name: string;
    registered: boolean; missing: string[]; building_type: string | null; usage: string | null; rented: boolean | null; residents: number; units: number; lon: number }

  it('gives the address with its 一标三实 registration, by the KPI rule', async () => {
    await db.sql`INSERT INTO housing (address_id, building_type, usage, rented) VALUES (${ids['YL-0001']!}, 'residential', 'rented', true)`;
    await db.sql`INSERT INTO resident (address_id, name) VALUES (${ids['YL-0001']!}, '张三'), (${ids['YL-0001']!}, '李四')`;
    const res = await worker.get(`/api/addresses/${ids['YL-0001']}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const a = (await res.json()) as Detail;
    expect(a).toMatchObject({
      id: ids['YL-0001'], code: 'YL-0001', address_text: '院岭街道东风社区3组12号', category: 'general', grid_id: world.gridIds[0], grid_name: '第1网格',
      community_name: '东风社区', registered: true, missing: [], building_type: 'residential', usage: 'rented', rented: true, residents: 2, units: 0,
    });
    expect(a.lon).toBeCloseTo(ox + 0.5 * CELL, 7);

    const bare = (await (await worker.get(`/api/addresses/${ids['YL-0002']}`)).json()) as Detail;
    expect(bare).toMatchObject({ registered: false, missing: ['no_housing', 'no_occupants'], building_type: null, residents: 0, units: 0 });
    // The same verdict the KPI engine keeps.
    const [facts] = await db.sql<{ registered: boolean; missing: string[] }[]>`SELECT registered, missing FROM kpi_address_facts(ARRAY[${ids['YL-0002']!}]::int[])`;
    expect([bare.registered, bare.missing]).toEqual([facts!.registered, facts!.missing]);
  });

  it('answers 404 outside the caller’s jurisdiction or for no such address, 400 for a bad id, 403 without address access', async () => {
    expect((await farWorker.get(`/api/addresses/${ids['YL-0001']}`)).status).toBe(404);
    expect((await cmd.get(`/api/addresses/${ids['YL-0004']}`)).status).toBe(200);
    const missing = await cmd.get('/api/addresses/99999999');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await cmd.get('/api/addresses/abc')).status).toBe(400);
    expect((await cmd.get('/api/addresses/0')).status).toBe(400);
    const volunteer = await Client.login(app, 'volunteer');
    expect((await volunteer.get(`/api/addresses/${ids['YL-0001']}`)).status).toBe(403);
  });
});

describe('the trigram index (migration 00016)', () => {
  it('serves the address query from the text and code indexes instead of a scan', async () => {
    const text = await db.sql.begin(async (tx) => {
      // The test table is tiny, so the planner would scan it anyway: make a scan look expensive.
      await tx`SET LOCAL enable_seqscan = off`;
      await tx`SET LOCAL enable_indexscan = off`;
      const t = addressSearchTerms('东风社区3组12号');
      const { QueryCatalog } = await import('../db/queries.ts');
      const q = new QueryCatalog().get('address_search');
      const explained = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${q.text}`,
        [t.patterns, t.anchor, t.codePrefix, t.whole, 21]);
      return explained.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(text).toContain('address_text_trgm');
    expect(text).toContain('address_code_trgm');
    expect(addressSearchTerms('东风社区3组12号').anchor).toBe('%东风社区%');
  });
});
