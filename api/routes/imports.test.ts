import { unzipSync } from 'fflate';
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
  await createUser(db.sql, 'worker', 'grid_worker', { grid_id: world.gridIds[1] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'volunteer', 'part_time', { grid_id: world.gridIds[1] });
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

describe('POST /api/imports/persons and visits', () => {
  it('imports persons of concern for the command centre only, and the report masks identities', async () => {
    const res0 = await upload(cmd, 'addresses', 'a.csv', `code,address,lon,lat\nPX-A1,测试路1号,${ox + 0.5 * CELL},${oy + CELL}\n`);
    expect(res0.status, await res0.clone().text()).toBe(200);
    const id = '11010519491231002X';
    const bad = '1101051949123100';
    const csv = `人员编号,姓名,身份证号,联系电话,人员类别,管控等级,地址编码\nPX-1,测试甲,${id},13800001234,独居老人,2,PX-A1\nPX-2,测试乙,${bad},13900005678,独居老人,2,PX-A1\n`;
    const leader = await Client.login(app, 'leader');
    expect((await upload(leader, 'persons', 'p.csv', csv)).status).toBe(403);
    expect((await upload(leader, 'visits', 'v.csv', 'code,address_code,staff,visited_at\n')).status).toBe(403);

    const refused = await upload(cmd, 'persons', 'p.csv', csv);
    expect(refused.status).toBe(422);
    const text = await refused.text();
    expect(text).toContain('BAD_ID_NUMBER');
    for (const secret of [id, bad, '13800001234', '13900005678']) expect(text).not.toContain(secret);
    expect(await db.sql`SELECT 1 FROM person_of_concern WHERE code LIKE 'PX-%'`).toHaveLength(0);

    const ok = await upload(cmd, 'persons', 'p.csv', csv, { skipInvalid: true });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const okText = await ok.text();
    expect((JSON.parse(okText) as { counts: { inserted: number; skipped: number } }).counts).toMatchObject({ inserted: 1, skipped: 1 });
    for (const secret of [id, bad, '13800001234', '13900005678']) expect(okText).not.toContain(secret);
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

describe('exports scoped to the caller', () => {
  interface Fc { features: Array<{ properties: Record<string, unknown> }> }
  beforeAll(async () => {
    // One address and one event in each grid.
    for (const [i] of world.gridIds.entries()) {
      const [lon, lat] = [ox + (i + 0.5) * CELL, oy + 0.5 * CELL];
      await db.sql`INSERT INTO address (code, address_text, geom) VALUES (${`EX-A${i}`}, ${`导出路${i}号`}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))`;
      await db.sql`INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
                   VALUES (${`EX-E${i}`}, 'public_security', 'theft', 2, ${`张三家被盗${i}`}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), now())`;
    }
  });

  const owner = async (table: 'address' | 'event', gridId: number | null) =>
    (await db.sql<{ code: string }[]>`SELECT code FROM ${db.sql(table)} WHERE ${gridId === null ? db.sql`true` : db.sql`grid_id = ${gridId}`} ORDER BY code`).map((r) => r.code);

  it("a grid worker's exports hold exactly their grid's rows, with the personal columns", async () => {
    const worker = await Client.login(app, 'worker');
    const grid = world.gridIds[1];
    const addresses = (await (await worker.get('/api/exports/addresses?format=geojson')).json()) as Fc;
    expect(addresses.features.map((f) => f.properties.code).sort()).toEqual(await owner('address', grid));
    expect(addresses.features.length).toBeGreaterThan(0);
    expect(addresses.features[0]!.properties).toHaveProperty('address_text');
    const events = (await (await worker.get('/api/exports/events?format=geojson')).json()) as Fc;
    expect(events.features.map((f) => f.properties.code).sort()).toEqual(await owner('event', grid));
    expect(events.features[0]!.properties.title).toBe('张三家被盗1');
    const grids = (await (await worker.get('/api/exports/grids?format=geojson')).json()) as Fc;
    expect(grids.features.map((f) => f.properties.code)).toEqual(['T-G2']);
    const csv = await (await worker.get('/api/exports/addresses?format=csv')).text();
    expect(csv.trim().split('\r\n')).toHaveLength(1 + (await owner('address', grid)).length);
    const [audit] = await db.sql<{ actor: string; details: { rows: number } }[]>`
      SELECT actor, details FROM audit_log WHERE action = 'export' AND target_type = 'addresses' ORDER BY id DESC LIMIT 1`;
    expect(audit).toMatchObject({ actor: 'worker', details: { rows: (await owner('address', grid)).length } });
  });

  it("grid exports carry the current cycle's KPIs, the same as /api/stats/grids", async () => {
    const worker = await Client.login(app, 'worker');
    const grids = (await (await worker.get('/api/exports/grids?format=geojson')).json()) as Fc;
    const stats = (await (await worker.get('/api/stats/grids')).json()) as { window: { from: string; to: string }; rows: Record<string, number | null>[] };
    const [props] = grids.features.map((f) => f.properties);
    const row = stats.rows.find((r) => r.unit_id === world.gridIds[1])!;
    expect(props!.kpi_window).toBe(`${stats.window.from}..${stats.window.to}`);
    for (const k of ['registration_rate', 'visit_coverage_rate', 'closure_rate', 'on_time_rate', 'patrol_coverage']) {
      expect(props![k], k).toBe(row[k] === null ? null : Math.round(row[k]! * 10_000) / 10_000);
    }
    // Its one address has no 一标三实 records: registered 0 of 1.
    expect(props!.registration_rate).toBe(0);
    const csv = await (await worker.get('/api/exports/grids?format=csv')).text();
    expect(csv.split('\r\n')[0]).toContain('registration_rate');
  });

  it('an analyst exports every grid, address points and events, but no address text or event titles', async () => {
    const analyst = await Client.login(app, 'analyst');
    const grids = (await (await analyst.get('/api/exports/grids?format=geojson')).json()) as Fc;
    expect(grids.features).toHaveLength(4);
    const res = await analyst.get('/api/exports/addresses?format=geojson');
    expect(res.status, await res.clone().text()).toBe(200);
    const addresses = (await res.json()) as Fc;
    expect(addresses.features.map((f) => f.properties.code).sort()).toEqual(await owner('address', null));
    for (const f of addresses.features) expect(Object.keys(f.properties).sort()).toEqual(['category', 'code', 'grid_code', 'vacant']);
    const csv = await (await analyst.get('/api/exports/addresses?format=csv')).text();
    expect(csv).not.toContain('导出路');
    // (text() drops the BOM)
    expect(csv.split('\r\n')[0]).toBe('code,category,vacant,grid_code,lon,lat');
    const zip = unzipSync(new Uint8Array(await (await analyst.get('/api/exports/events?format=shapefile')).arrayBuffer()));
    const dbf = Object.entries(zip).find(([name]) => name.endsWith('.dbf'))![1];
    expect(new TextDecoder().decode(dbf)).toContain('EX-E0');
    expect(new TextDecoder().decode(dbf)).not.toContain('张三');
    const ev = (await (await analyst.get('/api/exports/events?format=geojson')).json()) as Fc;
    expect(ev.features.map((f) => f.properties.code).sort()).toEqual(await owner('event', null));
    expect(ev.features.every((f) => !('title' in f.properties))).toBe(true);
  });

  it('volunteers may not export', async () => {
    const volunteer = await Client.login(app, 'volunteer');
    expect((await volunteer.get('/api/exports/addresses?format=csv')).status).toBe(403);
  });
});
