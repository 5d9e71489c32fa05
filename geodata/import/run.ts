import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Sql, TransactionSql } from 'postgres';
import { resolveCrs } from './crs.ts';
import { ImportError, IssueLog } from './errors.ts';
import { flagDuplicateFixes, writeGpsFixes } from './gps.ts';
import { KIND_SPECS, maskIdNumber, maskPhone } from './kinds.ts';
import { mapRecords, type Candidate } from './map.ts';
import { readInput } from './read.ts';
import { createStage, validateStage } from './stage.ts';
import { checkTimeZone, TimeError } from './time.ts';
import { IMPORT_KINDS, type ImportCounts, type ImportKind, type ImportOptions, type ImportReport, type ImportRequest } from './types.ts';
import { writeStage } from './write.ts';

export const DEFAULT_LIMITS = {
  maxBytes: 200 * 1024 * 1024,
  maxUncompressedBytes: 512 * 1024 * 1024,
  maxZipEntries: 1000,
  maxRecords: 1_000_000,
  areaToleranceM2: 1,
  maxIssues: 1000,
  nearestAddressM: 30,
} as const;

/** Thrown inside the transaction to roll it back; carries nothing, the report is built outside. */
class Rollback extends Error {
  constructor(readonly reason: 'refused' | 'dry-run') {
    super(reason);
  }
}

/** All imports take this lock: events placed while grids change would get stale grid ids. */
const IMPORT_LOCK_KEY = 74_202_503;

const POINT_ONLY_FORMATS = new Set(['gpx', 'nmea', 'plt']);

function emptyCounts(read = 0): ImportCounts {
  return { read, valid: 0, inserted: 0, updated: 0, unchanged: 0, skipped: 0 };
}

/** Errors from PostgreSQL that mean "this data is not acceptable" rather than "the system failed". */
function isDataRejection(err: unknown): err is Error & { code: string; constraint_name?: string; detail?: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23') || code === 'XX000') && (err as Error).name === 'PostgresError';
}

/**
 * Imports one file of one kind, all or nothing. Bad input never throws: it yields a report with
 * ok = false and per-record errors. Only system faults (database unreachable...) are thrown.
 */
export async function runImport(sql: Sql, request: ImportRequest): Promise<ImportReport> {
  const started = performance.now();
  const opts: ImportOptions = request.options ?? {};
  const log = new IssueLog(opts.maxIssues ?? DEFAULT_LIMITS.maxIssues);
  const report: ImportReport = {
    ok: false,
    kind: request.kind,
    fileName: request.input.fileName,
    format: null,
    encoding: null,
    crs: null,
    dryRun: opts.dryRun ?? false,
    fields: {},
    counts: emptyCounts(),
    errors: log.errors,
    warnings: log.warnings,
    errorCount: 0,
    warningCount: 0,
    elapsedMs: 0,
  };
  const progress = opts.onProgress ?? (() => {});
  try {
    await execute(sql, request, opts, log, report, progress);
  } catch (err) {
    if (err instanceof ImportError) log.error(err.toIssue());
    else if (err instanceof Rollback) {
      // report already filled in
    } else if (isDataRejection(err)) {
      // The detail of a CHECK failure quotes the whole row: never for records that carry identities.
      const detail = err.detail && !KIND_SPECS[request.kind]?.sensitive ? `: ${err.detail}` : '';
      log.error({
        row: null,
        field: null,
        code: 'DB_REJECTED',
        message: `the database refused the data: ${err.message}${err.constraint_name ? ` (constraint ${err.constraint_name})` : ''}${detail}`,
      });
    } else throw err;
  }
  if (KIND_SPECS[request.kind]?.sensitive) maskIssues(log);
  if (log.errorCount > 0 && !(opts.skipInvalid && !log.hasFileErrors() && report.ok)) {
    report.ok = false;
    report.counts = { ...emptyCounts(report.counts.read), valid: report.counts.valid };
  }
  report.errorCount = log.errorCount;
  report.warningCount = log.warningCount;
  report.elapsedMs = Math.round(performance.now() - started);
  progress({ phase: 'done', done: 1, total: 1 });
  return report;
}

/** 18- and 15-character ID numbers, mobile and landline numbers, standing alone (not inside codes or decimals). */
const IDENTITY_RE = /(?<![\w.-])(\d{17}[\dXx]|\d{15})(?![\w.])|(?<![\w.+-])(?:\+?86-?)?(?:1\d{10}|0\d{2,3}-?\d{7,8})(?![\w.-])/g;

/**
 * A last safety net for kinds that carry identities: whatever a message quotes (a lookup table, a
 * value echoed by a generic check), ID numbers and phone numbers leave the importer masked.
 */
function maskIssues(log: IssueLog): void {
  for (const issue of [...log.errors, ...log.warnings]) {
    issue.message = issue.message.replace(IDENTITY_RE, (m, id: string | undefined) => (id ? maskIdNumber(id) : maskPhone(m)));
  }
}

async function execute(
  sql: Sql,
  request: ImportRequest,
  opts: ImportOptions,
  log: IssueLog,
  report: ImportReport,
  progress: NonNullable<ImportOptions['onProgress']>,
): Promise<void> {
  const { kind, input } = request;
  if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
    throw new ImportError('BAD_OPTION', `unknown import kind "${String(kind)}" (kinds: ${IMPORT_KINDS.join(', ')})`);
  }
  const spec = KIND_SPECS[kind];
  const timeZone = opts.timeZone ?? 'Asia/Shanghai';
  try {
    checkTimeZone(timeZone);
  } catch (err) {
    if (err instanceof TimeError) throw new ImportError('BAD_OPTION', err.message, { field: 'timeZone' });
    throw err;
  }
  const maxBytes = opts.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (input.bytes.length > maxBytes) {
    throw new ImportError('FILE_TOO_LARGE', `file is ${input.bytes.length} bytes, more than the limit of ${maxBytes} bytes; split it`);
  }

  progress({ phase: 'read', done: 0, total: 1 });
  const parsed = await readInput(input.fileName, input.bytes, {
    fileName: input.fileName,
    log,
    encoding: opts.encoding,
    maxUncompressedBytes: opts.maxUncompressedBytes ?? DEFAULT_LIMITS.maxUncompressedBytes,
    maxZipEntries: opts.maxZipEntries ?? DEFAULT_LIMITS.maxZipEntries,
  });
  report.format = parsed.format;
  report.encoding = parsed.encoding;
  report.counts.read = parsed.records.length;
  if (POINT_ONLY_FORMATS.has(parsed.format) && kind !== 'gps-fixes') {
    throw new ImportError('FORMAT_NOT_FOR_KIND', `${parsed.format.toUpperCase()} files carry GPS tracks; they can only be imported as gps-fixes`);
  }
  const crs = resolveCrs(opts.crs, parsed, log);
  report.crs = crs.label;
  if (parsed.records.length === 0) throw new ImportError('NO_RECORDS', 'the file contains no records');
  const maxRecords = opts.maxRecords ?? DEFAULT_LIMITS.maxRecords;
  if (parsed.records.length > maxRecords) {
    throw new ImportError('FILE_TOO_LARGE', `file has ${parsed.records.length} records, more than the limit of ${maxRecords} per import; split it`);
  }
  progress({ phase: 'read', done: 1, total: 1 });

  const fileStem = basename(input.fileName).replace(/\.[^.]+$/, '');
  const total = parsed.records.length;
  const mapping = mapRecords(spec, parsed, crs, { ...opts, timeZone, fileStem }, log, (done) => progress({ phase: 'validate', done, total }));
  report.fields = mapping.fields;
  // The source records are no longer needed; on a big GPS file they are most of the memory.
  parsed.records = [];

  // Most coordinates out of range under the default CRS: the file is projected and says nothing.
  const outOfRange = log.tallies.get('looks-projected') ?? 0;
  if (crs.label.endsWith('(default)') && outOfRange > 0 && outOfRange >= total / 2) {
    log.error({
      row: null,
      field: 'crs',
      code: 'CRS_MISSING',
      message: `${outOfRange} of ${total} records have coordinates in metres, not longitude/latitude: the file is projected; pass the crs option (e.g. EPSG:4547 for CGCS2000 3° zone CM 114E)`,
    });
  }
  if (log.hasFileErrors()) return;

  let candidates: Candidate[] = mapping.candidates;
  if (kind === 'gps-fixes') flagDuplicateFixes(candidates, log);

  try {
    await sql.begin(async (tx) => {
      // Set first, so waiting for another import's lock is bounded too (57014 is thrown, not reported).
      if (request.statementTimeoutMs) await tx`SELECT set_config('statement_timeout', ${String(Math.round(request.statementTimeoutMs))}, true)`;
      await tx`SELECT pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`;
      if (kind !== 'gps-fixes') {
        await createStage(tx, candidates, spec.parent?.field ?? (spec.references ? 'address' : undefined), (done) => progress({ phase: 'validate', done, total }));
        await validateStage(
          tx,
          spec,
          {
            fix: opts.fix ?? false,
            areaToleranceM2: opts.areaToleranceM2 ?? DEFAULT_LIMITS.areaToleranceM2,
            strictTiling: opts.strictTiling ?? false,
            nearestAddressM: opts.nearestAddressM ?? DEFAULT_LIMITS.nearestAddressM,
          },
          log,
        );
        candidates = candidates.filter((c) => !log.invalidRows.has(c.row));
      }
      report.counts.valid = candidates.length;
      if (log.errorCount > 0 && (!opts.skipInvalid || log.hasFileErrors())) throw new Rollback('refused');
      if (candidates.length === 0) {
        log.error({ row: null, field: null, code: 'NO_VALID_RECORDS', message: `none of the ${total} records is valid; nothing to import` });
        throw new Rollback('refused');
      }

      progress({ phase: 'write', done: 0, total: candidates.length });
      if (kind === 'gps-fixes') {
        const r = await writeGpsFixes(tx, candidates, opts.deviceKind ?? 'handheld', (done) => progress({ phase: 'write', done, total: candidates.length }));
        report.counts.inserted = r.inserted;
        report.counts.unchanged = r.unchanged;
        if (r.devicesCreated.length > 0) {
          log.warn({ row: null, field: 'device', code: 'DEVICE_CREATED', message: `created ${r.devicesCreated.length} patrol device(s): ${r.devicesCreated.slice(0, 10).join(', ')}` });
        }
      } else {
        const r = await writeStage(tx, kind as Exclude<ImportKind, 'gps-fixes'>, { actor: opts.actor ?? 'import', fileName: input.fileName });
        report.counts.inserted = r.inserted;
        report.counts.updated = r.updated;
        report.counts.unchanged = r.unchanged ?? 0;
        if (r.unchanged) {
          log.warn({ row: null, field: 'state', code: 'LEFT_UNCHANGED', message: `${r.unchanged} event(s) already exist and are closed or cancelled: left unchanged` });
        }
      }
      progress({ phase: 'write', done: candidates.length, total: candidates.length });
      report.counts.skipped = log.invalidRows.size;
      report.ok = true;
      await audit(tx, request, report, opts);
      if (opts.dryRun) throw new Rollback('dry-run');
    });
  } catch (err) {
    if (err instanceof Rollback) return;
    report.ok = false;
    throw err;
  }
}

async function audit(tx: TransactionSql, request: ImportRequest, report: ImportReport, opts: ImportOptions): Promise<void> {
  const sha256 = createHash('sha256').update(request.input.bytes).digest('hex');
  const details = {
    file: request.input.fileName,
    sha256,
    bytes: request.input.bytes.length,
    format: report.format,
    encoding: report.encoding,
    crs: report.crs,
    counts: report.counts,
    errors: report.errors.length,
    warnings: report.warnings.length,
  };
  await tx`
    INSERT INTO audit_log (actor, action, target_type, target_id, details)
    VALUES (${opts.actor ?? 'import'}, 'import', ${request.kind}, ${request.input.fileName}, ${JSON.stringify(details)}::text::jsonb)`;
}

