/**
 * Local calendar days (YYYY-MM-DD, Asia/Shanghai) for the time bar: presets, brush positions and
 * playback steps. Pure functions; the server reads the same days (api/analytics/window.ts).
 */
export interface DayRange { from: string; to: string }

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === s;
}

const ms = (day: string) => Date.parse(`${day}T00:00:00Z`);
export const addDays = (day: string, n: number): string => new Date(ms(day) + n * DAY_MS).toISOString().slice(0, 10);
/** b − a in days. */
export const daysBetween = (a: string, b: string): number => Math.round((ms(b) - ms(a)) / DAY_MS);
/** Days in the range, both ends included. */
export const rangeDays = (r: DayRange): number => daysBetween(r.from, r.to) + 1;

const localDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
export const today = (now = new Date()): string => localDay.format(now);

export const PRESETS = ['today', '7d', '30d', 'cycle'] as const;
export type PresetId = (typeof PRESETS)[number];

/** 今天, 近7天, 近30天 (ending today) and 本周期 (the current month, the review cycle). */
export function presetRange(id: PresetId, day: string): DayRange {
  switch (id) {
    case 'today': return { from: day, to: day };
    case '7d': return { from: addDays(day, -6), to: day };
    case '30d': return { from: addDays(day, -29), to: day };
    case 'cycle': return { from: `${day.slice(0, 8)}01`, to: day };
  }
}

/** Which preset a range is, if any. */
export function presetOf(r: DayRange, day: string): PresetId | null {
  return PRESETS.find((p) => { const q = presetRange(p, day); return q.from === r.from && q.to === r.to; }) ?? null;
}

/**
 * The days a brush covers on a histogram of `days` equal bars spanning `width` pixels from the
 * domain's first day: every bar the brush touches, at least one.
 */
export function brushToRange(x0: number, x1: number, width: number, domain: DayRange): DayRange {
  const n = rangeDays(domain);
  const bar = width / n;
  const [a, b] = x0 <= x1 ? [x0, x1] : [x1, x0];
  const i = Math.min(n - 1, Math.max(0, Math.floor(a / bar)));
  const j = Math.min(n - 1, Math.max(i, Math.ceil(b / bar) - 1));
  return { from: addDays(domain.from, i), to: addDays(domain.from, j) };
}

/** Pixel extent of a range on the same histogram (clipped to the domain). */
export function rangeToPixels(r: DayRange, width: number, domain: DayRange): [number, number] {
  const n = rangeDays(domain);
  const bar = width / n;
  const i = Math.max(0, Math.min(n, daysBetween(domain.from, r.from)));
  const j = Math.max(0, Math.min(n, daysBetween(domain.from, r.to) + 1));
  return [i * bar, j * bar];
}

/**
 * One playback step: the window keeps its length and moves a day later; past `last` it starts
 * again at `first`. Returns null when it would not fit at all.
 */
export function stepRange(r: DayRange, first: string, last: string): DayRange {
  const len = rangeDays(r);
  const next = { from: addDays(r.from, 1), to: addDays(r.to, 1) };
  if (daysBetween(next.to, last) >= 0) return next;
  return { from: first, to: addDays(first, len - 1) };
}
