import { parseArgs } from 'node:util';
import { assignEventCells } from '../../api/analytics/cells.ts';
import { localToday } from '../../api/analytics/window.ts';
import { createSql, redactUrl } from '../../api/db/connect.ts';
import { migrate } from '../../api/db/migrate.ts';
import { refreshDerived } from '../../api/patrol/derived.ts';
import { progressBar } from './copy.ts';
import { loadCity, type StageTime } from './load.ts';
import { cityPlan, type CityPlan } from './world.ts';

/**
 * The city preset: ~5,000 grids, 2M addresses, 500k events, 3M visits, 20M GPS fixes (at --scale 1)
 * streamed into a real PostGIS with COPY, then the derived tables (event H3 cells, KPI and patrol
 * aggregates) brought up to date.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/jw_bench npx tsx geodata/city/cli.ts [--scale 1] [--seed 42] [--end YYYY-MM-DD] [--no-kpi]
 *
 * --scale 0.01 makes a quick 1 % city; --end sets the last day of the history (default: today in
 * Asia/Shanghai); --no-kpi leaves the KPI and patrol aggregates to their next refresh.
 *
 * The database must be empty (it is migrated first); a database with any grid, address, event or
 * fix is refused so a real deployment is never mixed with synthetic data.
 */

const USAGE = 'usage: DATABASE_URL=postgres://… npx tsx geodata/city/cli.ts [--scale 1] [--seed 42] [--end YYYY-MM-DD] [--no-kpi]';

export interface SeedCityResult {
  plan: CityPlan;
  stages: StageTime[];
  seconds: number;
}

/** Counts of rows that mean "this database is in use". */
async function occupied(sql: ReturnType<typeof createSql>): Promise<Record<string, number>> {
  const [r] = await sql<Record<string, number>[]>`
    SELECT (SELECT count(*) FROM grid)::int AS grids, (SELECT count(*) FROM address)::int AS addresses,
           (SELECT count(*) FROM event)::int AS events, (SELECT count(*) FROM gps_fix)::int AS fixes`;
  return Object.fromEntries(Object.entries(r!).filter(([, n]) => n > 0));
}

export async function seedCity(databaseUrl: string, plan: CityPlan, log: (msg: string) => void, opts: { kpi: boolean } = { kpi: true }): Promise<SeedCityResult> {
  const sql = createSql(databaseUrl, 4);
  const started = performance.now();
  try {
    const { applied } = await migrate(sql, { log });
    log(`database ${redactUrl(databaseUrl)}: ${applied.length} migration(s) applied`);
    const used = await occupied(sql);
    if (Object.keys(used).length) {
      throw new Error(`refusing to load the city preset into a database that has data (${Object.entries(used).map(([k, n]) => `${n} ${k}`).join(', ')}); use an empty database`);
    }
    log(`city preset: scale ${plan.scale}, seed ${plan.seed}, history ending ${plan.end}: ${plan.grids} grids, ${plan.addresses} addresses, ${plan.events} events, ~${plan.visits} visits, ~${plan.fixes} GPS fixes`);
    const city = await loadCity(sql, plan, progressBar());
    log(`loaded ${city.subdistricts} sub-districts, ${city.communities} communities, ${city.grids} grids, ${city.devices} patrol devices`);
    const stages = [...city.times];
    const timed = async (stage: string, run: () => Promise<number>) => {
      const t = performance.now();
      log(`${stage} …`);
      const rows = await run();
      stages.push({ stage, rows, seconds: (performance.now() - t) / 1000 });
    };
    await timed('event H3 cells', () => assignEventCells(sql));
    // Statistics and the visibility map of the freshly loaded tables: without them the planner
    // believes event_cell has no cells and heat queries cannot use index-only scans.
    await timed('vacuum analyze', async () => {
      await sql`VACUUM (ANALYZE)`;
      return 0;
    });
    if (opts.kpi) {
      await timed('KPI + patrol derived tables', async () => (await refreshDerived(sql)).devices);
    } else {
      log('KPI and patrol derived tables skipped (--no-kpi): they are brought up to date by the next refresh');
    }
    return { plan, stages, seconds: (performance.now() - started) / 1000 };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '42' }, end: { type: 'string' }, 'no-kpi': { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error(`DATABASE_URL is not set: the city preset goes into a real PostGIS.\n${USAGE}`);
  const scale = Number(values.scale);
  const seed = Number(values.seed);
  const plan = cityPlan(scale, seed, values.end ?? localToday('Asia/Shanghai'));
  const result = await seedCity(url, plan, (m) => console.log(m), { kpi: !values['no-kpi'] });
  console.log('\nstage                          rows         seconds');
  for (const s of result.stages) console.log(`${s.stage.padEnd(28)} ${String(s.rows).padStart(10)} ${s.seconds.toFixed(1).padStart(12)}`);
  console.log(`city preset loaded in ${result.seconds.toFixed(1)} s (${(result.seconds / 60).toFixed(1)} min)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
