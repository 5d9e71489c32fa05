import { ImportError, type IssueLog } from './errors.ts';
import { parseTime, TimeError } from './time.ts';
import type { Scalar } from './types.ts';

/**
 * Field mapping: which source column (or template, or constant) feeds each target field, and the
 * conversion of raw values into typed ones with per-record errors.
 */

export type FieldType = 'text' | 'int' | 'float' | 'bool' | 'enum' | 'time' | 'date' | 'ref';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required?: boolean;
  /** Column names recognised automatically, most specific first. */
  aliases: string[];
  enum?: readonly string[];
  /** Built-in labels (mostly Chinese) → stored value. */
  labels?: Record<string, Scalar>;
  min?: number;
  max?: number;
  /** Used when the file has no value; a notice says so once. */
  default?: Scalar;
  description?: string;
}

export type Source =
  | { kind: 'column'; column: string }
  | { kind: 'template'; template: string }
  | { kind: 'constant'; value: Scalar }
  | { kind: 'none' };

export function describeSource(s: Source): string {
  switch (s.kind) {
    case 'column':
      return s.column;
    case 'template':
      return `template ${s.template}`;
    case 'constant':
      return `constant ${JSON.stringify(s.value)}`;
    case 'none':
      return '(none)';
  }
}

export function normName(s: string): string {
  return s.toLowerCase().replace(/[\s_\-.()（）]/g, '');
}

const TEMPLATE_REF = /\{([^{}]+)\}/g;

function findColumn(columns: string[], wanted: string): string | undefined {
  return columns.find((c) => c === wanted) ?? columns.find((c) => c.toLowerCase() === wanted.toLowerCase());
}

/**
 * Resolves one target field: explicit map (column or template) first, then auto-detection by alias,
 * then a default constant. Explicit references to columns the file lacks are file-level errors:
 * a typo in a mapping must not silently import nulls.
 */
export function resolveSource(
  target: string,
  aliases: string[],
  columns: string[],
  map: Record<string, string> | undefined,
  used: Set<string>,
): Source {
  const explicit = map?.[target];
  if (explicit !== undefined) {
    if (explicit.includes('{')) {
      for (const m of explicit.matchAll(TEMPLATE_REF)) {
        const ref = m[1]!;
        if (ref.startsWith('@')) {
          if (ref !== '@row' && ref !== '@file') throw new ImportError('BAD_OPTION', `template for "${target}" uses unknown {${ref}}; only {@row} and {@file} are built in`, { field: target });
          continue;
        }
        if (!findColumn(columns, ref)) {
          throw new ImportError('MISSING_COLUMN', `template for "${target}" uses column "${ref}", which the file does not have (columns: ${columns.join(', ') || 'none'})`, {
            field: target,
          });
        }
      }
      return { kind: 'template', template: explicit };
    }
    const col = findColumn(columns, explicit);
    if (!col) {
      throw new ImportError('MISSING_COLUMN', `map ${target}=${explicit}: the file has no column "${explicit}" (columns: ${columns.join(', ') || 'none'})`, {
        field: target,
      });
    }
    used.add(col);
    return { kind: 'column', column: col };
  }
  const normalized = columns.map((c) => [normName(c), c] as const);
  for (const alias of aliases) {
    const hit = normalized.find(([n, c]) => n === normName(alias) && !used.has(c));
    if (hit) {
      used.add(hit[1]);
      return { kind: 'column', column: hit[1] };
    }
  }
  return { kind: 'none' };
}

export interface RecordContext {
  row: number;
  fileStem: string;
  props: Record<string, unknown>;
}

/** The raw value of a source for one record (templates substitute columns, {@row}, {@file}). */
export function rawValue(source: Source, rec: RecordContext, columns: string[]): unknown {
  switch (source.kind) {
    case 'column':
      return rec.props[source.column];
    case 'template':
      return source.template.replace(TEMPLATE_REF, (_, ref: string) => {
        if (ref === '@row') return String(rec.row);
        if (ref === '@file') return rec.fileStem;
        const col = findColumn(columns, ref);
        const v = col === undefined ? undefined : rec.props[col];
        return v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
      });
    case 'constant':
      return source.value;
    case 'none':
      return undefined;
  }
}

export function isBlank(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/** A user lookup `values[field]`: exact, then case- and space-insensitive, then "*". */
export function lookupValue(table: Record<string, Scalar> | undefined, raw: unknown): Scalar | undefined {
  if (!table) return undefined;
  const text = String(raw).trim();
  if (Object.hasOwn(table, text)) return table[text];
  const n = normName(text);
  for (const [k, v] of Object.entries(table)) if (k !== '*' && normName(k) === n) return v;
  return Object.hasOwn(table, '*') ? table['*'] : undefined;
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', '是', '有', '对', '√']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', '否', '无', '不是', '×']);

export interface ConvertContext {
  row: number;
  line?: number;
  log: IssueLog;
  timeFormat?: string;
  timeZone: string;
}

type ConvertErrorCode = 'BAD_NUMBER' | 'BAD_BOOLEAN' | 'BAD_ENUM' | 'BAD_TIME' | 'OUT_OF_RANGE' | 'BAD_VALUE';

// Module-level helpers rather than closures: convertValue runs once per cell of files with
// millions of rows, and per-call closures showed up in profiles.
function convertError(spec: FieldSpec, ctx: ConvertContext, code: ConvertErrorCode, message: string): undefined {
  ctx.log.error({ row: ctx.row, line: ctx.line, field: spec.name, code, message: `record ${ctx.row}, ${spec.name}: ${message}` });
  return undefined;
}

function shown(raw: unknown): string {
  return JSON.stringify(raw instanceof Date ? raw.toISOString() : raw);
}

const NUMBER_RE = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Converts a value to the field's type, logging an error and returning undefined when it cannot. */
export function convertValue(spec: FieldSpec, raw: unknown, ctx: ConvertContext): unknown {
  if (spec.labels && typeof raw === 'string' && Object.hasOwn(spec.labels, raw.trim())) raw = spec.labels[raw.trim()];
  switch (spec.type) {
    case 'text':
    case 'ref': {
      const s = (raw instanceof Date ? raw.toISOString() : typeof raw === 'number' && Number.isInteger(raw) ? raw.toFixed(0) : String(raw)).trim();
      if (spec.max !== undefined && s.length > spec.max) return convertError(spec, ctx, 'OUT_OF_RANGE', `text is ${s.length} characters, the limit is ${spec.max}`);
      return s;
    }
    case 'int':
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && NUMBER_RE.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return convertError(spec, ctx, 'BAD_NUMBER', `${shown(raw)} is not a number`);
      if (spec.type === 'int' && !Number.isInteger(n)) return convertError(spec, ctx, 'BAD_NUMBER', `${shown(raw)} is not a whole number`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return convertError(spec, ctx, 'OUT_OF_RANGE', `${n} is outside ${spec.min ?? '−∞'}…${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (TRUE_WORDS.has(s)) return true;
      if (FALSE_WORDS.has(s)) return false;
      return convertError(spec, ctx, 'BAD_BOOLEAN', `${shown(raw)} is not yes/no (true/false, 1/0, 是/否)`);
    }
    case 'enum': {
      const s = String(raw).trim();
      const allowed = spec.enum ?? [];
      const direct = allowed.find((a) => a === s) ?? allowed.find((a) => normName(a) === normName(s));
      if (direct) return direct;
      const labels = Object.entries(spec.labels ?? {})
        .slice(0, 12)
        .map(([k, v]) => `${k}→${String(v)}`)
        .join(', ');
      return convertError(
        spec,
        ctx,
        'BAD_ENUM',
        `${shown(raw)} is not one of ${allowed.join(', ')}${labels ? ` (labels understood: ${labels}…)` : ''}; map it with values: { ${spec.name}: { ${shown(raw)}: '…' } }`,
      );
    }
    case 'time': {
      try {
        return parseTime(raw, ctx.timeFormat, ctx.timeZone);
      } catch (e) {
        if (e instanceof TimeError) return convertError(spec, ctx, 'BAD_TIME', `${shown(raw)}: ${e.message}`);
        throw e;
      }
    }
    case 'date': {
      // A calendar day (YYYY-MM-DD) in the import's zone. timeFormat is written for the file's
      // time columns; a date-only column that does not match it is read as an ISO-like date.
      let d: Date;
      try {
        d = parseTime(raw, ctx.timeFormat, ctx.timeZone);
      } catch (e) {
        if (!(e instanceof TimeError)) throw e;
        try {
          d = parseTime(raw, undefined, ctx.timeZone);
        } catch (e2) {
          if (e2 instanceof TimeError) return convertError(spec, ctx, 'BAD_TIME', `${shown(raw)}: ${e.message}`);
          throw e2;
        }
      }
      return localDay(d, ctx.timeZone);
    }
  }
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of an instant in a zone, as YYYY-MM-DD. */
export function localDay(d: Date, timeZone: string): string {
  let f = dayFormatters.get(timeZone);
  if (!f) dayFormatters.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(d);
}

/**
 * Longitude/latitude from a cell: decimal degrees, or degrees-minutes-seconds as Chinese
 * spreadsheets write them (113°30′15.2″E, 113度30分15秒).
 */
export function parseDegrees(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  const s = String(raw).trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  const m = /^([-+])?(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分])?\s*(?:(\d+(?:\.\d+)?)\s*(?:["″秒]|'')?)?\s*([NSEWnsew东西南北])?$/.exec(s);
  if (!m) return NaN;
  const [, sign, d, mi, se, hemi] = m;
  if (Number(mi ?? 0) >= 60 || Number(se ?? 0) >= 60) return NaN;
  let v = Number(d) + Number(mi ?? 0) / 60 + Number(se ?? 0) / 3600;
  if (sign === '-' || (hemi && /[SWsw西南]/.test(hemi))) v = -v;
  return v;
}
