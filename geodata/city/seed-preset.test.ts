import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { REPO_ROOT } from '../import/test/helpers.ts';
import { cityPlan } from './world.ts';

/**
 * `npm run seed -- --preset city` wired to the city generator, at a tiny scale (0.2 % of the city:
 * 9 grids, 4,000 addresses, 1,000 events) into a fresh database. The full preset is never run here.
 */

const run = promisify(execFile);
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');
const SEED = join(REPO_ROOT, 'geodata/cli/seed.ts');

async function seedCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete clean[k];
  try {
    const { stdout, stderr } = await run(TSX, [SEED, ...args], { cwd: REPO_ROOT, env: clean, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm run seed -- --preset city', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('refuses to run without DATABASE_URL, saying the preset is for a real PostGIS', async () => {
    const r = await seedCli(['--preset', 'city', '--scale', '0.002'], { DATABASE_URL: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL is not set: the city preset is for a real PostGIS/);
  }, 60_000);

  it('refuses bad scales and options of the other preset', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await seedCli(['--preset', 'city', '--scale', '0'], env)).stderr).toMatch(/--scale must be a number in \(0, 2\]/);
    expect((await seedCli(['--scale', '0.5'], env)).stderr).toMatch(/are for --preset city/);
  }, 120_000);

  it('loads a 0.2 % city with exact, deterministic counts proportional to the scale', async () => {
    const r = await seedCli(['--preset', 'city', '--scale', '0.002', '--seed', '7', '--end', '2025-06-30', '--no-kpi'], { DATABASE_URL: db.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/city preset \(scale 0.002, seed 7, end 2025-06-30\) loaded in/);
    const plan = cityPlan(0.002, 7, '2025-06-30');
    expect([plan.grids, plan.addresses, plan.events]).toEqual([9, 4000, 1000]);
    const [n] = await db.sql<{ grids: number; addresses: number; events: number; visits: number; fixes: number; first_event: string; last_fix: Date }[]>`
      SELECT (SELECT count(*) FROM grid)::int AS grids, (SELECT count(*) FROM address)::int AS addresses,
             (SELECT count(*) FROM event)::int AS events, (SELECT count(*) FROM visit)::int AS visits,
             (SELECT count(*) FROM gps_fix)::int AS fixes,
             (SELECT code FROM event ORDER BY id LIMIT 1) AS first_event, (SELECT max(fixed_at) FROM gps_fix) AS last_fix`;
    expect(n).toMatchObject({ grids: plan.grids, addresses: plan.addresses, events: plan.events, first_event: 'CITY-E0000000' });
    // Visits are drawn per address around the plan's total; fixes are whole shifts per device.
    // Both are fixed by the seed: these are the counts of seed 7, scale 0.002, end 2025-06-30.
    expect(n!.visits / plan.visits).toBeGreaterThan(0.95);
    expect(n!.visits / plan.visits).toBeLessThan(1.05);
    expect({ visits: n!.visits, fixes: n!.fixes }).toEqual(EXPECTED);
    expect(n!.last_fix.getTime()).toBeLessThan(Date.parse('2025-07-01T00:00:00+08:00'));
    // The stage table printed at the end agrees with the database.
    expect(r.stdout).toMatch(new RegExp(`\\naddress\\s+${plan.addresses}\\s`));
  }, 240_000);
});

const EXPECTED = { visits: 6006, fixes: 39960 };
