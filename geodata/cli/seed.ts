import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createSql, redactUrl } from '../../api/db/connect.ts';
import { listMigrations, schemaVersion } from '../../api/db/migrate.ts';
import { localToday } from '../../api/analytics/window.ts';
import { seedCity } from '../city/cli.ts';
import { cityPlan } from '../city/world.ts';
import { generateDemoWorld } from '../demo/generate.ts';
import { loadDemoWorld } from '../demo/load.ts';

/**
 * npm run seed -- --seed 42 [--now 2026-11-29]
 * npm run seed -- --preset city [--seed 42] [--scale 1] [--end 2026-11-29] [--no-kpi]
 *
 * The demo preset (default) generates the world of 院岭街道 and loads it into DATABASE_URL. A
 * database that already has grids is refused: it is a real deployment or an earlier seed, and
 * events and logs cannot be deleted anyway. `--now` is the world's present (a date is midnight,
 * Beijing time); without it, today's midnight, so seeding twice on one day gives the same world.
 *
 * The city preset (geodata/city) streams a synthetic city with COPY: at --scale 1 about 5,000
 * grids, 2M addresses, 500k events, 3M visits and 20M GPS fixes; --scale 0.01 is a 1 % city. It is
 * for a real PostGIS (benchmarks), migrates it first and refuses one that holds data. --end is the
 * last day of its history (default today, Asia/Shanghai); the same seed, scale and end give the
 * same rows.
 */

const USAGE = `usage: npm run seed -- [--preset demo] [--seed <integer, default 42>] [--now <YYYY-MM-DD or ISO-8601 time>]
       npm run seed -- --preset city [--seed <integer, default 42>] [--scale <0 < F ≤ 2, default 1>] [--end <YYYY-MM-DD>] [--no-kpi]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The database is not one to seed: said plainly, without a stack trace. */
class Refusal extends Error {}

function parseNow(value: string | undefined): Date {
  if (value === undefined) {
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    return new Date(`${today}T00:00:00+08:00`);
  }
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+08:00` : value);
  if (Number.isNaN(d.getTime())) fail(`--now must be a date (YYYY-MM-DD) or an ISO-8601 time, got "${value}"\n${USAGE}`);
  return d;
}

let args: { seed?: string; now?: string; preset?: string; scale?: string; end?: string; 'no-kpi'?: boolean; help?: boolean };
try {
  args = parseArgs({
    options: {
      seed: { type: 'string' },
      now: { type: 'string' },
      preset: { type: 'string' },
      scale: { type: 'string' },
      end: { type: 'string' },
      'no-kpi': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const seed = Number(args.seed ?? 42);
if (!/^-?\d+$/.test(args.seed ?? '42') || !Number.isSafeInteger(seed)) fail(`--seed must be an integer, got "${args.seed}"\n${USAGE}`);
const preset = args.preset ?? 'demo';
if (preset !== 'demo' && preset !== 'city') fail(`--preset must be demo or city, got "${preset}"\n${USAGE}`);

if (preset === 'city') {
  if (args.now !== undefined) fail(`--now is for the demo preset; the city preset takes --end YYYY-MM-DD (last day of its history)\n${USAGE}`);
  const scale = Number(args.scale ?? '1');
  if (!/^\d*\.?\d+(e-?\d+)?$/i.test(args.scale ?? '1') || !(scale > 0 && scale <= 2)) fail(`--scale must be a number in (0, 2], got "${args.scale}"\n${USAGE}`);
  const end = args.end ?? localToday('Asia/Shanghai');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(end) || Number.isNaN(Date.parse(`${end}T00:00:00Z`))) fail(`--end must be a date YYYY-MM-DD, got "${end}"\n${USAGE}`);
  const cityUrl = process.env.DATABASE_URL;
  if (!cityUrl) {
    fail(
      'DATABASE_URL is not set: the city preset is for a real PostGIS server (not the embedded database of `npm start`); ' +
        'at scale 1 it writes ~25M rows. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/jw_bench npm run seed -- --preset city --scale 0.01',
    );
  }
  try {
    const plan = cityPlan(scale, seed, end);
    const result = await seedCity(cityUrl, plan, (m) => console.log(m), { kpi: !args['no-kpi'] });
    console.log('\nstage                          rows         seconds');
    for (const st of result.stages) console.log(`${st.stage.padEnd(28)} ${String(st.rows).padStart(10)} ${st.seconds.toFixed(1).padStart(12)}`);
    console.log(`city preset (scale ${scale}, seed ${seed}, end ${end}) loaded in ${result.seconds.toFixed(1)} s (${(result.seconds / 60).toFixed(1)} min)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
  process.exit();
}
if (args.scale !== undefined || args.end !== undefined || args['no-kpi']) fail(`--scale, --end and --no-kpi are for --preset city\n${USAGE}`);
const now = parseNow(args.now);
const url = process.env.DATABASE_URL;
if (!url) fail('DATABASE_URL is not set. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingwang npm run seed -- --seed 42');

const sql = createSql(url, 1);
try {
  const version = await schemaVersion(sql);
  const expected = listMigrations().length;
  if (version < expected) throw new Refusal(`${redactUrl(url)} is at schema version ${version}, this build needs ${expected}: run \`npm run db:migrate\` first`);
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`;
  if ((row?.n ?? 0) > 0) {
    throw new Refusal(`${redactUrl(url)} already has ${row!.n} grids: refusing to seed over existing data. Seed an empty, migrated database instead.`);
  }

  let t = performance.now();
  console.log(`generating the demo world (seed ${seed}, now ${now.toISOString()})…`);
  const world = generateDemoWorld({ seed, now });
  console.log(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s; loading into ${redactUrl(url)}`);

  t = performance.now();
  // cli-progress draws only on a terminal; logs and CI get one line per table instead.
  const tty = Boolean(process.stderr.isTTY);
  const bars = new cliProgress.MultiBar(
    { format: ' {step} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: false, stopOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const open = new Map<string, cliProgress.SingleBar>();
  const counts = await loadDemoWorld(sql, world, {
    onProgress(step, done, total) {
      let bar = open.get(step);
      if (!bar) {
        open.set(step, (bar = bars.create(Math.max(total, 1), 0, { step: step.padEnd(20) })));
        if (!tty) console.log(`loading ${step} (${total} rows)`);
      }
      bar.update(done);
    },
  }).finally(() => {
    // Also on failure, or the terminal is left without a cursor.
    if (tty) bars.stop();
  });
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  for (const [table, n] of Object.entries(counts)) console.log(`${table.padEnd(20)} ${String(n).padStart(8)}`);
  console.log(`loaded ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
} catch (err) {
  // A refusal is an answer, not a crash: no stack trace for it.
  console.error(err instanceof Refusal ? err.message : err);
  process.exitCode = 1;
} finally {
  await sql.end();
}
