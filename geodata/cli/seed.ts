import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createSql, redactUrl } from '../../api/db/connect.ts';
import { listMigrations, schemaVersion } from '../../api/db/migrate.ts';
import { generateDemoWorld } from '../demo/generate.ts';
import { loadDemoWorld } from '../demo/load.ts';

/**
 * npm run seed -- --seed 42 [--now 2026-11-29]
 *
 * Generates the demo world of 院岭街道 and loads it into DATABASE_URL. A database that already has
 * grids is refused: it is a real deployment or an earlier seed, and events and logs cannot be
 * deleted anyway. `--now` is the world's present (a date is midnight, Beijing time); without it,
 * today's midnight, so seeding twice on one day gives the same world.
 */

const USAGE = 'usage: npm run seed -- [--seed <integer, default 42>] [--now <YYYY-MM-DD or ISO-8601 time>]';

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

let args: { seed?: string; now?: string; help?: boolean };
try {
  args = parseArgs({ options: { seed: { type: 'string' }, now: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const seed = Number(args.seed ?? 42);
if (!/^-?\d+$/.test(args.seed ?? '42') || !Number.isSafeInteger(seed)) fail(`--seed must be an integer, got "${args.seed}"\n${USAGE}`);
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
