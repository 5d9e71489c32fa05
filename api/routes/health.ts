import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { listMigrations } from '../db/migrate.ts';

const healthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.object({
    kind: z.enum(['embedded', 'external']),
    server_version: z.string(),
    postgis_version: z.string(),
    schema_version: z.number(),
    expected_schema_version: z.number(),
    grids: z.number(),
  }),
});

export function healthResource(deps: Deps): Resource {
  const expected = listMigrations().length;
  return new Resource('/api/health', 'system', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '服务与数据库状态 / service and database status',
      access: { kind: 'public' },
      responses: { 200: { description: 'healthy', schema: healthBody }, 503: { description: 'database unreachable' } },
    },
    async (c, _input, db) => {
      const [row] = await deps.queries.run<{ server_version: string; postgis_version: string; schema_version: number; grids: number }>(db, 'health');
      if (!row) throw new Error('health query returned no row');
      return c.json({
        status: row.schema_version === expected ? 'ok' : 'degraded',
        database: { kind: deps.database.kind, ...row, expected_schema_version: expected },
      });
    },
  );
}
