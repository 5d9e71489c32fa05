/**
 * Time windows as local calendar days. A window is [from, to] with both days included; SQL gets
 * [from, to + 1 day) and turns local midnights into instants with the configured time zone, so a
 * day is the day the command centre lives in (Asia/Shanghai), not a UTC day.
 */
export interface DayWindow {
  from: string;
  to: string;
}

export type Cycle = 'month' | 'week';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function toUtcMs(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: "${date}"`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new Error(`not a calendar date: "${date}"`);
  return ms;
}

export function isCalendarDate(date: string): boolean {
  try {
    toUtcMs(date);
    return true;
  } catch {
    return false;
  }
}

export function addDays(date: string, days: number): string {
  return new Date(toUtcMs(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toUtcMs(b) - toUtcMs(a)) / DAY_MS);
}

/** Days in the window, both ends included. */
export function windowDays(w: DayWindow): number {
  return daysBetween(w.from, w.to) + 1;
}

/** Today's date in the time zone. */
// Building an Intl.DateTimeFormat costs ~1 ms of CPU, more than the rest of a heat request's Node
// work: one per time zone, made once. (Only a few zones are ever configured.)
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function localToday(timeZone: string, now: Date = new Date()): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (dayFormats.size < 64) dayFormats.set(timeZone, format);
  }
  return format.format(now);
}

/** First day of the cycle containing date: the 1st of its month, or the Monday of its ISO week. */
export function cycleStart(date: string, cycle: Cycle): string {
  if (cycle === 'month') return `${date.slice(0, 8)}01`;
  const weekday = new Date(toUtcMs(date)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

/**
 * The window a request asks for. Missing ends default to the current cycle: `to` = today (local),
 * `from` = the start of the cycle containing `to`. So the default is "this month so far".
 */
export function resolveWindow(from: string | undefined, to: string | undefined, opts: { cycle: Cycle; today: string; maxDays: number }): DayWindow {
  const end = to ?? opts.today;
  const start = from ?? cycleStart(end, opts.cycle);
  if (start > end) throw new RangeError(`from (${start}) must not be after to (${end})`);
  const days = daysBetween(start, end) + 1;
  if (days > opts.maxDays) throw new RangeError(`the window ${start}..${end} spans ${days} days; at most ${opts.maxDays} are allowed`);
  return { from: start, to: end };
}

/** The window of the same length that ends the day before w starts: the default baseline. */
export function previousWindow(w: DayWindow): DayWindow {
  const days = windowDays(w);
  return { from: addDays(w.from, -days), to: addDays(w.from, -1) };
}
