import type { Sql } from 'postgres';
import { createDemoUsers } from './auth/demo-users.ts';

/**
 * Seeds the demo world into a database that has no grids yet. A database with any grid is a real
 * deployment or an earlier seed and is never touched.
 */
export async function seedDemoIfEmpty(sql: Sql, log: (msg: string) => void): Promise<boolean> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`;
  if ((row?.n ?? 0) > 0) return false;
  const started = Date.now();
  const { generateDemoWorld } = await import('../geodata/demo/generate.ts');
  const { loadDemoWorld } = await import('../geodata/demo/load.ts');
  const world = generateDemoWorld({ seed: 42, now: new Date() });
  let lastStep = '';
  const counts = await loadDemoWorld(sql, world, {
    onProgress: (step) => {
      if (step !== lastStep) log(`seeding demo: ${step}`);
      lastStep = step;
    },
  });
  // Derived tables (patrol cells from the GPS tracks, KPI aggregates, H3 cells of events) are
  // built now so the first screen does not pay for them.
  const derivedStarted = Date.now();
  const { refreshDerived } = await import('./patrol/derived.ts');
  const { assignEventCells } = await import('./analytics/cells.ts');
  await refreshDerived(sql);
  await assignEventCells(sql);
  log(`derived tables built in ${((Date.now() - derivedStarted) / 1000).toFixed(1)} s`);
  const users = await createDemoUsers(sql);
  log(`demo logins (password change forced at first login): ${users.join(', ')}`);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  log(`demo world seeded: ${total} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
