import { afterAll, beforeAll } from 'vitest';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { heatSuite } from './heat.suite.ts';

// The heat and hotspot suite on the local PostgreSQL 15 + PostGIS 3.3 (heat.pglite.test.ts runs
// the same suite on embedded PGlite).
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => db?.drop());

heatSuite(() => db.sql);
