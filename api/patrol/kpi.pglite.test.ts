import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { openDatabase } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { kpiSuite } from './kpi.suite.ts';

// The same correctness suite as kpi.test.ts, on the embedded database `npm start` uses without
// DATABASE_URL (PGlite: PostgreSQL 18 + PostGIS 3.6 in WebAssembly, no COPY over its socket).
// One PGlite start for the whole file; WebAssembly is slower, hence the longer timeouts.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

kpiSuite(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jw-kpi-pglite-'));
  const db = await openDatabase({ dataDir, poolSize: 2 });
  await migrate(db.sql);
  return {
    sql: db.sql,
    async close() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
