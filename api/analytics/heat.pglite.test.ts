import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { heatSuite } from './heat.suite.ts';

// The same heat and hotspot suite as heat.pg.test.ts, on embedded PGlite (PostgreSQL 18 + PostGIS
// 3.6), which is what `npm start` runs on a fresh machine. One start (~15 s) for the whole file.
const dataDir = mkdtempSync(join(tmpdir(), 'jw-heat-pglite-'));
let db: Database;
beforeAll(async () => {
  db = await openDatabase({ dataDir, poolSize: 4 });
  await migrate(db.sql);
}, 180_000);
afterAll(async () => {
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

heatSuite(() => db.sql);
