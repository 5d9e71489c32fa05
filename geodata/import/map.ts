import { createHash } from 'node:crypto';
import type { Geometry } from 'geojson';
import type { ResolvedCrs } from './crs.ts';
import { ImportError, type IssueLog } from './errors.ts';
import { convertValue, describeSource, isBlank, lookupValue, parseDegrees, rawValue, resolveSource, type FieldSpec, type Source } from './fields.ts';
import { checkGeometry, type CheckedGeometry } from './geometry.ts';
import { LAT_ALIASES, LON_ALIASES, WKT_ALIASES, type KindSpec } from './kinds.ts';
import type { ReadResult } from './read.ts';
import { parseWkt, WktError } from './readers/wkt.ts';
import type { ImportOptions, Scalar } from './types.ts';

/** A record that passed field and geometry validation, ready for the database checks. */
export interface Candidate {
  row: number;
  line?: number;
  code: string | null;
  values: Record<string, unknown>;
  /** null only for kinds whose geometry is optional (persons attached by code, visits without a fix). */
  geometry: CheckedGeometry | null;
}

export interface MappingResult {
  candidates: Candidate[];
  fields: Record<string, string>;
}

const GEOMETRY_TARGETS = ['lon', 'lat', 'wkt'] as const;

interface Resolved {
  spec: FieldSpec;
  source: Source;
  /** A default applied to blank cells (option defaults, then the field's own). */
  fallback: Scalar | undefined;
}

function checkOptionKeys(spec: KindSpec, options: ImportOptions): ImportError[] {
  const targets = new Set<string>([...spec.fields.map((f) => f.name), ...GEOMETRY_TARGETS]);
  const errors: ImportError[] = [];
  for (const [what, obj] of [['map', options.map], ['values', options.values], ['defaults', options.defaults]] as const) {
    for (const key of Object.keys(obj ?? {})) {
      if (!targets.has(key)) {
        errors.push(new ImportError('BAD_OPTION', `${what}: "${key}" is not a field of ${spec.kind} (fields: ${[...targets].join(', ')})`, { field: key }));
      }
    }
  }
  return errors;
}

/**
 * Turns source records into candidates: resolves the field mapping once, then converts each record,
 * logging every problem with its record number. Throws ImportError (first of possibly several
 * file-level problems, all logged) when the mapping itself cannot work.
 */
export function mapRecords(
  spec: KindSpec,
  input: ReadResult,
  crs: ResolvedCrs,
  options: ImportOptions & { timeZone: string; fileStem: string },
  log: IssueLog,
  progress: (done: number) => void,
): MappingResult {
  const fileErrors = checkOptionKeys(spec, options);
  const columns = input.columns;
  const used = new Set<string>();
  const resolved: Resolved[] = [];
  const fields: Record<string, string> = {};
  const trySource = (target: string, aliases: string[]): Source => {
    try {
      return resolveSource(target, aliases, columns, options.map, used);
    } catch (err) {
      if (err instanceof ImportError) {
        fileErrors.push(err);
        return { kind: 'none' };
      }
      throw err;
    }
  };
  // Explicitly mapped columns are reserved first so auto-detection cannot take them for another field.
  for (const target of Object.keys(options.map ?? {})) {
    const col = options.map![target]!;
    if (!col.includes('{')) {
      const hit = columns.find((c) => c.toLowerCase() === col.toLowerCase());
      if (hit) used.add(hit);
    }
  }
  let autoCode = false;
  for (const f of spec.fields) {
    let source = trySource(f.name, f.aliases);
    const optionDefault = options.defaults?.[f.name];
    const fallback = optionDefault !== undefined ? optionDefault : f.default;
    if (source.kind === 'none') {
      if (f.name === 'code' && options.autoCode) {
        autoCode = true;
        fields.code = 'generated from record content (autoCode)';
        log.warn({ row: null, field: 'code', code: 'CODE_GENERATED', message: 'no code column: codes are derived from each record\'s content, so re-importing the same rows updates them' });
        continue;
      }
      if (f.name === 'device' && spec.kind === 'gps-fixes') source = { kind: 'constant', value: options.device ?? options.fileStem };
      else if (fallback !== undefined) {
        source = { kind: 'constant', value: fallback };
        if (optionDefault === undefined) {
          log.warn({ row: null, field: f.name, code: 'DEFAULT_USED', message: `no column for ${f.name}: every record gets the default ${JSON.stringify(fallback)}` });
        }
      } else if (f.required) {
        fileErrors.push(
          new ImportError(
            'MISSING_COLUMN',
            f.name === 'code'
              ? `no column for the required field "code" (tried ${f.aliases.join(', ')}); map one with map: { code: '<column>' } or set autoCode`
              : `no column for the required field "${f.name}" (tried ${f.aliases.join(', ')}); map one with map: { ${f.name}: '<column>' } or give defaults: { ${f.name}: … }`,
            { field: f.name },
          ),
        );
      }
    }
    if (source.kind !== 'none') fields[f.name] = describeSource(source);
    resolved.push({ spec: f, source, fallback });
  }

  // Geometry: geo formats carry it per feature; tabular ones in lon/lat or WKT columns.
  const tabular = input.records.length > 0 && input.records.every((r) => r.geometry === undefined);
  const lonSrc = trySource('lon', LON_ALIASES);
  const latSrc = trySource('lat', LAT_ALIASES);
  const wktSrc = trySource('wkt', WKT_ALIASES);
  const useLonLat = lonSrc.kind !== 'none' && latSrc.kind !== 'none';
  if (tabular) {
    if (useLonLat) {
      fields.lon = describeSource(lonSrc);
      fields.lat = describeSource(latSrc);
    } else if (wktSrc.kind !== 'none') {
      fields.wkt = describeSource(wktSrc);
    } else if (spec.geometryOptional && lonSrc.kind === 'none' && latSrc.kind === 'none') {
      fields.geometry = '(none: no coordinate columns)';
    } else {
      fileErrors.push(
        new ImportError(
          'MISSING_COLUMN',
          `no geometry columns: expected longitude/latitude (${LON_ALIASES.slice(0, 5).join('/')} and ${LAT_ALIASES.slice(0, 4).join('/')}) or WKT (${WKT_ALIASES.join('/')}); map them with map: { lon: …, lat: … }`,
          { field: 'geometry' },
        ),
      );
    }
  } else fields.geometry = `${input.format} geometry`;

  if (fileErrors.length > 0) {
    for (const e of fileErrors.slice(1)) log.error(e.toIssue());
    throw fileErrors[0]!;
  }

  const candidates: Candidate[] = [];
  const total = input.records.length;
  let wktSridWarned = false;
  input.records.forEach((rec, i) => {
    if (i % 2000 === 0) progress(i);
    if (log.invalidRows.has(rec.row)) return;
    const before = log.errorCount;
    const recCtx = { row: rec.row, fileStem: options.fileStem, props: rec.props };
    const conv = { row: rec.row, line: rec.line, log, timeFormat: options.timeFormat, timeZone: options.timeZone };
    const values: Record<string, unknown> = {};
    for (const { spec: f, source, fallback } of resolved) {
      let raw = rawValue(source, recCtx, columns);
      if (isBlank(raw) && fallback !== undefined) raw = fallback;
      if (isBlank(raw)) {
        if (f.required) {
          log.error({
            row: rec.row,
            line: rec.line,
            field: f.name,
            code: 'MISSING_VALUE',
            message: `record ${rec.row}: required field ${f.name} is empty${source.kind === 'column' ? ` (column ${source.column})` : ''}`,
          });
        }
        values[f.name] = null;
        continue;
      }
      const looked = lookupValue(options.values?.[f.name], raw);
      if (looked !== undefined) raw = looked;
      values[f.name] = convertValue(f, raw, conv);
    }

    let geometry: CheckedGeometry | null = null;
    let noGeometry = false;
    const geomCtx = { row: rec.row, line: rec.line, fix: options.fix ?? false, log, crs };
    if (!tabular && rec.geometry !== undefined && rec.geometry !== null) {
      geometry = checkGeometry(rec.geometry, spec.geometry, geomCtx);
    } else if (!tabular && spec.geometryOptional) {
      noGeometry = true;
    } else if (useLonLat) {
      const rawLon = rawValue(lonSrc, recCtx, columns);
      const rawLat = rawValue(latSrc, recCtx, columns);
      if (spec.geometryOptional && isBlank(rawLon) && isBlank(rawLat)) {
        noGeometry = true;
      } else if (isBlank(rawLon) || isBlank(rawLat)) {
        const field = isBlank(rawLon) ? 'lon' : 'lat';
        log.error({ row: rec.row, line: rec.line, field, code: 'MISSING_VALUE', message: `record ${rec.row}: ${field} is empty (no location)` });
      } else {
        const lon = parseDegrees(rawLon);
        const lat = parseDegrees(rawLat);
        if (Number.isNaN(lon) || Number.isNaN(lat)) {
          const field = Number.isNaN(lon) ? 'lon' : 'lat';
          log.error({
            row: rec.row,
            line: rec.line,
            field,
            code: 'BAD_COORDINATE',
            message: `record ${rec.row}: ${field} ${JSON.stringify(field === 'lon' ? rawLon : rawLat)} is not a number`,
          });
        } else {
          geometry = checkGeometry({ type: 'Point', coordinates: [lon, lat] }, spec.geometry, geomCtx);
        }
      }
    } else if (wktSrc.kind !== 'none') {
      const rawWkt = rawValue(wktSrc, recCtx, columns);
      if (spec.geometryOptional && isBlank(rawWkt)) {
        noGeometry = true;
      } else if (isBlank(rawWkt)) {
        log.error({ row: rec.row, line: rec.line, field: 'wkt', code: 'MISSING_VALUE', message: `record ${rec.row}: WKT geometry is empty` });
      } else {
        try {
          const parsed = parseWkt(String(rawWkt));
          if (parsed.srid !== null && !wktSridWarned && `EPSG:${parsed.srid}` !== crs.code) {
            wktSridWarned = true;
            log.warn({ row: rec.row, field: 'wkt', code: 'CRS_OVERRIDDEN', message: `EWKT says SRID=${parsed.srid} but coordinates are read as ${crs.code}; set the crs option if that is wrong` });
          }
          geometry = checkGeometry(parsed.geometry as Geometry, spec.geometry, geomCtx);
        } catch (err) {
          if (!(err instanceof WktError)) throw err;
          log.error({ row: rec.row, line: rec.line, field: 'wkt', code: 'BAD_WKT', message: `record ${rec.row}: ${err.message}` });
        }
      }
    } else if (spec.geometryOptional) {
      noGeometry = true;
    } else {
      log.error({ row: rec.row, line: rec.line, field: 'geometry', code: 'MISSING_VALUE', message: `record ${rec.row} has no geometry` });
    }

    if (log.errorCount === before) spec.finish?.(values, { row: rec.row, line: rec.line, log });
    if (log.errorCount !== before || (geometry === null && !noGeometry)) return;
    const code = spec.hasCode && !autoCode ? (values.code as string) : null;
    candidates.push({ row: rec.row, line: rec.line, code, values, geometry });
  });
  progress(total);

  if (autoCode) assignContentCodes(spec, input, candidates);
  if (spec.hasCode) rejectDuplicateCodes(candidates, log);
  return { candidates: candidates.filter((c) => !log.invalidRows.has(c.row)), fields };
}

/** Stable codes from record content; identical records get -2, -3… in file order. */
function assignContentCodes(spec: KindSpec, input: ReadResult, candidates: Candidate[]): void {
  const byRow = new Map(input.records.map((r) => [r.row, r]));
  const seen = new Map<string, number>();
  for (const c of candidates) {
    const rec = byRow.get(c.row)!;
    const props = Object.keys(rec.props)
      .sort()
      .map((k) => [k, rec.props[k] instanceof Date ? (rec.props[k] as Date).toISOString() : rec.props[k]]);
    const hash = createHash('sha1').update(JSON.stringify([props, rec.geometry ?? null])).digest('hex').slice(0, 16);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    c.code = `${spec.codePrefix}-${hash}${n > 1 ? `-${n}` : ''}`;
    c.values.code = c.code;
  }
}

function rejectDuplicateCodes(candidates: Candidate[], log: IssueLog): void {
  const first = new Map<string, Candidate>();
  for (const c of candidates) {
    if (c.code === null) continue;
    const prev = first.get(c.code);
    if (prev) {
      log.error({
        row: c.row,
        line: c.line,
        field: 'code',
        code: 'DUPLICATE_CODE',
        message: `record ${c.row}: code "${c.code}" already used by record ${prev.row} of this file`,
      });
    } else first.set(c.code, c);
  }
}
