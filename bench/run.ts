import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres, { type Sql } from 'postgres';
import { benchHeat } from './heat.bench.ts';
import { benchPlan } from './plan.bench.ts';
import type { BenchContext, BenchResult } from './types.ts';

/**
 * `npm run bench`: p50/p95 of the analytics endpoints on the city preset in a real PostGIS, each
 * next to a naive baseline measured in the same run.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jw_bench npx tsx bench/run.ts [--runs 30] [--only heat|kpi|plan]
 */

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/jw_bench';
const FULL_CITY = { grids: 5000, events: 500_000 };

type BenchModule = (ctx: BenchContext) => Promise<BenchResult[] | void>;

async function cityState(sql: Sql): Promise<{ grids: number; events: number; fixes: number } | null> {
  const [t] = await sql<{ ok: boolean }[]>`SELECT to_regclass('event_cell') IS NOT NULL AND to_regclass('grid') IS NOT NULL AS ok`;
  if (!t?.ok) return null;
  const [r] = await sql<{ grids: number; events: number; fixes: number }[]>`
    SELECT (SELECT count(*) FROM grid)::int AS grids, (SELECT count(*) FROM event)::int AS events,
           (SELECT reltuples::bigint FROM pg_class WHERE relname = 'gps_fix')::bigint::float8 AS fixes`;
  return r ?? null;
}

function ms(v: number): string {
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}

function printTable(results: BenchResult[], log: (line: string) => void): void {
  const rows = results.map((r) => {
    const ratio = r.baseline ? `${(r.baseline.p50 / r.ours.p50).toFixed(1)}×` : '';
    const target = r.targetP50 === undefined ? '' : `≤ ${r.targetP50} ${r.ours.p50 <= r.targetP50 ? 'PASS' : 'FAIL'}`;
    return [r.name, String(r.ours.runs), ms(r.ours.p50), ms(r.ours.p95), r.baseline ? ms(r.baseline.p50) : '', r.baseline ? ms(r.baseline.p95) : '', ratio, target, r.baseline?.label ?? ''];
  });
  const head = ['endpoint', 'runs', 'p50 ms', 'p95 ms', 'naive p50', 'naive p95', 'speed-up', 'target p50', 'naive baseline'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  log(line(head));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) log(line(r));
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, only: { type: 'string' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const url = process.env.BENCH_DATABASE_URL ?? DEFAULT_URL;
  const sql = postgres(url, { max: 4, onnotice: () => {}, connection: { application_name: 'jingwang-bench' } });
  const log = (line: string) => console.log(line);
  try {
    let state;
    try {
      state = await cityState(sql);
    } catch (err) {
      throw new Error(`cannot reach the bench database ${url.replace(/:[^:@/]*@/, ':***@')}: ${(err as Error).message}`, { cause: err });
    }
    if (!state || state.grids === 0 || state.events === 0) {
      log(`The city data is not loaded in ${url}. Load it first (about 15 minutes on 2 cores):`);
      log('');
      log(`  createdb -h 127.0.0.1 -U postgres ${new URL(url).pathname.slice(1)}`);
      log(`  DATABASE_URL=${url} npx tsx geodata/city/cli.ts --scale 1`);
      log('');
      log('(--scale 0.01 loads a 1 % city in under a minute, for trying the bench out.)');
      return 2;
    }
    const scale = state.events / FULL_CITY.events;
    log(`bench database: ${state.grids} grids, ${state.events} events, ~${Math.round(state.fixes)} GPS fixes (${scale < 0.95 ? `≈ ${(scale * 100).toFixed(1)} % of the city preset` : 'the city preset'})`);
    if (scale < 0.95) log('note: below the full city preset, so the figures do not answer the issue\'s targets');
    const [v] = await sql<{ v: string; p: string }[]>`SELECT current_setting('server_version') AS v, postgis_lib_version() AS p`;
    log(`PostgreSQL ${v!.v}, PostGIS ${v!.p}; ${runs} timed calls per endpoint after 3 warm-up calls\n`);

    const modules: [string, BenchModule][] = [['heat', benchHeat], ['plan', benchPlan]];
    // The KPI bench belongs to the KPI engine; it runs when its module is there.
    const kpiPath = fileURLToPath(new URL('./kpi.bench.ts', import.meta.url));
    if (existsSync(kpiPath)) {
      const mod = (await import(kpiPath)) as { benchKpi?: BenchModule };
      if (typeof mod.benchKpi !== 'function') throw new Error(`${kpiPath} does not export benchKpi(ctx)`);
      modules.push(['kpi', mod.benchKpi]);
    }
    const results: BenchResult[] = [];
    for (const [name, run] of modules) {
      if (values.only && values.only !== name) continue;
      const started = performance.now();
      const out = (await run({ sql, log, runs })) ?? [];
      log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      // Printed per module, so a long module after it does not hold back figures already measured.
      if (out.length) printTable(out, log);
      log('');
      results.push(...out);
    }
    return results.some((r) => r.targetP50 !== undefined && r.ours.p50 > r.targetP50) ? 1 : 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
