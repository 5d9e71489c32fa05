import type { FeatureCollection } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let cmd: Client;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
  cmd = await Client.login(app, 'cmd');
});
afterAll(async () => db?.drop());

function upload(client: Client, kind: string, name: string, content: string, options?: unknown): Promise<Response> {
  const form = new FormData();
  form.set('file', new File([content], name));
  if (options !== undefined) form.set('options', JSON.stringify(options));
  const headers: Record<string, string> = { 'x-csrf-token': client.csrf ?? '' };
  if (client.cookie) headers.cookie = client.cookie;
  return Promise.resolve(app.request(`/api/imports/${kind}`, { method: 'POST', headers, body: form }));
}

const points = (rows: [string, string, number, number][]) => JSON.stringify({
  type: 'FeatureCollection',
  features: rows.map(([code, name, lon, lat]) => ({ type: 'Feature', properties: { code, name }, geometry: { type: 'Point', coordinates: [lon, lat] } })),
});

describe('POST /api/imports/:kind', () => {
  it('imports joint-defense points from an uploaded GeoJSON, each into its grid, and says so', async () => {
    const res = await upload(cmd, 'joint-defense-points', 'points.geojson', points([['U-1', '一号点', ox + 0.5 * CELL, oy + CELL], ['U-2', '二号点', ox + 3.5 * CELL, oy + CELL]]));
    expect(res.status, await res.clone().text()).toBe(200);
    const report = (await res.json()) as { ok: boolean; counts: { inserted: number } };
    expect(report.ok).toBe(true);
    expect(report.counts.inserted).toBe(2);
    const rows = await db.sql<{ code: string; grid_id: number }[]>`SELECT code, grid_id FROM joint_defense_point WHERE code LIKE 'U-%' ORDER BY code`;
    expect(rows).toEqual([{ code: 'U-1', grid_id: world.gridIds[0] }, { code: 'U-2', grid_id: world.gridIds[3] }]);
  });

  it('refuses a file with a bad row as a whole, naming the row, and writes nothing', async () => {
    const before = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM joint_defense_point`;
    const res = await upload(cmd, 'joint-defense-points', 'bad.geojson', points([['U-3', '三号点', ox + 0.5 * CELL, oy + CELL], ['U-4', '四号点', 999, oy]]));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; details: { errors: { row: number }[] } } };
    expect(body.error.code).toBe('import_refused');
    expect(body.error.details.errors[0]!.row).toBe(2);
    const after = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM joint_defense_point`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('honours dry runs and refuses bad options, a missing file, and non-command users', async () => {
    const dry = await upload(cmd, 'joint-defense-points', 'p.geojson', points([['U-9', '九号点', ox + 1.5 * CELL, oy + CELL]]), { dryRun: true });
    expect(((await dry.json()) as { counts: { inserted: number } }).counts.inserted).toBe(1);
    expect(await db.sql`SELECT 1 FROM joint_defense_point WHERE code = 'U-9'`).toHaveLength(0);
    expect((await upload(cmd, 'joint-defense-points', 'p.geojson', points([]), { maxRecords: 10 ** 9 })).status).toBe(400);
    const noFile = await app.request('/api/imports/grids', { method: 'POST', headers: { cookie: cmd.cookie!, 'x-csrf-token': cmd.csrf! }, body: new FormData() });
    expect(noFile.status).toBe(400);
    const leader = await Client.login(app, 'leader');
    expect((await upload(leader, 'joint-defense-points', 'p.geojson', points([]))).status).toBe(403);
  });

  it('re-imports a grid by its code, finding its community spatially, as an update', async () => {
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'T-G1', name: '第一网格（更名）' }, geometry: square(ox, oy, CELL, 2 * CELL) }] };
    const res = await upload(cmd, 'grids', 'grids.geojson', JSON.stringify(fc));
    expect(res.status, await res.clone().text()).toBe(200);
    const report = (await res.json()) as { counts: { inserted: number; updated: number } };
    expect(report.counts).toMatchObject({ inserted: 0, updated: 1 });
    const [g] = await db.sql<{ name: string; community_id: number }[]>`SELECT name, community_id FROM grid WHERE code = 'T-G1'`;
    expect(g).toEqual({ name: '第一网格（更名）', community_id: world.communityIds[0] });
  });
});

describe('GET /api/exports/:kind', () => {
  it('exports grids as GeoJSON and CSV with a BOM', async () => {
    const geo = await cmd.get('/api/exports/grids?format=geojson');
    expect(geo.status).toBe(200);
    const fc = (await geo.json()) as FeatureCollection;
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`;
    expect(fc.features).toHaveLength(n!.n);
    const csv = new Uint8Array(await (await cmd.get('/api/exports/grids?format=csv')).arrayBuffer());
    expect([...csv.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect((await cmd.get('/api/exports/people?format=csv')).status).toBe(400);
  });
});
