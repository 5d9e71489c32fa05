import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureCollection } from 'geojson';
import { afterAll, describe, expect, it } from 'vitest';
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
});
