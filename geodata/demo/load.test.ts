import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { generateDemoWorld, type DemoWorld } from './generate.ts';
import { loadDemoWorld } from './load.ts';

const SLOW = 300_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let db: TestDatabase;
let world: DemoWorld;
beforeAll(async () => {
  db = await freshDatabase();
  world = generateDemoWorld({ seed: 42, now: new Date('2026-11-29T00:00:00+08:00') });
}, SLOW);
afterAll(async () => db?.drop());

const expectedRows = (w: DemoWorld): Record<string, number> => ({
  subdistrict: 1,
  community: w.communities.length,
  grid: w.grids.length,
  joint_defense_point: w.jointDefensePoints.length,
  key_location: w.keyLocations.length,
  staff: w.staff.length,
  assignment: w.assignments.length,
  patrol_device: w.devices.length,
  address: w.addresses.length,
  housing: w.housing.length,
  resident: w.residents.length,
  org_unit: w.orgUnits.length,
  person_of_concern: w.personsOfConcern.length,
  event: w.events.length,
  event_log: w.eventLog.length,
  support_request: w.supportRequests.length,
  visit: w.visits.length,
  visit_participant: w.visitParticipants.length,
  gps_fix: w.gpsFixes.length,
});

describe('loadDemoWorld into a real PostGIS', () => {
  it('writes nothing at all when the world refers to something that is not there', async () => {
    const broken: DemoWorld = { ...world, grids: world.grids.map((g, i) => (i === 2 ? { ...g, communityCode: 'NOPE' } : g)) };
    await expect(loadDemoWorld(db.sql, broken)).rejects.toThrow('demo world refers to unknown community "NOPE"');
    const [row] = await db.sql<{ n: number }[]>`SELECT (SELECT count(*) FROM subdistrict) + (SELECT count(*) FROM community) AS n`;
    expect(Number(row!.n)).toBe(0);
  }, SLOW);

  it('loads every row, reporting progress per table, and returns the counts', async () => {
    const steps: string[] = [];
    const finished = new Map<string, [number, number]>();
    const counts = await loadDemoWorld(db.sql, world, {
      onProgress(step, done, total) {
        if (steps[steps.length - 1] !== step) steps.push(step);
        finished.set(step, [done, total]);
      },
    });
    const expected = expectedRows(world);
    expect(counts).toEqual(expected);
    expect(steps).toEqual(Object.keys(expected));
    for (const [step, [done, total]] of finished) expect(done, step).toBe(total);
    for (const [table, n] of Object.entries(expected)) {
      const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${db.sql(table)}`;
      expect(row!.n, table).toBe(n);
    }
  }, SLOW);

  it('every address gets a grid from its point, the very grid the world names; so do events and points', async () => {
    const [nulls] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM address WHERE grid_id IS NULL`;
    expect(nulls!.n).toBe(0);
    // Rows whose derived grid differs from the one the world names (NULL counts as different).
    const mismatched = async (table: string, rows: { code: string; gridCode: string }[]) => {
      const [row] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n
          FROM ${db.sql(table)} t
          JOIN unnest(${rows.map((r) => r.code)}::text[], ${rows.map((r) => r.gridCode)}::text[]) AS w(code, grid) ON w.code = t.code
          LEFT JOIN grid g ON g.id = t.grid_id
         WHERE g.code IS DISTINCT FROM w.grid`;
      return row!.n;
    };
    expect(await mismatched('address', world.addresses)).toBe(0);
    expect(await mismatched('event', world.events)).toBe(0);
    expect(await mismatched('joint_defense_point', world.jointDefensePoints)).toBe(0);
    expect(await mismatched('key_location', world.keyLocations)).toBe(0);
    const [visits] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM visit v JOIN address a ON a.id = v.address_id WHERE v.grid_id IS DISTINCT FROM a.grid_id`;
    expect(visits!.n).toBe(0);
  });

  it('all polygons are valid, and each community is the union of its grids', async () => {
    const [invalid] = await db.sql<{ n: number }[]>`
      SELECT ((SELECT count(*) FROM subdistrict WHERE NOT ST_IsValid(geom))
            + (SELECT count(*) FROM community WHERE NOT ST_IsValid(geom))
            + (SELECT count(*) FROM grid WHERE NOT ST_IsValid(geom))
            + (SELECT count(*) FROM key_location WHERE NOT ST_IsValid(geom)))::int AS n`;
    expect(invalid!.n).toBe(0);
    // Areas of the planar lon/lat results, scaled to m² at 33.3°N. Measuring them after
    // ST_Transform or as geography would bend edges that are straight in lon/lat and turn exactly
    // collinear slivers into phantom areas of a few m².
    const m2 = 111_320 * Math.cos((33.3 * Math.PI) / 180) * 110_950;
    const tiles = await db.sql<{ code: string; diff: number; overlap: number }[]>`
      SELECT c.code,
             ST_Area(ST_SymDifference(c.geom, ST_Union(g.geom))) * ${m2} AS diff,
             (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0) * ${m2}
                FROM grid a JOIN grid b ON a.id < b.id AND a.community_id = c.id AND b.community_id = c.id
               WHERE ST_Intersects(a.geom, b.geom)) AS overlap
        FROM community c JOIN grid g ON g.community_id = c.id GROUP BY c.id ORDER BY c.code`;
    expect(tiles).toHaveLength(world.communities.length);
    for (const t of tiles) {
      expect(t.diff, t.code).toBeLessThan(1);
      expect(t.overlap, t.code).toBeLessThan(0.01);
    }
  }, SLOW);

  it('the seed command refuses a database that already has grids', async () => {
    const run = promisify(execFile);
    const failure = await run('npx', ['tsx', 'geodata/cli/seed.ts', '--seed', '1'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url } })
      .then(() => null, (err: { code: number; stderr: string }) => err);
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/already has \d+ grids: refusing to seed over existing data/);
  }, SLOW);
});
