import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
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

const READY_CHECK_MS = 3000;

const readyBody = z.object({ status: z.literal('ready'), schema_version: z.number(), database: z.enum(['embedded', 'external']) });

/**
 * Readiness for a load balancer or orchestrator: 200 only when the database answers within
 * READY_CHECK_MS and has exactly the migrations this build ships; otherwise 503 with the error
 * shape saying what is wrong (unreachable, migrations pending, or a schema this build does not know).
 */
export function readyResource(deps: Deps): Resource {
  const migrations = listMigrations();
  return new Resource('/api/ready', 'system', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '就绪检查：数据库可达且迁移为最新 / readiness: database reachable and migrations current',
      access: { kind: 'public' },
      responses: { 200: { description: 'ready', schema: readyBody }, 503: { description: 'not ready; error.details says why' } },
    },
    async (c, _input, db) => {
      let rows: { version: number; name: string }[];
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_MS} ms`)), READY_CHECK_MS);
        });
        rows = await Promise.race([
          db<{ version: number; name: string }[]>`SELECT version, name FROM schema_migrations ORDER BY version`,
          timeout,
        ]);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        const missingTable = e.code === '42P01';
        throw new ApiError(503, missingTable ? 'migrations_pending' : 'database_unreachable',
          missingTable ? 'the database has no schema_migrations table: run the migrations' : `the database is not reachable: ${e.message ?? String(err)}`,
          { database: missingTable ? 'reachable' : 'unreachable', expected_schema_version: migrations.length, ...(e.code ? { cause: e.code } : {}) });
      } finally {
        clearTimeout(timer);
      }
      const missing = migrations.filter((m) => !rows.some((r) => r.version === m.version && r.name === m.name));
      const unknown = rows.filter((r) => !migrations.some((m) => m.version === r.version && m.name === r.name));
      if (missing.length || unknown.length) {
        throw new ApiError(503, unknown.length ? 'schema_mismatch' : 'migrations_pending',
          unknown.length
            ? `the database has migrations this build does not know (${unknown.map((u) => `${u.version} ${u.name}`).join(', ')})`
            : `${missing.length} migration(s) not applied: ${missing.map((m) => `${String(m.version).padStart(5, '0')}_${m.name}`).join(', ')}`,
          {
            database: 'reachable', schema_version: rows.length, expected_schema_version: migrations.length,
            missing: missing.map((m) => m.version), unknown: unknown.map((u) => u.version),
          });
      }
      return c.json({ status: 'ready' as const, schema_version: rows.length, database: deps.database.kind });
    },
  );
}
