/**
 * Parsing of local times from spreadsheets into UTC instants. Times without an offset are wall
 * times in the configured zone (Asia/Shanghai by default): that is how a Chinese police system
 * or Excel writes them.
 */

export class TimeError extends Error {}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new TimeError(`unknown time zone "${tz}" (use an IANA name such as Asia/Shanghai)`);
  }
}

const offsetCache = new Map<string, Map<number, number>>();

/**
 * Offset of the zone from UTC at the given instant, in milliseconds. Zones change offset on
 * quarter-hour boundaries at most, so results are cached per 15 minutes: a million GPS fixes
 * cost a few thousand Intl calls, not two million.
 */
function zoneOffset(utcMs: number, tz: string): number {
  let cache = offsetCache.get(tz);
  if (!cache) offsetCache.set(tz, (cache = new Map()));
  const bucket = Math.floor(utcMs / 900_000);
  const hit = cache.get(bucket);
  if (hit !== undefined) return hit;
  const v = computeZoneOffset(bucket * 900_000, tz);
  if (cache.size > 100_000) cache.clear();
  cache.set(bucket, v);
  return v;
}

function computeZoneOffset(utcMs: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Offset in minutes when the text names one. */
  offsetMin?: number;
}

function toInstant(p: Parts, tz: string): Date {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour > 24 || p.minute > 59 || p.second > 60) {
    throw new TimeError('date or time component out of range');
  }
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
  const check = new Date(wall);
  if (check.getUTCDate() !== p.day && p.hour !== 24) throw new TimeError(`${p.year}-${p.month}-${p.day} is not a calendar date`);
  if (p.offsetMin !== undefined) return new Date(wall - p.offsetMin * 60_000);
  // Two passes settle the offset even across a daylight-saving change.
  let utc = wall - zoneOffset(wall, tz);
  utc = wall - zoneOffset(utc, tz);
  return new Date(utc);
}

function parseOffset(z: string | undefined): number | undefined {
  if (!z) return undefined;
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z);
  if (!m) throw new TimeError(`bad UTC offset "${z}"`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

const AUTO =
  /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,9}))?秒?)?分?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?$/;

function fraction(s: string | undefined): number {
  return s ? Math.round(Number(`0.${s}`) * 1000) : 0;
}

function parseAuto(text: string, tz: string): Date {
  const m = AUTO.exec(text) ?? COMPACT.exec(text);
  if (!m) throw new TimeError('not a recognised date/time (expected e.g. 2024-03-05 14:30[:00], 2024/3/5, 20240305, or set timeFormat)');
  return toInstant(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
      ms: fraction(m[7]),
      offsetMin: parseOffset(m[8]),
    },
    tz,
  );
}

const TOKENS: Record<string, { re: string; key: keyof Parts | 'offset' | 'ms' | 'yy' }> = {
  YYYY: { re: '(\\d{4})', key: 'year' },
  YY: { re: '(\\d{2})', key: 'yy' },
  MM: { re: '(\\d{2})', key: 'month' },
  M: { re: '(\\d{1,2})', key: 'month' },
  DD: { re: '(\\d{2})', key: 'day' },
  D: { re: '(\\d{1,2})', key: 'day' },
  HH: { re: '(\\d{2})', key: 'hour' },
  H: { re: '(\\d{1,2})', key: 'hour' },
  mm: { re: '(\\d{2})', key: 'minute' },
  m: { re: '(\\d{1,2})', key: 'minute' },
  ss: { re: '(\\d{2})', key: 'second' },
  s: { re: '(\\d{1,2})', key: 'second' },
  SSS: { re: '(\\d{1,9})', key: 'ms' },
  Z: { re: '(Z|[+-]\\d{2}:?\\d{2})', key: 'offset' },
};
const TOKEN_RE = /\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|SSS|Z/g;

interface CompiledFormat {
  re: RegExp;
  keys: Array<keyof Parts | 'offset' | 'ms' | 'yy'>;
}

const compiled = new Map<string, CompiledFormat>();

function compile(format: string): CompiledFormat {
  let c = compiled.get(format);
  if (c) return c;
  const keys: CompiledFormat['keys'] = [];
  let re = '';
  let last = 0;
  for (const m of format.matchAll(TOKEN_RE)) {
    re += format.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (m[1] !== undefined) re += m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else {
      const t = TOKENS[m[0]]!;
      re += t.re;
      keys.push(t.key);
    }
    last = m.index + m[0].length;
  }
  re += format.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  c = { re: new RegExp(`^${re}$`), keys };
  compiled.set(format, c);
  return c;
}

function parseWithFormat(text: string, format: string, tz: string): Date {
  const { re, keys } = compile(format);
  const m = re.exec(text);
  if (!m) throw new TimeError(`does not match timeFormat "${format}"`);
  const p: Parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  keys.forEach((k, i) => {
    const v = m[i + 1]!;
    if (k === 'offset') p.offsetMin = parseOffset(v);
    else if (k === 'ms') p.ms = fraction(v);
    else if (k === 'yy') p.year = 2000 + Number(v);
    else (p[k] as number) = Number(v);
  });
  return toInstant(p, tz);
}

/** Excel serial day numbers count from 1899-12-30 (the Lotus leap-year bug folded in). */
function fromExcel(serial: number, tz: string): Date {
  const ms = Math.round(serial * 86_400_000);
  const wall = Date.UTC(1899, 11, 30) + ms;
  const d = new Date(wall);
  return toInstant(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      ms: d.getUTCMilliseconds(),
    },
    tz,
  );
}

/**
 * Parses a time value. Dates from shapefile .dbf (Date objects) pass through. Accepted years are
 * 1970–2100: anything else in a police data set is a typo, not history.
 */
export function parseTime(value: unknown, format: string | undefined, tz: string): Date {
  let d: Date;
  if (value instanceof Date) d = value;
  else {
    const text = String(value).trim();
    const f = format?.trim();
    if (!f || f === 'auto' || f === 'iso') d = parseAuto(text, tz);
    else if (f === 'unix' || f === 'unix_ms' || f === 'excel') {
      if (!/^-?\d+(\.\d+)?$/.test(text)) throw new TimeError(`"${text}" is not a number (timeFormat ${f})`);
      const n = Number(text);
      d = f === 'unix' ? new Date(n * 1000) : f === 'unix_ms' ? new Date(n) : fromExcel(n, tz);
    } else d = parseWithFormat(text, f, tz);
  }
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new TimeError('not a valid instant');
  const year = d.getUTCFullYear();
  if (year < 1970 || year > 2100) throw new TimeError(`year ${year} is outside 1970–2100`);
  return d;
}
