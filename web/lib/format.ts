const TZ = 'Asia/Shanghai';

const dateTime = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const time = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** Timestamps are stored as timestamptz and always shown in Asia/Shanghai, whatever the browser's zone. */
export function formatDateTime(iso: string | Date): string {
  return dateTime.format(new Date(iso));
}

export function formatTime(iso: string | Date): string {
  return time.format(new Date(iso));
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000; // China has no daylight saving time

/** A moment as the value of an <input type="datetime-local"> read in Asia/Shanghai: YYYY-MM-DDTHH:mm. */
export function toShanghaiInput(at: Date | string): string {
  return new Date(new Date(at).getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16);
}

/** The value of an <input type="datetime-local">, meant in Asia/Shanghai whatever the browser's zone, as an ISO instant; null if empty or invalid. */
export function fromShanghaiInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const t = Date.parse(`${value}:00+08:00`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** Midnight of today in Asia/Shanghai, as an instant. */
export function startOfShanghaiDay(now = new Date()): Date {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - SHANGHAI_OFFSET_MS);
}
