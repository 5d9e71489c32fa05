import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureCollection } from 'geojson';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { openDatabase } from './db/connect.ts';
import { listMigrations, migrate } from './db/migrate.ts';
import { insertTinyWorld, square, ORIGIN, CELL } from './testing/fixtures.ts';
import { Client, createUser, testApp } from './testing/app.ts';

// The embedded database is what `npm start` uses on a fresh machine; this keeps that path honest:
// same migrations, same routes, and data that survives a restart.
const dataDir = mkdtempSync(join(tmpdir(), 'jw-pglite-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('embedded PGlite + PostGIS', () => {
  it('migrates, serves the API, refuses a bowtie, and keeps its data across a restart', { timeout: 180_000 }, async () => {
    const first = await openDatabase({ dataDir, poolSize: 4 });
    try {
      expect(first.kind).toBe('embedded');
      const { current } = await migrate(first.sql);
      expect(current).toBe(listMigrations().length);
      const [v] = await first.sql<{ v: string }[]>`SELECT postgis_lib_version() AS v`;
      expect(v!.v).toMatch(/^3\.6/);
      const world = await insertTinyWorld(first.sql);
      await createUser(first.sql, 'command1', 'command', { subdistrict_id: world.subdistrictId });
      await createUser(first.sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] });
      const { app } = testApp(first.sql);
      const client = await Client.login(app, 'command1');
      const fc = (await (await client.get('/api/grids')).json()) as FeatureCollection;
      expect(fc.features).toHaveLength(4);
      // Row-level security works on PGlite too: a grid leader sees their one grid.
      const leader = await Client.login(app, 'leader1');
      const own = (await (await leader.get('/api/grids')).json()) as FeatureCollection;
      expect(own.features.map((f) => f.properties?.id)).toEqual([world.gridIds[0]]);
      const [ox, oy] = ORIGIN;
      const bowtie = { type: 'Polygon', coordinates: [[[ox, oy], [ox + CELL, oy + CELL], [ox + CELL, oy], [ox, oy + CELL], [ox, oy]]] };
      const refused = await client.post('/api/grids', { code: 'X', name: 'x', community_code: 'T-C1', geometry: bowtie });
      expect(refused.status).toBe(422);
      const created = await client.post('/api/grids', { code: 'T-G5', name: '第5网格', community_code: 'T-C1', geometry: square(ox, oy + 2 * CELL, CELL, CELL) });
      expect(created.status).toBe(201);
      // Several pooled connections at once: the socket server must accept more than one and keep
      // each connection's parameterised queries apart (one PGlite session serves them all).
      const many = await Promise.all(Array.from({ length: 8 }, () => client.get('/api/grids')));
      expect(many.map((r) => r.status)).toEqual(Array(8).fill(200));
      const echoes = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        first.sql<{ v: number; t: string }[]>`SELECT ${i}::int AS v, repeat('x', ${i % 7}) AS t`));
      expect(echoes.map((r) => r[0]!.v)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await expect(first.sql`SELECT no_such_column FROM grid`).rejects.toThrow(/no_such_column/);
      const [after] = await first.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid WHERE id > ${0}`;
      expect(after!.n).toBe(5);
    } finally {
      await first.close();
    }

    const second = await openDatabase({ dataDir, poolSize: 2 });
    try {
      expect((await migrate(second.sql)).applied).toEqual([]);
      const [n] = await second.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`;
      expect(n!.n).toBe(5);
    } finally {
      await second.close();
    }
  });

  // PGlite has one session: a request that took a second pooled connection while its own
  // transaction was open waited for ever (30 s, then 503). Every route that does owner work
  // (derived tables, KPIs, audit log, imports) is driven here, each with a deadline far below that.
  it('serves statistics, heat, hot spots, patrol plans, reports, exports, tokens and imports on its single session', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jw-pglite-routes-'));
    const database = await openDatabase({ dataDir: dir, poolSize: 4 });
    try {
      await migrate(database.sql);
      const world = await insertTinyWorld(database.sql);
      await seedActivity(database.sql, world);
      await createUser(database.sql, 'command1', 'command', { subdistrict_id: world.subdistrictId });
      await createUser(database.sql, 'police1', 'police', { community_id: world.communityIds[0] });
      const { app } = testApp(database.sql);
      const command = await Client.login(app, 'command1');
      const police = await Client.login(app, 'police1');
      const within = async (what: string, call: Promise<Response>, expected = 200): Promise<Response> => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what}: no answer within 20 s (waiting on a second connection?)`)), 20_000);
        });
        try {
          const res = await Promise.race([call, deadline]);
          expect(res.status, `${what}: ${await res.clone().text()}`).toBe(expected);
          return res;
        } finally {
          clearTimeout(timer);
        }
      };
      const [ox, oy] = ORIGIN;
      const bbox = [ox, oy, ox + 4 * CELL, oy + 2 * CELL].join(',');
      const community = world.communityIds[0];
      const grid = world.gridIds[0];

      const table = (await (await within('KPI table', command.get('/api/stats/grids'))).json()) as { rows: { unit_id: number; addresses: number }[] };
      expect(table.rows.map((r) => r.unit_id).sort((a, b) => a - b)).toEqual([...world.gridIds].sort((a, b) => a - b));
      expect(table.rows.find((r) => r.unit_id === grid)!.addresses).toBe(2);
      // The police officer's row-level scope still applies to the owner-computed table.
      const own = (await (await within('scoped KPI table', police.get('/api/stats/grids'))).json()) as { rows: { unit_id: number }[] };
      expect(own.rows.map((r) => r.unit_id).sort((a, b) => a - b)).toEqual([world.gridIds[0], world.gridIds[1]].sort((a, b) => a - b));
      await within('community rollup', command.get('/api/stats/communities'));
      await within('sub-district rollup', command.get('/api/stats/subdistrict'));
      await within('screen trend', command.get('/api/stats/trend?days=7'));
      await within('grid drill-down', command.get(`/api/stats/grids/${grid}`));
      await within('grid trend', command.get(`/api/stats/grids/${grid}/trend?months=2`));
      await within('exact coverage', command.get(`/api/stats/patrol-coverage?grid_id=${grid}&exact=1`));
      const area = (await (await within('area statistics', police.post('/api/stats/area', { polygon: square(ox, oy, 4 * CELL, 2 * CELL) }))).json()) as { addresses: { total: number }; grids: { share: number }[] };
      // The police officer's two grids only, each wholly inside.
      expect(area.addresses.total).toBe(4);
      expect(area.grids.map((g) => Math.round(g.share * 1000) / 1000)).toEqual([1, 1]);
      // Address search through the pg_trgm index PGlite loaded for migration 00016.
      const found = (await (await within('address search', command.get(`/api/addresses/search?q=${encodeURIComponent('嵌入路1号')}`))).json()) as { addresses: { code: string }[] };
      expect(found.addresses.map((a) => a.code).sort()).toEqual([`EA-${world.gridIds[1]}-0`, `EA-${world.gridIds[1]}-1`]);
      const heat = (await (await within('H3 heat', command.get(`/api/heat/h3?bbox=${bbox}&res=9`))).json()) as { events: number };
      expect(heat.events).toBe(6);
      await within('period compare', command.get(`/api/heat/compare?bbox=${bbox}&res=9`));
      await within('incident points', command.get(`/api/heat/points?bbox=${bbox}`));
      await within('event histogram', command.get('/api/stats/event-histogram'));
      // The map's operational layers: visits refresh the KPI facts first (prepare), persons write the audit log.
      await within('visits layer', command.get(`/api/visits?bbox=${bbox}`));
      const recent = `from=${new Date(Date.now() - 3 * 86_400_000).toISOString()}&to=${new Date().toISOString()}`;
      const tracks = (await (await within('patrol tracks', command.get(`/api/patrol/tracks?bbox=${bbox}&${recent}`))).json()) as { trips: { n: number[] } };
      expect(tracks.trips.n).toEqual([20]);
      await within('patrol tracks (default window)', command.get(`/api/patrol/tracks?bbox=${bbox}`));
      await within('persons layer', command.get(`/api/persons/map?bbox=${bbox}`));
      const layer = (await (await within('address layer', command.get(`/api/addresses?bbox=${bbox}&category=key,attention,general&format=columns`))).json()) as { columns: { id: number[] } };
      // A click on an address: its registration (kpi_address_facts as the caller) and visit status.
      const detail = (await (await within('address details', command.get(`/api/addresses/${layer.columns.id[0]}`))).json()) as { registered: boolean; missing: string[] };
      expect(typeof detail.registered).toBe('boolean');
      await within('address visit status', command.get(`/api/stats/addresses/${layer.columns.id[0]}/visit-status`));
      await within('Gi*', command.get(`/api/hotspots/gistar?community_id=${community}&res=10`));
      await within('emerging hot spots', command.get(`/api/hotspots/emerging?community_id=${community}&res=10`));

      const date = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const plan = (await (await within('plan generation', police.post('/api/patrol-plans/generate', { community_id: community, date, start_hour: 19, end_hour: 23, teams: 1 }), 201)).json()) as { plan: { id: number }; stops: unknown[] };
      expect(plan.stops.length).toBeGreaterThan(0);
      await within('plan compliance', police.get(`/api/patrol-plans/${plan.plan.id}/compliance`));
      await within('plan history', police.get(`/api/patrol-plans/history?community_id=${community}`));

      for (const kind of ['daily', 'weekly', 'monthly']) await within(`${kind} report`, command.get(`/api/reports/${kind}`));
      await within('weekly report workbook', command.get('/api/reports/weekly?format=xlsx'));
      await within('patrol positions', police.get('/api/patrol/positions?minutes=240'));
      const exported = (await (await within('grid export', command.get('/api/exports/grids?format=geojson'))).json()) as FeatureCollection;
      expect(exported.features).toHaveLength(4);
      expect(exported.features[0]!.properties).toHaveProperty('registration_rate');

      const token = (await (await within('token issue', command.post('/api/tokens', { name: 'gps', scopes: ['gps:ingest'] }), 201)).json()) as { id: number };
      await within('token list', command.get('/api/tokens'));
      await within('token revoke', command.request(`/api/tokens/${token.id}`, { method: 'DELETE' }), 204);

      const form = new FormData();
      form.set('file', new File([JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'J-E1', name: '嵌入点' }, geometry: { type: 'Point', coordinates: [ox + 0.5 * CELL, oy + CELL] } }] })], 'p.geojson'));
      const imported = (await (await within('import', Promise.resolve(app.request('/api/imports/joint-defense-points', { method: 'POST', headers: { cookie: command.cookie!, 'x-csrf-token': command.csrf! }, body: form })))).json()) as { counts: { inserted: number } };
      expect(imported.counts.inserted).toBe(1);
      const [audit] = await database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action IN ('export', 'token.issue', 'token.revoke')`;
      expect(audit!.n).toBe(3);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Two addresses and three events (20:30 Beijing time, in the planned shift) in each grid of community one, and a patrol track. */
async function seedActivity(sql: Sql, world: { gridIds: number[] }): Promise<void> {
  const [ox, oy] = ORIGIN;
  for (const [i, gridId] of world.gridIds.slice(0, 2).entries()) {
    const lon = ox + (i + 0.5) * CELL;
    const lat = oy + CELL;
    for (const k of [0, 1]) {
      await sql`INSERT INTO address (code, address_text, geom, category)
                VALUES (${`EA-${gridId}-${k}`}, ${`嵌入路${i}号${k}`}, ST_SetSRID(ST_MakePoint(${lon + k * 0.001}, ${lat}), 4326), 'general')`;
    }
    for (const k of [0, 1, 2]) {
      await sql`INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
                VALUES (${`EE-${gridId}-${k}`}, 'public_security', 'theft', 2, '盗窃', ST_SetSRID(ST_MakePoint(${lon}, ${lat + k * 0.0005}), 4326),
                        ((current_date - ${k + 1}::int)::timestamp + interval '12 hours 30 minutes') AT TIME ZONE 'UTC')`;
    }
  }
  const [device] = await sql<{ id: number }[]>`INSERT INTO patrol_device (code, kind) VALUES ('E-DEV', 'handheld') RETURNING id`;
  const fixes = Array.from({ length: 20 }, (_, k) => ({ lon: ox + 0.1 * CELL + k * 0.0004, lat: oy + CELL, at: new Date(Date.now() - 2 * 86_400_000 + k * 30_000) }));
  for (const f of fixes) {
    await sql`INSERT INTO gps_fix (device_id, fixed_at, lon, lat) VALUES (${device!.id}, ${f.at}, ${f.lon}, ${f.lat})`;
  }
}
