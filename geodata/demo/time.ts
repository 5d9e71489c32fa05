/** The demo lives in Asia/Shanghai (UTC+8, no daylight saving): hours and dates are local there. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
const OFFSET = 8 * HOUR;

// Hundreds of thousands of timestamps fall on a few hundred days: format each day once.
const dayPrefixes = new Map<number, string>();
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** ISO-8601 UTC to the second, exactly as Date#toISOString writes it. */
export function iso(ms: number): string {
  const s = Math.round(ms / 1000);
  const day = Math.floor(s / 86_400);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const sec = s - day * 86_400;
  return `${prefix}${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}.000Z`;
}

/** Local calendar date, YYYY-MM-DD. */
export function localDate(ms: number): string {
  return new Date(ms + OFFSET).toISOString().slice(0, 10);
}

/** Start of the local day containing ms, as epoch ms. */
export function localMidnight(ms: number): number {
  return Math.floor((ms + OFFSET) / DAY) * DAY - OFFSET;
}

export function localHour(ms: number): number {
  return Math.floor((ms + OFFSET) / HOUR) % 24;
}

/** 0 = Sunday ... 6 = Saturday, local. */
export function localWeekday(ms: number): number {
  return new Date(ms + OFFSET).getUTCDay();
}

export function localMonth(ms: number): number {
  return new Date(ms + OFFSET).getUTCMonth() + 1;
}
