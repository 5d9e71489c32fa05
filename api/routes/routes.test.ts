import { area as turfArea, booleanPointInPolygon, point } from '@turf/turf';
import type { Feature, FeatureCollection, MultiPolygon } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { listMigrations } from '../db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { MAX_ADDRESSES_PER_REQUEST } from './addresses.ts';

let db: TestDatabase;
let routes: App['routes'];
let world: TinyWorld;
/** A command-centre user: sees the whole sub-district, may use every route. */
let client: Client;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase();
  let app: App['app'];
  ({ app, routes } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'command1', 'command', { subdistrict_id: world.subdistrictId });
  client = await Client.login(app, 'command1');
});
afterAll(async () => db?.drop());

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(5);
  return body.error;
}

describe('GET routes', () => {
  it('/api/health reports the database and the current schema', async () => {
    const res = await client.get('/api/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: { schema_version: number; expected_schema_version: number; grids: number; postgis_version: string } };
    expect(body.status).toBe('ok');
    expect(body.database.schema_version).toBe(listMigrations().length);
    expect(body.database.grids).toBe(4);
    expect(body.database.postgis_version).toMatch(/^3\./);
  });

  it('/api/grids returns every grid with ellipsoidal areas matching turf within 0.5%', async () => {
    const res = await client.get('/api/grids');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/geo+json');
    const fc = (await res.json()) as FeatureCollection<MultiPolygon, { id: number; code: string; area_m2: number; community_name: string; label_point: [number, number] }>;
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.map((f) => f.properties.code)).toEqual(['T-G1', 'T-G2', 'T-G3', 'T-G4']);
    for (const f of fc.features) {
      const reference = turfArea(f as Feature<MultiPolygon>);
      // turf assumes a sphere, PostGIS geography the WGS84 spheroid: they differ by a few tenths of a percent.
      expect(Math.abs(f.properties.area_m2 - reference) / reference).toBeLessThan(0.005);
      expect(booleanPointInPolygon(point(f.properties.label_point), f as Feature<MultiPolygon>)).toBe(true);
    }
    expect(fc.features[0]!.properties.community_name).toBe('东风社区');
  });

  it('/api/grids filters by community', async () => {
    const res = await client.get(`/api/grids?community_id=${world.communityIds[1]}`);
    const fc = (await res.json()) as FeatureCollection;
    expect(fc.features.map((f) => f.properties?.code)).toEqual(['T-G3', 'T-G4']);
  });

  it('/api/grids/:id returns one feature, 404 for a missing id and 400 for a malformed one', async () => {
    const ok = await client.get(`/api/grids/${world.gridIds[2]}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Feature).properties?.code).toBe('T-G3');
    const missing = await client.get('/api/grids/999999');
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
    const bad = await client.get('/api/grids/abc');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_input');
  });

  it('/api/communities and /api/subdistricts return their polygons', async () => {
    const communities = (await (await client.get('/api/communities')).json()) as FeatureCollection;
    expect(communities.features.map((f) => [f.properties?.name, f.properties?.grid_count])).toEqual([['东风社区', 2], ['西岭村', 2]]);
    const sds = (await (await client.get('/api/subdistricts')).json()) as FeatureCollection;
    expect(sds.features).toHaveLength(1);
    expect(sds.features[0]!.properties?.bbox).toEqual([ox, oy, ox + 4 * CELL, oy + 2 * CELL]);
  });

  it('unknown API routes get the JSON error shape', async () => {
    const res = await client.get('/api/nope');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });
});

describe('POST /api/grids', () => {
  const base = { code: 'T-G5', name: '新网格', community_code: 'T-C1' };

  it('creates a grid and reports its area', async () => {
    const geometry = square(ox, oy + 2 * CELL, CELL, CELL);
    const res = await client.post('/api/grids', { ...base, geometry });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: number; area_m2: number };
    const reference = turfArea(geometry);
    expect(Math.abs(body.area_m2 - reference) / reference).toBeLessThan(0.005);
  });

  it('refuses a duplicate code with 409', async () => {
    const res = await client.post('/api/grids', { ...base, geometry: square(ox, oy + 3 * CELL, CELL, CELL) });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('conflict');
  });

  it('refuses a self-intersecting polygon with the reason', async () => {
    const bowtie = { type: 'Polygon', coordinates: [[[ox, oy], [ox + CELL, oy + CELL], [ox + CELL, oy], [ox, oy + CELL], [ox, oy]]] };
    const res = await client.post('/api/grids', { ...base, code: 'T-BOW', geometry: bowtie });
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_geometry');
    expect(error.message).toMatch(/Self-intersection/);
  });

  it('refuses an unknown community with 422 naming the field', async () => {
    const res = await client.post('/api/grids', { ...base, code: 'T-X', community_code: 'NOPE', geometry: square(ox, oy, CELL, CELL) });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({ code: 'reference_not_found', details: { field: 'community_id' } });
  });

  it.each([
    ['an unclosed ring', { ...base, geometry: { type: 'Polygon', coordinates: [[[ox, oy], [ox + CELL, oy], [ox + CELL, oy + CELL], [ox, oy + CELL]]] } }, 'geometry.coordinates.0'],
    ['a longitude out of range', { ...base, geometry: square(200, oy, CELL, CELL) }, 'geometry.coordinates'],
    ['a point instead of a polygon', { ...base, geometry: { type: 'Point', coordinates: [ox, oy] } }, 'geometry.type'],
    ['a missing name', { code: 'T-Y', community_code: 'T-C1', geometry: square(ox, oy, CELL, CELL) }, 'name'],
    ['both community id and code', { ...base, community_id: 1, geometry: square(ox, oy, CELL, CELL) }, 'community_id'],
    ['an unknown field', { ...base, colour: 'red', geometry: square(ox, oy, CELL, CELL) }, ''],
    ['a code with spaces', { ...base, code: 'a b', geometry: square(ox, oy, CELL, CELL) }, 'code'],
  ])('refuses %s with 400 naming the path', async (_label, body, path) => {
    const res = await client.post('/api/grids', body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_input');
    const details = error.details as { path: string }[];
    expect(details.some((d) => d.path.startsWith(path))).toBe(true);
  });

  it('refuses a non-JSON body and a wrong content type', async () => {
    const broken = await client.request('/api/grids', { method: 'POST', body: '{"code": ' });
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).code).toBe('invalid_json');
    const form = await client.request('/api/grids', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe('unsupported_media_type');
  });

  it('wrote nothing for any refused request', async () => {
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`;
    expect(row!.n).toBe(5);
  });
});

describe('joint-defense points and key locations', () => {
  it('a new joint-defense point gets the grid it stands in', async () => {
    const res = await client.post('/api/joint-defense-points', { code: 'T-J1', name: '1号联防点', lon: ox + 1.5 * CELL, lat: oy + CELL });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { grid_id: number }).grid_id).toBe(world.gridIds[1]);
    const list = (await (await client.get(`/api/joint-defense-points?grid_id=${world.gridIds[1]}`)).json()) as FeatureCollection;
    expect(list.features.map((f) => f.properties?.code)).toEqual(['T-J1']);
  });

  it('filters joint-defense points by bbox and refuses a malformed bbox', async () => {
    const inBox = (await (await client.get(`/api/joint-defense-points?bbox=${ox + CELL},${oy},${ox + 2 * CELL},${oy + 2 * CELL}`)).json()) as FeatureCollection;
    expect(inBox.features).toHaveLength(1);
    const outBox = (await (await client.get(`/api/joint-defense-points?bbox=${ox + 3 * CELL},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`)).json()) as FeatureCollection;
    expect(outBox.features).toHaveLength(0);
    const bad = await client.get('/api/joint-defense-points?bbox=1,2,3');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/bbox must be four finite numbers/);
  });

  it('creates point and polygon key locations and refuses a bowtie and an unknown type', async () => {
    const pt = await client.post('/api/key-locations', { code: 'T-K1', name: '院岭小学', type: 'school', geometry: { type: 'Point', coordinates: [ox + 3.5 * CELL, oy + CELL] } });
    expect(pt.status).toBe(201);
    expect(((await pt.json()) as { grid_id: number }).grid_id).toBe(world.gridIds[3]);
    const poly = await client.post('/api/key-locations', { code: 'T-K2', name: '农贸市场', type: 'market', geometry: square(ox + 0.2 * CELL, oy + 0.2 * CELL, 0.3 * CELL, 0.3 * CELL) });
    expect(poly.status).toBe(201);
    expect(((await poly.json()) as { grid_id: number }).grid_id).toBe(world.gridIds[0]);
    const bowtie = await client.post('/api/key-locations', {
      code: 'T-K3', name: '坏', type: 'bank',
      geometry: { type: 'Polygon', coordinates: [[[ox, oy], [ox + CELL, oy + CELL], [ox + CELL, oy], [ox, oy + CELL], [ox, oy]]] },
    });
    expect(bowtie.status).toBe(422);
    const badType = await client.post('/api/key-locations', { code: 'T-K4', name: '坏', type: 'casino', geometry: { type: 'Point', coordinates: [ox, oy] } });
    expect(badType.status).toBe(400);
    expect(((await errorOf(badType)).details as { path: string }[])[0]!.path).toBe('type');
    const markets = (await (await client.get('/api/key-locations?type=market')).json()) as FeatureCollection;
    expect(markets.features.map((f) => f.properties?.code)).toEqual(['T-K2']);
  });
});

describe('GET /api/addresses', () => {
  beforeAll(async () => {
    // 6 addresses in grid 1 (two of them key), 3 in grid 4.
    const pts: [number, number, string][] = [];
    for (let i = 0; i < 6; i++) pts.push([ox + 0.1 * CELL + i * 0.1 * CELL, oy + CELL, i < 2 ? 'key' : 'general']);
    for (let i = 0; i < 3; i++) pts.push([ox + 3.2 * CELL + i * 0.2 * CELL, oy + 0.5 * CELL, 'attention']);
    for (const [i, [lon, lat, category]] of pts.entries()) {
      await db.sql`INSERT INTO address (code, address_text, geom, category)
                   VALUES (${`T-A${i}`}, ${`测试路${i}号`}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), ${category})`;
    }
  });

  it('returns exactly the addresses inside the bbox, with their grid', async () => {
    const res = await client.get(`/api/addresses?bbox=${ox},${oy},${ox + CELL},${oy + 2 * CELL}`);
    expect(res.status).toBe(200);
    const fc = (await res.json()) as FeatureCollection & { truncated: boolean };
    expect(fc.features).toHaveLength(6);
    expect(fc.truncated).toBe(false);
    expect(new Set(fc.features.map((f) => f.properties?.grid_id))).toEqual(new Set([world.gridIds[0]]));
  });

  it('filters by category', async () => {
    const fc = (await (await client.get(`/api/addresses?bbox=${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}&category=key`)).json()) as FeatureCollection;
    expect(fc.features.map((f) => f.properties?.code)).toEqual(['T-A0', 'T-A1']);
  });

  it('caps the number of rows and says so', async () => {
    const fc = (await (await client.get(`/api/addresses?bbox=${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}&limit=4`)).json()) as FeatureCollection & { truncated: boolean; limit: number };
    expect(fc.features).toHaveLength(4);
    expect(fc.truncated).toBe(true);
    const capped = (await (await client.get(`/api/addresses?bbox=${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}&limit=999999`)).json()) as { limit: number };
    expect(capped.limit).toBe(MAX_ADDRESSES_PER_REQUEST);
  });

  it('requires a valid bbox', async () => {
    expect((await client.get('/api/addresses')).status).toBe(400);
    const inverted = await client.get(`/api/addresses?bbox=${ox + 1},${oy},${ox},${oy + 1}`);
    expect(inverted.status).toBe(400);
    expect((await errorOf(inverted)).message).toMatch(/minLon < maxLon/);
  });
});

describe('the route table', () => {
  it('documents every route in /api/openapi.json', async () => {
    const doc = (await (await client.get('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const r of routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
    }
    expect(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)).toBe(routes.length);
  });

  it('every write route answers bad input with 4xx and the error shape, and writes nothing', async () => {
    // Writes a command user may make with a body (token routes and self-service routes have their own tests).
    const writes = routes.filter((r) => r.method === 'post' && r.access.kind === 'session' && r.path.startsWith('/api/') && !r.path.includes(':'));
    expect(writes.length).toBeGreaterThanOrEqual(3);
    const counts = async () => (await db.sql<{ n: number }[]>`
      SELECT (SELECT count(*) FROM grid) + (SELECT count(*) FROM joint_defense_point) + (SELECT count(*) FROM key_location)
           + (SELECT count(*) FROM address) AS n`)[0]!.n;
    const before = await counts();
    const bodies: unknown[] = [{}, [], null, 'text', 42, { code: 1 }, { code: 'x'.repeat(65), name: 'n' }, { lon: Number.MAX_VALUE }, { geometry: { type: 'Polygon', coordinates: 'nope' } }];
    for (const r of writes) {
      for (const body of bodies) {
        const res = await client.post(r.path, body);
        expect(res.status, `${r.method} ${r.path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await errorOf(res);
      }
    }
    expect(await counts()).toBe(before);
  });
});
