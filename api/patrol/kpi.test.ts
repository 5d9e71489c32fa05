import { freshDatabase } from '../testing/db.ts';
import { kpiSuite } from './kpi.suite.ts';

kpiSuite(async () => {
  const db = await freshDatabase();
  return { sql: db.sql, close: () => db.drop() };
});
