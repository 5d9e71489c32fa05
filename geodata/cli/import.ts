#!/usr/bin/env tsx
/**
 * Imports one file into the database named by DATABASE_URL.
 *
 *   tsx geodata/cli/import.ts <kind> <file> [options]
 *
 * Exit codes: 0 imported (or dry run passed), 1 refused (nothing written), 2 usage error.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { createSql, redactUrl } from '../../api/db/connect.ts';
import { IMPORT_KINDS, mergeOptions, parseProfile, runImport, type ImportKind, type ImportOptions, type ImportReport, type Scalar } from '../import/index.ts';

const USAGE = `usage: import <kind> <file> [options]
kinds: ${IMPORT_KINDS.join(', ')}
options:
  --map target=Column           source column (or template "GR-{Precinct}") for a field; repeatable
  --values field=SRC:DST        value lookup, e.g. --values type=THEFT:public_security; repeatable
  --default field=value         constant for a field the file lacks, e.g. --default type=public_security
  --profile file.json           saved mapping profile (same keys as the options)
  --crs CODE                    EPSG:4326 (default), EPSG:4490, GCJ-02, BD-09, EPSG:4547, EPSG:32650…
  --time-format FMT             e.g. "YYYY/M/D H:mm", iso, unix, unix_ms, excel
  --time-zone ZONE              default Asia/Shanghai
  --encoding ENC                force text encoding (gbk, utf-8…)
  --nearest-address M           persons: attach records without an address code to the nearest
                                standard address within M metres of their coordinates (default 30, 0 = off)
  --device CODE                 gps-fixes: device code when the file has none
  --device-kind KIND            gps-fixes: handheld | vehicle | bodycam | ebike
  --auto-code                   derive codes from record content when there is no code column
  --skip-invalid                import the valid records, list the rest
  --fix                         repair invalid polygons (ST_MakeValid) and close rings
  --strict-tiling               refuse grids that leave gaps in their community
  --area-tolerance M2           overlaps/gaps/slivers below this many m² are ignored (default 1)
  --max-records N               refuse files with more records (default 1000000)
  --dry-run                     validate and report, write nothing
  --json                        print the full report as JSON
env: DATABASE_URL`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function splitPair(flag: string, v: string | undefined): [string, string] {
  if (!v) fail(`${flag} needs a value`);
  const i = v.indexOf('=');
  if (i <= 0) fail(`${flag} expects key=value, got "${v}"`);
  return [v.slice(0, i), v.slice(i + 1)];
}

function positiveNumber(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`${flag} expects a non-negative number, got "${v}"`);
  return n;
}

function scalar(v: string): Scalar {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

function parseArgs(argv: string[]): { kind: ImportKind; file: string; options: ImportOptions; profile?: string; json: boolean } {
  const positional: string[] = [];
  const options: ImportOptions = {};
  const map: Record<string, string> = {};
  const values: Record<string, Record<string, Scalar>> = {};
  const defaults: Record<string, Scalar> = {};
  let profile: string | undefined;
  let json = false;
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? fail(`${a} needs a value`);
    switch (a) {
      case '--map': {
        const [k, v] = splitPair(a, next());
        map[k] = v;
        break;
      }
      case '--values': {
        const [field, pair] = splitPair(a, next());
        const j = pair.lastIndexOf(':');
        if (j <= 0) fail(`--values expects field=SOURCE:TARGET, got "${field}=${pair}"`);
        (values[field] ??= {})[pair.slice(0, j)] = scalar(pair.slice(j + 1));
        break;
      }
      case '--default': {
        const [k, v] = splitPair(a, next());
        defaults[k] = scalar(v);
        break;
      }
      case '--profile':
        profile = next();
        break;
      case '--crs':
        options.crs = next();
        break;
      case '--time-format':
        options.timeFormat = next();
        break;
      case '--time-zone':
        options.timeZone = next();
        break;
      case '--encoding':
        options.encoding = next();
        break;
      case '--device':
        options.device = next();
        break;
      case '--nearest-address':
        options.nearestAddressM = positiveNumber(a, next());
        break;
      case '--device-kind':
        options.deviceKind = next() as ImportOptions['deviceKind'];
        break;
      case '--auto-code':
        options.autoCode = true;
        break;
      case '--skip-invalid':
        options.skipInvalid = true;
        break;
      case '--fix':
        options.fix = true;
        break;
      case '--strict-tiling':
        options.strictTiling = true;
        break;
      case '--area-tolerance':
        options.areaToleranceM2 = positiveNumber(a, next());
        break;
      case '--max-records':
        options.maxRecords = positiveNumber(a, next());
        break;
      case '--dry-run':
        options.dryRun = true;
        break;
      case '--json':
        json = true;
        break;
      default:
        if (a.startsWith('--')) fail(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (positional.length !== 2) fail('expected <kind> and <file>');
  const [kind, file] = positional as [string, string];
  if (!(IMPORT_KINDS as readonly string[]).includes(kind)) fail(`unknown kind "${kind}"`);
  if (Object.keys(map).length) options.map = map;
  if (Object.keys(values).length) options.values = values;
  if (Object.keys(defaults).length) options.defaults = defaults;
  return { kind: kind as ImportKind, file, options, profile, json };
}

function printReport(r: ImportReport): void {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const verdict = !r.ok ? 'REFUSED — nothing was written' : r.dryRun ? 'DRY RUN — valid, nothing written' : 'IMPORTED';
  out(`${verdict}: ${r.kind} from ${r.fileName}`);
  out(`  format ${r.format ?? '?'}, encoding ${r.encoding ?? '?'}, crs ${r.crs ?? '?'}, ${r.elapsedMs} ms`);
  const c = r.counts;
  out(`  records ${c.read}, valid ${c.valid}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, skipped ${c.skipped}`);
  const fields = Object.entries(r.fields);
  if (fields.length) out(`  fields: ${fields.map(([k, v]) => `${k} ← ${v}`).join('; ')}`);
  const show = (label: string, list: ImportReport['errors'], total: number) => {
    if (total === 0) return;
    out(`${label} (${total}):`);
    for (const i of list.slice(0, 50)) out(`  [${i.code}]${i.row !== null ? ` record ${i.row}` : ''}${i.field ? ` ${i.field}` : ''}: ${i.message}`);
    if (total > 50) out(`  … ${total - 50} more (use --json for all listed)`);
  };
  show('errors', r.errors, r.errorCount);
  show('warnings', r.warnings, r.warningCount);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const url = process.env.DATABASE_URL;
  if (!url) fail('DATABASE_URL is not set');
  let options = args.options;
  if (args.profile) {
    const profile = parseProfile(readFileSync(args.profile, 'utf8'), args.profile);
    if (profile.kind && profile.kind !== args.kind) fail(`profile ${args.profile} is for kind ${profile.kind}, not ${args.kind}`);
    const { kind: _kind, ...rest } = mergeOptions(profile, options);
    options = rest;
  }
  const bytes = readFileSync(args.file);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : null;
  let phase = '';
  options.onProgress = (p) => {
    if (!bar) return;
    if (p.phase === 'done') {
      bar.stop();
      return;
    }
    if (p.phase !== phase) {
      if (phase) bar.stop();
      phase = p.phase;
      bar.start(p.total, p.done, { phase: p.phase.padEnd(8) });
    } else bar.update(p.done);
  };
  const sql = createSql(url, 2);
  try {
    process.stderr.write(`importing ${basename(args.file)} as ${args.kind} into ${redactUrl(url)}\n`);
    const report = await runImport(sql, { kind: args.kind, input: { fileName: basename(args.file), bytes }, options });
    bar?.stop();
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printReport(report);
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`import failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
